// Network filters: envoy.filters.network.postgres_proxy — config errors, a login with statements, transactions,
// errors and notices by severity, SSL negotiation (refused and accepted), property tests for chunking and garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validatePostgresProxy } from '../../../../src/proxy/network/filters/postgres_proxy/config.js';
import { postgresProxyFactory } from '../../../../src/proxy/network/filters/postgres_proxy/filter.js';
import { POSTGRES_COUNTERS } from '../../../../src/proxy/network/filters/postgres_proxy/decoder.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { FakeCallbacks, errorsOf, filterContext, validated } from './helpers.js';
import * as pg from './postgres-wire.js';

type Step = readonly [from: 'client' | 'server', bytes: Buffer];

function session(steps: readonly Step[], raw: object = {}, split: (b: Buffer) => Buffer[] = (b) => [b]): Record<string, number> {
  const stats = new FakeStats();
  const f = postgresProxyFactory(validated(validatePostgresProxy, { stat_prefix: 'pg', ...raw }), filterContext(stats))(new FakeCallbacks());
  f.onNewConnection?.();
  for (const [from, bytes] of steps) for (const c of split(bytes)) from === 'client' ? f.onData!(c, false) : f.onWrite!(c, false);
  return Object.fromEntries(POSTGRES_COUNTERS.map((n) => [n, stats.get(`postgres.pg.${n}`) ?? -1]));
}

const SESSION: Step[] = [
  ['client', pg.startup()],
  ['server', pg.authMd5()],
  ['client', pg.password()],
  ['server', pg.loginReplies()],
  ['client', pg.query('SELECT * FROM items')],
  ['server', Buffer.concat([pg.complete('SELECT 3'), pg.ready()])],
  ['client', pg.query('BEGIN; INSERT INTO items VALUES (1); UPDATE items SET n = 2; COMMIT')],
  ['server', Buffer.concat([pg.complete('BEGIN'), pg.complete('INSERT 0 1'), pg.complete('UPDATE 1'), pg.complete('COMMIT'), pg.ready()])],
  ['client', pg.parse('delete from items')],
  ['server', Buffer.concat([pg.complete('DELETE 1'), pg.report('N', 'WARNING'), pg.report('E', 'ERROR'), pg.report('E', 'FATAL', false), pg.ready()])],
  ['client', pg.query('nonsense words')],
  ['client', pg.terminate()],
];

test('postgres_proxy config: stat_prefix required; SSL termination and upstream SSL rejected; sql parsing on by default', () => {
  assert.deepEqual(errorsOf(validatePostgresProxy, {}), ['f.stat_prefix: is required']);
  assert.deepEqual(errorsOf(validatePostgresProxy, { stat_prefix: 'p', terminate_ssl: true }), ['f.terminate_ssl: terminate_ssl: true is not supported by trellis (no starttls transport socket)']);
  assert.deepEqual(errorsOf(validatePostgresProxy, { stat_prefix: 'p', upstream_ssl: 'REQUIRE' }), ['f.upstream_ssl: upstream_ssl: REQUIRE is not supported by trellis (no starttls transport socket); only DISABLE']);
  assert.equal(validated(validatePostgresProxy, { stat_prefix: 'p' }).enable_sql_parsing, true);
  assert.equal(validated(validatePostgresProxy, { stat_prefix: 'p', enable_sql_parsing: false, downstream_ssl: 'DISABLE' }).enable_sql_parsing, false);
});

