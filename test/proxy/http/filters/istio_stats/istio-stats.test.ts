import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { StatsStore } from '../../../../../src/proxy/telemetry/stats-store.js';
import { formatPrometheus } from '../../../../../src/proxy/telemetry/stats-format.js';
import { validateIstioStats, type IstioStatsConfig } from '../../../../../src/proxy/telemetry/istio-stats-config.js';
import { destinationService, istioStatsFactory } from '../../../../../src/proxy/http/filters/istio_stats/filter.js';
import { encodePeerHeader, setLocalNodeMetadata } from '../../../../../src/proxy/telemetry/peer-info.js';
import { headerLines } from '../../../../../src/proxy/upstream/pool/http-parser.js';
import type { FilterCallbacks } from '../../../../../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../../../../../src/proxy/http/filter/registry.js';

function cfg(raw: Record<string, unknown>): IstioStatsConfig {
  const ctx = new Ctx(undefined);
  const c = validateIstioStats(ctx, { '@type': 'type.googleapis.com/stats.PluginConfig', ...raw }, 'f');
  assert.deepEqual(ctx.errors, []);
  return c!;
}

test('config: unknown and unimplemented fields and unsupported CEL are rejected by name with paths', () => {
  const ctx = new Ctx(undefined);
  validateIstioStats(ctx, {
    bogus: 1, definitions: [], reporter: 'X',
    metrics: [{ name: 'requests_total', dimensions: { a: 'request.host', b: 'size(request.path) > 3' }, match: 'x' }],
  }, 'f');
  const paths = ctx.errors.map((e) => e.path).sort();
  assert.deepEqual(paths, ['f.bogus', 'f.definitions', 'f.metrics[0].dimensions.b', 'f.metrics[0].match', 'f.reporter']);
  assert.match(ctx.errors.find((e) => e.path === 'f.metrics[0].dimensions.b')!.message, /unsupported CEL/);
});

function run(c: IstioStatsConfig, store: StatsStore, req: Record<string, string>, resHeaders: Record<string, string>, tls?: object) {
  const stream = { conn: { tls }, responseCode: 200, flags: null, startTime: Date.now() - 7, bytesReceived: 10, bytesSent: 20, upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local' };
  const f = istioStatsFactory(c, { stats: store, rootStats: store } as unknown as HttpFilterContext)({ stream } as unknown as FilterCallbacks);
  const head = { authority: 'reviews.default.svc.cluster.local:9080', path: '/', method: 'GET', scheme: 'http' as const, headers: { ...req } as Record<string, string> };
  f.decodeHeaders?.(head, true);
  const res = { status: 200, headers: { ...resHeaders } as Record<string, string> };
  f.encodeHeaders?.(res, true);
  f.onDestroy?.();
  return { head, res };
}

test('server side: reads and strips the client peer headers, adds its own on the response, records reporter=destination', () => {
  setLocalNodeMetadata('sidecar~reviews', { NAMESPACE: 'default', WORKLOAD_NAME: 'reviews-v1', LABELS: { app: 'reviews', version: 'v1' } });
  const store = new StatsStore();
  const client = encodePeerHeader({ NAMESPACE: 'default', WORKLOAD_NAME: 'productpage-v1', LABELS: { app: 'productpage', version: 'v1' } });
  const tls = { peerUriSans: ['spiffe://cluster.local/ns/default/sa/productpage'], localUriSans: ['spiffe://cluster.local/ns/default/sa/reviews'] };
  const { head, res } = run(cfg({}), store, { 'x-envoy-peer-metadata': client, 'x-envoy-peer-metadata-id': 'sidecar~pp' }, {}, tls);
  assert.equal(head.headers['x-envoy-peer-metadata'], undefined);
  assert.doesNotMatch(headerLines(head.headers), /x-envoy-peer-metadata/); // not forwarded to the app
  assert.ok(res.headers['x-envoy-peer-metadata']);
  const text = formatPrometheus(store.snapshot());
  const line = text.split('\n').find((l) => l.startsWith('istio_requests_total{'))!;
  for (const want of ['reporter="destination"', 'source_workload="productpage-v1"', 'destination_workload="reviews-v1"',
    'source_principal="spiffe://cluster.local/ns/default/sa/productpage"', 'connection_security_policy="mutual_tls"',
    'destination_service="reviews.default.svc.cluster.local"', 'destination_service_name="reviews"', 'response_code="200"', 'response_flags="-"'])
    assert.ok(line.includes(want), `${want} in ${line}`);
  // the request took at least 7 ms (its start was set 7 ms back); how much more depends on the machine
  assert.match(text, /istio_request_duration_milliseconds_bucket\{[^}]*le="5"\} 0/);
  assert.match(text, /istio_request_duration_milliseconds_bucket\{[^}]*le="\+Inf"\} 1/);
  assert.match(text, /istio_response_bytes_sum\{[^}]*\} 20/);
});

