// Network filters: envoy.filters.network.ext_authz — config errors by path, the check held on the first bytes,
// allow / deny / error with and without failure_mode_allow, Envoy's ext_authz.<stat_prefix>.* stats, cancellation,
// and the L4 CheckRequest (peers, optional SNI, no request) against proto-loader's deserializer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import { includeDirs } from '../../../../src/xds/proto-files.js';
import { authzCodec } from '../../../../src/proxy/ext-authz/grpc-codec.js';
import type { CheckAttributes } from '../../../../src/proxy/ext-authz/check-attributes.js';
import type { CheckOutcome } from '../../../../src/proxy/ext-authz/grpc-client.js';
import { validateNetworkExtAuthz, type NetworkExtAuthzConfig } from '../../../../src/proxy/network/filters/ext_authz/config.js';
import { connectionCheckAttributes, networkExtAuthzWithClient, type CheckClient } from '../../../../src/proxy/network/filters/ext_authz/filter.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { FakeCallbacks, INFO, errorsOf, validated } from './helpers.js';

const GRPC = { envoy_grpc: { cluster_name: 'authz' } };

function config(raw: object = {}): NetworkExtAuthzConfig {
  return validated(validateNetworkExtAuthz, { stat_prefix: 'tcp_authz', grpc_service: GRPC, ...raw });
}

/** A client whose answers the test gives by hand (or at once, with `sync`). */
class FakeClient implements CheckClient {
  readonly seen: CheckAttributes[] = [];
  pending: ((o: CheckOutcome) => void) | undefined;
  cancelled = 0;
  constructor(private readonly sync?: CheckOutcome) {}
  check(attrs: CheckAttributes, cb: (o: CheckOutcome) => void) {
    this.seen.push(attrs);
    if (this.sync !== undefined) cb(this.sync);
    else this.pending = cb;
    return { cancel: () => void this.cancelled++ };
  }
}

const OK: CheckOutcome = { kind: 'response', response: { code: 0 } };
const DENY: CheckOutcome = { kind: 'response', response: { code: 7 } };
const ERROR: CheckOutcome = { kind: 'error', reason: 'authorization call failed: connect-failure' };

function setup(raw: object = {}, client = new FakeClient()) {
  const stats = new FakeStats();
  const filter = networkExtAuthzWithClient(config(raw), stats, client)(new FakeCallbacks());
  return { filter, cb: (filter as unknown as { cb: FakeCallbacks }).cb, client, stats };
}

test('network ext_authz config: stat_prefix and grpc_service are required; unimplemented fields are rejected by name', () => {
  assert.deepEqual(errorsOf(validateNetworkExtAuthz, {}), ['f.stat_prefix: is required', 'f.grpc_service: is required']);
  assert.deepEqual(errorsOf(validateNetworkExtAuthz, { stat_prefix: 's', grpc_service: GRPC, include_peer_certificate: true }), [
    'f.include_peer_certificate: include_peer_certificate: true is not supported by trellis (the peer certificate is not kept after the handshake)',
  ]);
  assert.deepEqual(errorsOf(validateNetworkExtAuthz, { stat_prefix: 's', grpc_service: GRPC, filter_enabled_metadata: {} }), ['f.filter_enabled_metadata: filter_enabled_metadata is not supported by trellis']);
  assert.deepEqual(errorsOf(validateNetworkExtAuthz, { stat_prefix: 's', grpc_service: { google_grpc: {} } }), [
    'f.grpc_service.google_grpc: google_grpc is not supported by trellis',
    'f.grpc_service.envoy_grpc: is required',
  ]);
  assert.deepEqual(errorsOf(validateNetworkExtAuthz, { stat_prefix: 's', grpc_service: GRPC, transport_api_version: 'V2' }), ['f.transport_api_version: only V3 (or AUTO) is supported']);
  const c = config({ transport_api_version: 'V3', failure_mode_allow: true, grpc_service: { ...GRPC, timeout: '0.5s' } });
  assert.equal(c.grpc_service.timeout, 500);
  assert.equal(c.grpc_service.cluster_name, 'authz');
  assert.equal(config().grpc_service.timeout, 200, "Envoy's default check timeout");
});

test('network ext_authz: the first bytes are held while checking; OK releases them (continueReading) and counts ok', () => {
  const { filter, cb, client, stats } = setup();
  assert.equal(filter.onNewConnection?.(), 'continue', 'Envoy checks on the first onData');
  assert.equal(client.seen.length, 0);
  assert.equal(filter.onData?.(Buffer.from('a'), false), 'stop');
  assert.equal(filter.onData?.(Buffer.from('b'), false), 'stop', 'one check per connection');
  assert.equal(client.seen.length, 1);
  assert.equal(stats.get('ext_authz.tcp_authz.active'), 1);
  client.pending!(OK);
  assert.equal(cb.continued, 1);
  assert.equal(cb.closed, 0);
  assert.equal(filter.onData?.(Buffer.from('c'), false), 'continue');
  assert.equal(stats.get('ext_authz.tcp_authz.total'), 1);
  assert.equal(stats.get('ext_authz.tcp_authz.ok'), 1);
  assert.equal(stats.get('ext_authz.tcp_authz.active'), 0);
});

