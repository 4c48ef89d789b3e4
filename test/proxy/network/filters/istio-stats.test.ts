// Network filters: istio.stats on TCP — connections opened/closed and bytes each way, reported every
// tcp_reporting_duration while open and at close (tcp_proxy's byte counts), labelled with the peer the exchange learned (fake timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StatsStore } from '../../../../src/proxy/telemetry/stats-store.js';
import { formatPrometheus } from '../../../../src/proxy/telemetry/stats-format.js';
import { validateIstioStats, ISTIO_STATS_TYPE } from '../../../../src/proxy/telemetry/istio-stats-config.js';
import { istioTcpStatsFactory } from '../../../../src/proxy/network/filters/istio_stats/filter.js';
import { connectionState } from '../../../../src/proxy/network/connection-state.js';
import { peerFromStruct, setLocalNodeMetadata } from '../../../../src/proxy/telemetry/peer-info.js';
import type { DownstreamConnectionInfo } from '../../../../src/proxy/http/types.js';
import type { NetworkFilterContext } from '../../../../src/proxy/network/registry.js';
import { errorsOf, validated } from './helpers.js';

function conn(tls?: DownstreamConnectionInfo['tls']): DownstreamConnectionInfo {
  return { remoteAddress: '10.0.0.1', remotePort: 1, localAddress: '10.0.0.2', localPort: 2, listenerName: 'l', filterChainName: '', ...(tls !== undefined ? { tls } : {}) };
}

function open(raw: Record<string, unknown>, store: StatsStore, info: DownstreamConnectionInfo) {
  const cfg = validated(validateIstioStats, { '@type': ISTIO_STATS_TYPE, ...raw });
  const f = istioTcpStatsFactory(cfg, { stats: store } as unknown as NetworkFilterContext)({ info, socket: new PassThrough(), continueReading() {}, close() {} });
  assert.equal(f.onNewConnection?.(), 'continue');
  return f;
}

const series = (store: StatsStore, metric: string): string[] =>
  formatPrometheus(store.snapshot()).split('\n').filter((l) => l.startsWith(`${metric}{`));

test('config: tcp_reporting_duration is a duration of at least 100ms', () => {
  assert.deepEqual(errorsOf(validateIstioStats, { tcp_reporting_duration: '10ms' }), ['f.tcp_reporting_duration: expected a duration like "1.5s" or {seconds, nanos}, got string "10ms"']);
  assert.deepEqual(errorsOf(validateIstioStats, { tcp_reporting_duration: '0.05s' }), ['f.tcp_reporting_duration: must be at least 100ms']);
  assert.equal(validated(validateIstioStats, { tcp_reporting_duration: '1s' }).tcpReportingMs, 1000);
  assert.equal(validated(validateIstioStats, {}).tcpReportingMs, 5000);
});

