// Network filters: envoy.filters.network.mysql_proxy — config errors, a login + queries session, failed logins, auth
// switch, SSL upgrade, sequence errors, malformed greetings; property tests: chunking never changes the counts and
// arbitrary bytes only ever stop the sniffing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateMysqlProxy } from '../../../../src/proxy/network/filters/mysql_proxy/config.js';
import { mysqlProxyFactory } from '../../../../src/proxy/network/filters/mysql_proxy/filter.js';
import type { NetworkFilter } from '../../../../src/proxy/network/api.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { FakeCallbacks, errorsOf, filterContext, validated } from './helpers.js';
import * as my from './mysql-wire.js';

type Step = readonly [from: 'client' | 'server', bytes: Buffer];

function session(steps: readonly Step[], split: (b: Buffer) => Buffer[] = (b) => [b]): FakeStats {
  const stats = new FakeStats();
  const f: NetworkFilter = mysqlProxyFactory(validated(validateMysqlProxy, { stat_prefix: 'db' }), filterContext(stats))(new FakeCallbacks());
  f.onNewConnection?.();
  for (const [from, bytes] of steps) for (const c of split(bytes)) from === 'client' ? f.onData!(c, false) : f.onWrite!(c, false);
  return stats;
}

function counts(s: FakeStats): Record<string, number> {
  const names = ['sessions', 'login_attempts', 'login_failures', 'decoder_errors', 'protocol_errors', 'upgraded_to_ssl', 'auth_switch_request', 'queries_parsed', 'queries_parse_error'];
  return Object.fromEntries(names.map((n) => [n, s.get(`mysql.db.${n}`) ?? -1]));
}

const LOGIN_AND_QUERIES: Step[] = [
  ['server', my.greeting()],
  ['client', my.login()],
  ['server', my.ok(2)],
  ['client', my.query('SELECT * FROM t')],
  ['server', my.ok(1)],
  ['client', my.query('/* x */ update t set a = 1')],
  ['server', my.ok(1)],
  ['client', my.query('hello there')],
  ['server', my.err(1, 'syntax')],
];

test('mysql_proxy config: stat_prefix is required; access_log is accepted', () => {
  assert.deepEqual(errorsOf(validateMysqlProxy, {}), ['f.stat_prefix: is required']);
  assert.deepEqual(errorsOf(validateMysqlProxy, { stat_prefix: 'm', access_log: '/tmp/x', extra: 1 }), ['f.extra: unknown field "extra"']);
});

test('mysql_proxy: a login then queries — sessions, login_attempts, queries_parsed / queries_parse_error', () => {
  assert.deepEqual(counts(session(LOGIN_AND_QUERIES)), {
    sessions: 1, login_attempts: 1, login_failures: 0, decoder_errors: 0, protocol_errors: 0,
    upgraded_to_ssl: 0, auth_switch_request: 0, queries_parsed: 2, queries_parse_error: 1,
  });
});

test('mysql_proxy: a refused login counts login_failures; an auth switch counts auth_switch_request', () => {
  const failed = counts(session([['server', my.greeting()], ['client', my.login()], ['server', my.err(2)]]));
  assert.equal(failed.login_attempts, 1);
  assert.equal(failed.login_failures, 1);
  const switched = counts(session([['server', my.greeting()], ['client', my.login()], ['server', my.authSwitch(2)], ['client', my.authData(3)], ['server', my.ok(4)], ['client', my.query('select 1')]]));
  assert.equal(switched.auth_switch_request, 1);
  assert.equal(switched.login_failures, 0);
  assert.equal(switched.queries_parsed, 1);
  assert.equal(switched.protocol_errors, 0);
});

test('mysql_proxy: an SSLRequest counts upgraded_to_ssl and stops decoding the (encrypted) rest', () => {
  const c = counts(session([['server', my.greeting()], ['client', my.sslRequest()], ['client', Buffer.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5])], ['server', Buffer.alloc(40, 0x17)]]));
  assert.equal(c.upgraded_to_ssl, 1);
  assert.equal(c.login_attempts, 0);
  assert.equal(c.decoder_errors, 0);
  assert.equal(c.protocol_errors, 0);
});

test('mysql_proxy: out-of-order sequence ids count protocol_errors; a bad greeting counts decoder_errors and stops', () => {
  assert.equal(counts(session([['server', my.greeting()], ['client', my.login('u', 5)], ['server', my.ok(6)]])).protocol_errors, 1);
  assert.equal(counts(session([['client', my.query('select 1')]])).protocol_errors, 1, 'the client spoke first');
  const bad = counts(session([['server', my.packet(0, Buffer.from([9, 1, 2, 3]))], ['client', my.login()], ['server', my.ok(2)], ['client', my.query('select 1')]]));
  assert.equal(bad.decoder_errors, 1);
  assert.equal(bad.login_attempts, 0);
  assert.equal(bad.queries_parsed, 0);
});

test('mysql_proxy: a query over 16 MiB continues in the next packet, which is not read as a command', () => {
  const big = my.packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from('SELECT '), Buffer.alloc(0xffffff - 8, 0x20)]));
  const rest = my.packet(1, Buffer.concat([Buffer.from([0x03]), Buffer.from('garbage')]));
  const c = counts(session([...LOGIN_AND_QUERIES.slice(0, 3), ['client', big], ['client', rest], ['server', my.ok(2)]], (b) => (b.length > 65536 ? [b.subarray(0, 65536), b.subarray(65536)] : [b])));
  assert.equal(c.queries_parsed, 1);
  assert.equal(c.queries_parse_error, 0);
  assert.equal(c.protocol_errors, 0);
});

test('mysql_proxy property: any chunking of a session gives the same counts', () => {
  const whole = counts(session(LOGIN_AND_QUERIES));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (sizes) => {
      let k = 0;
      const split = (b: Buffer): Buffer[] => {
        const out: Buffer[] = [];
        for (let i = 0; i < b.length; ) {
          const n = sizes[k++ % sizes.length]!;
          out.push(b.subarray(i, i + n));
          i += n;
        }
        return out;
      };
      assert.deepEqual(counts(session(LOGIN_AND_QUERIES, split)), whole);
    }),
  );
});

test('mysql_proxy property: arbitrary bytes in both directions never throw and never touch the data', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom<'client' | 'server'>('client', 'server'), fc.uint8Array({ maxLength: 64 })), { maxLength: 30 }), fc.boolean(), (raw, withHandshake) => {
      const steps: Step[] = [...(withHandshake ? LOGIN_AND_QUERIES.slice(0, 3) : []), ...raw.map(([f, b]): Step => [f, Buffer.from(b)])];
      const stats = new FakeStats();
      const f = mysqlProxyFactory(validated(validateMysqlProxy, { stat_prefix: 'db' }), filterContext(stats))(new FakeCallbacks());
      for (const [from, bytes] of steps) {
        const copy = Buffer.from(bytes);
        if (from === 'client') assert.equal(f.onData!(bytes, false), 'continue');
        else f.onWrite!(bytes, false);
        assert.deepEqual(bytes, copy);
      }
      assert.ok((stats.get('mysql.db.decoder_errors') ?? 0) <= 1);
    }),
  );
});