test('network ext_authz: a denial closes the connection (denied, cx_closed)', () => {
  const { filter, cb, client, stats } = setup();
  filter.onData?.(Buffer.from('a'), false);
  client.pending!(DENY);
  assert.equal(cb.closed, 1);
  assert.equal(cb.continued, 0);
  assert.equal(stats.get('ext_authz.tcp_authz.denied'), 1);
  assert.equal(stats.get('ext_authz.tcp_authz.cx_closed'), 1);
});

test('network ext_authz: a failed call closes the connection, unless failure_mode_allow lets it through', () => {
  const closed = setup();
  closed.filter.onData?.(Buffer.from('a'), false);
  closed.client.pending!(ERROR);
  assert.equal(closed.cb.closed, 1);
  assert.equal(closed.stats.get('ext_authz.tcp_authz.error'), 1);
  assert.equal(closed.stats.get('ext_authz.tcp_authz.cx_closed'), 1);
  const open = setup({ failure_mode_allow: true });
  open.filter.onData?.(Buffer.from('a'), false);
  open.client.pending!(ERROR);
  assert.equal(open.cb.closed, 0);
  assert.equal(open.cb.continued, 1);
  assert.equal(open.stats.get('ext_authz.tcp_authz.error'), 1);
  assert.equal(open.stats.get('ext_authz.tcp_authz.failure_mode_allowed'), 1);
  assert.equal(open.stats.get('ext_authz.tcp_authz.cx_closed'), 0);
});

test('network ext_authz: an answer given during the check continues at once, without continueReading', () => {
  const { filter, cb } = setup({}, new FakeClient(OK));
  assert.equal(filter.onData?.(Buffer.from('a'), false), 'continue');
  assert.equal(cb.continued, 0);
});

test('network ext_authz: closing while checking cancels the call and settles the active gauge', () => {
  const { filter, client, stats } = setup();
  filter.onData?.(Buffer.from('a'), false);
  filter.onDestroy?.();
  assert.equal(client.cancelled, 1);
  assert.equal(stats.get('ext_authz.tcp_authz.active'), 0);
  client.pending!(OK); // a late answer is ignored
  assert.equal(stats.get('ext_authz.tcp_authz.ok'), 0);
});

test('network ext_authz: check_on_new_connection checks before any byte', () => {
  const { filter, client } = setup({ check_on_new_connection: true });
  assert.equal(filter.onNewConnection?.(), 'stop');
  assert.equal(client.seen.length, 1);
});

test('network ext_authz: the check carries both peers, the client certificate principal and (when asked) the SNI', () => {
  const tls = { sni: 'db.example.com', peerUriSans: ['spiffe://td/sa/app'], peerSubject: 'CN=app' };
  const a = connectionCheckAttributes({ ...INFO, tls }, true);
  assert.deepEqual(a.source, { address: '10.0.0.7', port: 40000, principal: 'spiffe://td/sa/app', service: '' });
  assert.deepEqual(a.destination, { address: '127.0.0.1', port: 9000, principal: '', service: '' });
  assert.equal(a.tlsSni, 'db.example.com');
  assert.equal(a.http, undefined);
  assert.equal(connectionCheckAttributes({ ...INFO, tls }, false).tlsSni, undefined);
  assert.equal(connectionCheckAttributes({ ...INFO, tls: { peerUriSans: [], peerSubject: 'CN=x' } }, false).source.principal, 'CN=x');
  assert.equal(connectionCheckAttributes({ ...INFO, requestedServerName: 'pass.example' }, true).tlsSni, 'pass.example');
});

test('network ext_authz: the L4 CheckRequest decodes with the reference deserializer and has no request', () => {
  const pkg = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', { keepCase: true, includeDirs: includeDirs(), longs: Number, enums: String, defaults: false });
  const check = (pkg['envoy.service.auth.v3.Authorization'] as protoLoader.ServiceDefinition).Check;
  const bytes = authzCodec().encodeCheckRequest(connectionCheckAttributes({ ...INFO, tls: { sni: 's.example', peerUriSans: ['spiffe://x'] } }, true));
  const a = (check.requestDeserialize(Buffer.from(bytes)) as { attributes: Record<string, any> }).attributes;
  assert.deepEqual(a.source.address.socket_address, { address: '10.0.0.7', port_value: 40000 });
  assert.equal(a.source.principal, 'spiffe://x');
  assert.equal(a.destination.address.socket_address.port_value, 9000);
  assert.equal(a.request, undefined);
  assert.equal(a.tls_session.sni, 's.example');
});