test('client side: sends its metadata, learns the destination from the response, strips it; drop and tags_to_remove apply', () => {
  setLocalNodeMetadata('sidecar~pp', { NAMESPACE: 'default', WORKLOAD_NAME: 'productpage-v1' });
  const store = new StatsStore();
  const server = encodePeerHeader({ NAMESPACE: 'default', WORKLOAD_NAME: 'reviews-v1' });
  const c = cfg({ reporter: 'CLIENT', metrics: [{ name: 'request_bytes', drop: true }, { tags_to_remove: ['response_flags'], dimensions: { path_tag: "'lit'" } }] });
  const { head, res } = run(c, store, {}, { 'x-envoy-peer-metadata': server });
  assert.ok(head.headers['x-envoy-peer-metadata']);
  assert.equal(res.headers['x-envoy-peer-metadata'], undefined);
  assert.doesNotMatch(headerLines(res.headers), /x-envoy-peer-metadata/); // not returned to the app
  const text = formatPrometheus(store.snapshot());
  assert.match(text, /istio_requests_total\{reporter="source",source_workload="productpage-v1",[^}]*destination_workload="reviews-v1"[^}]*path_tag="lit"\} 1/);
  assert.doesNotMatch(text, /istio_request_bytes/);
  assert.doesNotMatch(text, /response_flags=/);
});

test('destination_service: the upstream cluster on the client, the own service on the server, the Host header last', () => {
  const me = { service: 'ratings', namespace: 'shop' } as Parameters<typeof destinationService>[1];
  assert.deepEqual(destinationService('outbound|9080|v1|reviews.default.svc.cluster.local', undefined, 'reviews:9080'), { fqdn: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default' });
  assert.deepEqual(destinationService('', me, 'whatever:80'), { fqdn: 'ratings.shop.svc.cluster.local', name: 'ratings', namespace: 'shop' });
  assert.deepEqual(destinationService('', undefined, 'api.example.com:443'), { fqdn: 'api.example.com', name: 'api', namespace: 'unknown' });
  assert.deepEqual(destinationService('', undefined, ''), { fqdn: 'unknown', name: 'unknown', namespace: 'unknown' });
});

test('gRPC streams: istio_request_messages_total / istio_response_messages_total count messages across chunks; HTTP gets none', () => {
  setLocalNodeMetadata('sidecar~reviews', { NAMESPACE: 'default', WORKLOAD_NAME: 'reviews-v1', LABELS: { app: 'reviews', version: 'v1' } });
  const store = new StatsStore();
  const msg = (n: number): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, n]), Buffer.alloc(n, 7)]);
  const stream = { conn: {}, responseCode: 200, flags: null, startTime: Date.now(), bytesReceived: 0, bytesSent: 0, upstreamCluster: '' };
  const f = istioStatsFactory(cfg({}), { stats: store, rootStats: store } as unknown as HttpFilterContext)({ stream } as unknown as FilterCallbacks);
  f.decodeHeaders?.({ authority: 'r:9080', path: '/pkg.S/M', method: 'POST', scheme: 'http', headers: { 'content-type': 'application/grpc' } }, false);
  const req = Buffer.concat([msg(3), msg(0)]);
  f.decodeData?.(req.subarray(0, 4), false);
  f.decodeData?.(req.subarray(4), true);
  f.encodeHeaders?.({ status: 200, headers: { 'content-type': 'application/grpc' } }, false);
  f.encodeData?.(Buffer.concat([msg(1), msg(2), msg(5)]), false);
  f.encodeTrailers?.({ 'grpc-status': '0' });
  f.onDestroy?.();
  run(cfg({}), store, {}, {}); // an HTTP request on the same filter config
  const text = formatPrometheus(store.snapshot());
  assert.match(text, /^istio_request_messages_total\{[^}]*request_protocol="grpc"[^}]*\} 2$/m);
  assert.match(text, /^istio_response_messages_total\{[^}]*grpc_response_status="0"[^}]*\} 3$/m);
  assert.doesNotMatch(text, /istio_request_messages_total\{[^}]*request_protocol="http"/);
});