test('postgres_proxy: a session — logins, messages, statements by CommandComplete, transactions, errors, notices, queries', () => {
  const c = session(SESSION);
  assert.equal(c.sessions, 1);
  assert.equal(c.sessions_unencrypted, 1);
  assert.equal(c.messages_frontend, 7, 'startup, password, 3 queries/parse, terminate');
  assert.equal(c.messages_backend, 17);
  assert.equal(c.messages, 24);
  assert.equal(c.messages_unknown, 0);
  assert.equal(c.statements, 6);
  assert.deepEqual([c.statements_select, c.statements_insert, c.statements_update, c.statements_delete, c.statements_other], [1, 1, 1, 1, 2]);
  // SELECT and DELETE outside BEGIN…COMMIT, INSERT and UPDATE inside, plus BEGIN: Envoy counts 5 transactions, 5 commits
  assert.equal(c.transactions, 5);
  assert.equal(c.transactions_commit, 5);
  assert.equal(c.transactions_rollback, 0);
  assert.deepEqual([c.errors, c.errors_error, c.errors_fatal, c.errors_panic, c.errors_unknown], [2, 1, 1, 0, 0]);
  assert.deepEqual([c.notices, c.notices_warning], [1, 1]);
  assert.equal(c.queries_parsed, 3);
  assert.equal(c.queries_parse_error, 1);
});

test('postgres_proxy: enable_sql_parsing false counts no queries; Terminate inside a transaction is a rollback', () => {
  const c = session([['client', pg.startup()], ['server', pg.loginReplies()], ['client', pg.query('BEGIN')], ['server', pg.complete('BEGIN')], ['client', pg.terminate()]], { enable_sql_parsing: false });
  assert.equal(c.queries_parsed, 0);
  assert.equal(c.queries_parse_error, 0);
  assert.equal(c.transactions_rollback, 1);
});

test('postgres_proxy: SSLRequest answered N goes on in plaintext; answered S counts an encrypted session and stops', () => {
  const refused = session([['client', pg.sslRequest()], ['server', Buffer.from('N')], ['client', pg.startup()], ['server', pg.loginReplies()]]);
  assert.equal(refused.sessions_unencrypted, 1);
  assert.equal(refused.sessions_encrypted, 0);
  const accepted = session([['client', pg.sslRequest()], ['server', Buffer.from('S')], ['client', Buffer.from([0x16, 3, 1, 0, 1, 9])], ['server', Buffer.alloc(30, 0x17)]]);
  assert.equal(accepted.sessions_encrypted, 1);
  assert.equal(accepted.sessions, 1);
  assert.equal(accepted.messages_backend, 0);
});

test('postgres_proxy: unknown message types count messages_unknown; an unknown severity counts *_unknown', () => {
  const c = session([['client', pg.startup()], ['server', Buffer.concat([pg.loginReplies(), pg.msg('!', 'x'), pg.report('N', 'WHATEVER'), pg.msg('E', 'Mno severity\0\0')])], ['client', pg.msg('~')]]);
  assert.equal(c.messages_unknown, 2);
  assert.equal(c.notices_unknown, 1);
  assert.equal(c.errors_unknown, 1);
});

test('postgres_proxy: a bad startup length stops sniffing without counting anything more', () => {
  const c = session([['client', Buffer.from([0, 0, 0, 2, 0, 0])], ['client', pg.startup()], ['server', pg.loginReplies()]]);
  assert.equal(c.sessions, 0);
  assert.equal(c.messages, 0);
});

test('postgres_proxy property: any chunking of a session gives the same counts', () => {
  const whole = session(SESSION);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }), (sizes) => {
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
      assert.deepEqual(session(SESSION, {}, split), whole);
    }),
  );
});

test('postgres_proxy property: arbitrary bytes (after a real login or not) never throw and never touch the data', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 64 })), { maxLength: 30 }), fc.boolean(), (raw, login) => {
      const stats = new FakeStats();
      const f = postgresProxyFactory(validated(validatePostgresProxy, { stat_prefix: 'pg' }), filterContext(stats))(new FakeCallbacks());
      const steps: [boolean, Buffer][] = [...(login ? [[true, pg.startup()] as [boolean, Buffer], [false, pg.loginReplies()] as [boolean, Buffer]] : []), ...raw.map(([c, b]): [boolean, Buffer] => [c, Buffer.from(b)])];
      for (const [client, bytes] of steps) {
        const copy = Buffer.from(bytes);
        if (client) assert.equal(f.onData!(bytes, false), 'continue');
        else f.onWrite!(bytes, false);
        assert.deepEqual(bytes, copy);
      }
    }),
  );
});
