// Network filters: envoy.filters.network.rbac — config errors by path, enforce vs shadow on the first byte or on every
// read, Envoy's <stat_prefix>.rbac.* names, delay_deny (fake timers), SNI / SAN attributes, and a denial on a real socket.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { validateNetworkRbac, type NetworkRbacConfig } from '../../../../src/proxy/network/filters/rbac/config.js';
import { networkRbacFactory } from '../../../../src/proxy/network/filters/rbac/filter.js';
import { NetworkFilterChain } from '../../../../src/proxy/network/chain.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { FakeCallbacks, INFO, errorsOf, filterContext, validated } from './helpers.js';

const ALLOW_LOOPBACK = { action: 'ALLOW', policies: { loopback: { permissions: [{ any: true }], principals: [{ source_ip: { address_prefix: '127.0.0.0', prefix_len: 8 } }] } } };
const DENY_PORT_9000 = { action: 'DENY', policies: { 'no 9000': { permissions: [{ destination_port: 9000 }], principals: [{ any: true }] } } };

function config(raw: object): NetworkRbacConfig {
  return validated(validateNetworkRbac, { stat_prefix: 'tcp.', ...raw });
}

function run(raw: object, info = INFO) {
  const ctx = filterContext();
  const make = networkRbacFactory(config(raw), ctx);
  const cb = new FakeCallbacks(info);
  return { filter: make(cb), cb, stats: ctx.stats };
}

test('network rbac config: stat_prefix is required, matcher trees are rejected by name, enums and durations are checked', () => {
  assert.deepEqual(errorsOf(validateNetworkRbac, {}), ['f.stat_prefix: is required']);
  assert.deepEqual(errorsOf(validateNetworkRbac, { stat_prefix: 'x', matcher: {} }), ['f.matcher: matcher is not supported by trellis']);
  assert.deepEqual(errorsOf(validateNetworkRbac, { stat_prefix: 'x', shadow_matcher: {} }), ['f.shadow_matcher: shadow_matcher is not supported by trellis']);
  assert.match(errorsOf(validateNetworkRbac, { stat_prefix: 'x', enforcement_type: 'SOMETIMES' })[0]!, /^f\.enforcement_type: unknown enforcement_type "SOMETIMES"/);
  assert.match(errorsOf(validateNetworkRbac, { stat_prefix: 'x', delay_deny: 'soon' })[0]!, /^f\.delay_deny: expected a duration/);
  assert.match(errorsOf(validateNetworkRbac, { stat_prefix: 'x', rules: { policies: { p: { permissions: [], principals: [{ any: true }] } } } })[0]!, /^f\.rules\.policies\["p"\]\.permissions: needs at least one entry/);
  const c = config({ enforcement_type: 'continuous', delay_deny: '1.5s', enforce_on_transport_ready: true });
  assert.equal(c.enforcement_type, 'CONTINUOUS');
  assert.equal(c.delay_deny, 1500);
  assert.equal(c.enforce_on_transport_ready, true);
  assert.equal(c.rules, undefined);
});

test('network rbac: an allowed connection continues; a denied one is closed and its bytes held; counted under <stat_prefix>.rbac.', () => {
  const ok = run({ rules: ALLOW_LOOPBACK }, { ...INFO, remoteAddress: '127.0.0.1' });
  assert.equal(ok.filter.onNewConnection?.(), 'continue');
  assert.equal(ok.filter.onData?.(Buffer.from('hi'), false), 'continue');
  assert.equal(ok.cb.closed, 0);
  assert.equal(ok.stats.get('tcp.rbac.allowed'), 1);

  const no = run({ rules: ALLOW_LOOPBACK });
  assert.equal(no.filter.onNewConnection?.(), 'continue', 'ONE_TIME_ON_FIRST_BYTE waits for the first byte');
  assert.equal(no.cb.closed, 0);
  assert.equal(no.filter.onData?.(Buffer.from('hi'), false), 'stop');
  assert.equal(no.cb.closed, 1);
  assert.equal(no.stats.get('tcp.rbac.denied'), 1);
  assert.equal(no.stats.get('tcp.rbac.allowed'), 0);
});

test('network rbac: shadow rules are counted (below shadow_rules_stat_prefix) and never enforced', () => {
  const { filter, cb, stats } = run({ shadow_rules: DENY_PORT_9000, shadow_rules_stat_prefix: 'canary.' });
  assert.equal(filter.onData?.(Buffer.from('x'), false), 'continue');
  assert.equal(cb.closed, 0);
  assert.equal(stats.get('tcp.rbac.canary.shadow_denied'), 1);
  assert.equal(stats.get('tcp.rbac.allowed'), 0, 'no rules: nothing enforced');
});

test('network rbac: ONE_TIME_ON_FIRST_BYTE counts once per connection; CONTINUOUS evaluates every read', () => {
  const once = run({ rules: ALLOW_LOOPBACK, shadow_rules: ALLOW_LOOPBACK }, { ...INFO, remoteAddress: '127.0.0.1' });
  for (let i = 0; i < 3; i++) once.filter.onData?.(Buffer.from('x'), false);
  assert.equal(once.stats.get('tcp.rbac.allowed'), 1);
  assert.equal(once.stats.get('tcp.rbac.shadow_allowed'), 1);
  const every = run({ rules: ALLOW_LOOPBACK, enforcement_type: 'CONTINUOUS' }, { ...INFO, remoteAddress: '127.0.0.1' });
  for (let i = 0; i < 3; i++) every.filter.onData?.(Buffer.from('x'), false);
  assert.equal(every.stats.get('tcp.rbac.allowed'), 3);
});