test('server side: reports while open and at close, with the exchanged peer, both principals and mutual_tls', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  setLocalNodeMetadata('sidecar~db', { NAMESPACE: 'default', WORKLOAD_NAME: 'db-v1', LABELS: { app: 'db', version: 'v1' }, TRELLIS_SERVICE: 'db' });
  const store = new StatsStore();
  const info = conn({ alpn: 'istio-peer-exchange', peerUriSans: ['spiffe://cluster.local/ns/default/sa/client'], localUriSans: ['spiffe://cluster.local/ns/default/sa/db'] });
  connectionState(info).downstreamPeer = peerFromStruct({ NAMESPACE: 'default', WORKLOAD_NAME: 'client-v1', LABELS: { app: 'client' } });
  const f = open({ reporter: 'SERVER', tcp_reporting_duration: '1s' }, store, info);
  assert.equal(f.onData, undefined, 'the filter does not wrap the byte stream: tcp_proxy counts the bytes');
  const state = connectionState(info);
  state.bytesReceived += 100;
  state.bytesSent += 40;
  assert.deepEqual(series(store, 'istio_tcp_connections_opened_total'), [], 'nothing before the first report');
  t.mock.timers.tick(1000);
  const opened = series(store, 'istio_tcp_connections_opened_total');
  assert.equal(opened.length, 1);
  for (const want of ['reporter="destination"', 'source_workload="client-v1"', 'destination_workload="db-v1"', 'source_principal="spiffe://cluster.local/ns/default/sa/client"',
    'destination_principal="spiffe://cluster.local/ns/default/sa/db"', 'destination_service="db.default.svc.cluster.local"', 'request_protocol="tcp"',
    'connection_security_policy="mutual_tls"', 'response_flags="-"'])
    assert.ok(opened[0]!.includes(want), `${want} in ${opened[0]}`);
  assert.doesNotMatch(opened[0]!, /response_code|grpc_response_status/, 'TCP metrics have no response code labels');
  assert.match(series(store, 'istio_tcp_received_bytes_total')[0]!, / 100$/);
  assert.match(series(store, 'istio_tcp_sent_bytes_total')[0]!, / 40$/);
  assert.deepEqual(series(store, 'istio_tcp_connections_closed_total'), []);
  state.bytesReceived += 5;
  f.onDestroy?.();
  assert.match(series(store, 'istio_tcp_received_bytes_total')[0]!, / 105$/, 'the rest is reported at close');
  assert.match(series(store, 'istio_tcp_connections_opened_total')[0]!, / 1$/, 'opened once');
  assert.match(series(store, 'istio_tcp_connections_closed_total')[0]!, / 1$/);
  t.mock.timers.tick(5000);
  assert.match(series(store, 'istio_tcp_received_bytes_total')[0]!, / 105$/, 'a closed connection is not reported again');
});

test('client side: the upstream peer and the cluster name the destination; drop and tags_to_remove apply', () => {
  setLocalNodeMetadata('sidecar~client', { NAMESPACE: 'default', WORKLOAD_NAME: 'client-v1', LABELS: { app: 'client' } });
  const store = new StatsStore();
  const info = conn();
  const state = connectionState(info);
  state.upstreamCluster = 'outbound|5432||db.default.svc.cluster.local';
  state.upstreamPeer = peerFromStruct({ NAMESPACE: 'default', WORKLOAD_NAME: 'db-v1', LABELS: { app: 'db' } });
  state.responseFlags = 'UF';
  const f = open({ reporter: 'CLIENT', metrics: [{ name: 'tcp_sent_bytes_total', drop: true }, { name: '', tags_to_remove: ['source_cluster'], dimensions: { team: "'storage'" } }] }, store, info);
  state.bytesSent += 7;
  f.onDestroy?.();
  const closed = series(store, 'istio_tcp_connections_closed_total');
  assert.equal(closed.length, 1);
  for (const want of ['reporter="source"', 'source_workload="client-v1"', 'destination_workload="db-v1"', 'destination_service="db.default.svc.cluster.local"',
    'destination_service_name="db"', 'response_flags="UF"', 'team="storage"', 'connection_security_policy="unknown"'])
    assert.ok(closed[0]!.includes(want), `${want} in ${closed[0]}`);
  assert.doesNotMatch(closed[0]!, /source_cluster/);
  assert.deepEqual(series(store, 'istio_tcp_sent_bytes_total'), [], 'dropped');
});

test('a connection an earlier filter closed before it opened here is not counted', () => {
  const store = new StatsStore();
  const cfg = validated(validateIstioStats, { '@type': ISTIO_STATS_TYPE, reporter: 'SERVER' });
  const f = istioTcpStatsFactory(cfg, { stats: store } as unknown as NetworkFilterContext)({ info: conn(), socket: new PassThrough(), continueReading() {}, close() {} });
  f.onDestroy?.();
  assert.deepEqual(series(store, 'istio_tcp_connections_closed_total'), []);
});