test('network rbac: a stat_prefix without the trailing dot names the same stats (statPrefixJoin)', () => {
  const stats = new FakeStats();
  const make = networkRbacFactory(validated(validateNetworkRbac, { stat_prefix: 'edge', rules: DENY_PORT_9000 }), filterContext(stats));
  make(new FakeCallbacks()).onData?.(Buffer.from('x'), false);
  assert.equal(stats.get('edge.rbac.denied'), 1);
});

test('network rbac: delay_deny holds a denied connection (reads stopped) and closes it when the delay ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { filter, cb, stats } = run({ rules: DENY_PORT_9000, delay_deny: '2s' });
  assert.equal(filter.onData?.(Buffer.from('x'), false), 'stop');
  assert.equal(stats.get('tcp.rbac.denied'), 1, 'counted at the decision');
  t.mock.timers.tick(1999);
  assert.equal(cb.closed, 0);
  assert.equal(filter.onData?.(Buffer.from('more'), false), 'stop', 'later reads stay held and are not re-evaluated');
  assert.equal(stats.get('tcp.rbac.denied'), 1);
  t.mock.timers.tick(1);
  assert.equal(cb.closed, 1);
});

test('network rbac: onDestroy cancels a pending delayed close', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { filter, cb } = run({ rules: DENY_PORT_9000, delay_deny: '1s' });
  filter.onData?.(Buffer.from('x'), false);
  filter.onDestroy?.();
  t.mock.timers.tick(5000);
  assert.equal(cb.closed, 0);
  mock.timers.reset();
});

test('network rbac: enforce_on_transport_ready decides when the connection is handed over, before any byte', () => {
  const { filter, cb, stats } = run({ rules: DENY_PORT_9000, enforce_on_transport_ready: true });
  assert.equal(filter.onNewConnection?.(), 'stop');
  assert.equal(cb.closed, 1);
  assert.equal(stats.get('tcp.rbac.denied'), 1);
});

test('network rbac: requested_server_name sees the TLS SNI or the passthrough SNI; authenticated matches URI then DNS SANs then subject', () => {
  const sniPolicy = { action: 'ALLOW', policies: { api: { permissions: [{ requested_server_name: { exact: 'api.example.com' } }], principals: [{ any: true }] } } };
  assert.equal(run({ rules: sniPolicy }, { ...INFO, requestedServerName: 'api.example.com' }).filter.onData?.(Buffer.alloc(1), false), 'continue');
  assert.equal(run({ rules: sniPolicy }, { ...INFO, tls: { sni: 'api.example.com', peerUriSans: [] } }).filter.onData?.(Buffer.alloc(1), false), 'continue');
  assert.equal(run({ rules: sniPolicy }, INFO).filter.onData?.(Buffer.alloc(1), false), 'stop');
  const byName = (exact: string): object => ({ action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact } } }] } } });
  const tls = { peerUriSans: ['spiffe://td/ns/a/sa/web'], peerDnsSans: ['web.internal'], peerSubject: 'CN=web,O=acme' };
  assert.equal(run({ rules: byName('spiffe://td/ns/a/sa/web') }, { ...INFO, tls }).filter.onData?.(Buffer.alloc(1), false), 'continue');
  assert.equal(run({ rules: byName('web.internal') }, { ...INFO, tls }).filter.onData?.(Buffer.alloc(1), false), 'continue');
  assert.equal(run({ rules: byName('CN=web,O=acme') }, { ...INFO, tls }).filter.onData?.(Buffer.alloc(1), false), 'continue');
  assert.equal(run({ rules: byName('web.internal') }, INFO).filter.onData?.(Buffer.alloc(1), false), 'stop', 'plaintext is never authenticated');
  const anyTls = { action: 'ALLOW', policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: {} }] } } };
  assert.equal(run({ rules: anyTls }, { ...INFO, tls: { peerUriSans: [] } }).filter.onData?.(Buffer.alloc(1), false), 'continue');
});

test('network rbac: header rules see no request at L4 (only an absent-header matcher can match)', () => {
  const present = { action: 'ALLOW', policies: { p: { permissions: [{ header: { name: 'x-a', present_match: true } }], principals: [{ any: true }] } } };
  assert.equal(run({ rules: present }).filter.onData?.(Buffer.alloc(1), false), 'stop');
});

test('network rbac on a real socket: a denied client is closed and the terminal filter never sees its bytes', async () => {
  const stats = new FakeStats();
  const chain = new NetworkFilterChain([networkRbacFactory(config({ rules: { action: 'ALLOW', policies: {} } }), filterContext(stats))]);
  let seen = '';
  const server = net.createServer({ allowHalfOpen: true }, (raw) =>
    chain.accept(raw, { ...INFO, remoteAddress: raw.remoteAddress ?? '' }, (s: Duplex) => s.on('data', (c: Buffer) => (seen += c.toString()))),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  client.write('secret');
  await new Promise((r) => client.once('close', r));
  server.close();
  assert.equal(seen, '');
  assert.equal(stats.get('tcp.rbac.denied'), 1);
});
