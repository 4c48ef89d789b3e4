import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { StatsStore } from '../../../../../src/proxy/telemetry/stats-store.js';
import { formatPrometheus } from '../../../../../src/proxy/telemetry/stats-format.js';
import { validateIstioStats } from '../../../../../src/proxy/telemetry/istio-stats-config.js';
import { istioStatsFactory } from '../../../../../src/proxy/http/filters/istio_stats/filter.js';
import { encodePeerHeader, setLocalNodeMetadata } from '../../../../../src/proxy/telemetry/peer-info.js';
import type { FilterCallbacks, HttpFilterFactory } from '../../../../../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../../../../../src/proxy/http/filter/registry.js';
import type { ResponseFlag } from '../../../../../src/proxy/http/local-reply.js';

// The memo (the default config's path) must report exactly what a full label-set lookup per request reports. A config
// with a literal dimension takes that full lookup; with the extra label taken out, both outputs must be equal.

const peers = [
  encodePeerHeader({ NAMESPACE: 'default', WORKLOAD_NAME: 'productpage-v1', LABELS: { app: 'productpage', version: 'v1' } }),
  encodePeerHeader({ NAMESPACE: 'shop', WORKLOAD_NAME: 'cart', CLUSTER_ID: 'east' }),
  encodePeerHeader({ NAME: 'bare' }),
  '!!not base64',
];
const tlsObjects = [
  undefined,
  { peerUriSans: ['spiffe://cluster.local/ns/default/sa/pp'], localUriSans: ['spiffe://cluster.local/ns/default/sa/reviews'] },
  { peerUriSans: ['spiffe://cluster.local/ns/default/sa/pp'], localUriSans: ['spiffe://cluster.local/ns/default/sa/reviews'] },
  { peerUriSans: [], localUriSans: ['spiffe://cluster.local/ns/default/sa/reviews'] },
];
const clusters = ['outbound|9080|v1|reviews.default.svc.cluster.local', 'outbound|80||api.example.com', 'inbound|9080||', ''];
const hosts = ['reviews:9080', 'api.example.com:443', 'reviews.default.svc.cluster.local', ''];
const flagSets: (ResponseFlag[] | null)[] = [null, null, ['UF'], ['UF', 'URX'], ['NR']];

const requestArb = fc.record({
  peer: fc.option(fc.nat(peers.length - 1), { nil: undefined }),
  conn: fc.nat(tlsObjects.length - 1),
  cluster: fc.nat(clusters.length - 1),
  host: fc.nat(hosts.length - 1),
  code: fc.constantFrom(200, 200, 404, 503, 0),
  flags: fc.nat(flagSets.length - 1),
  grpc: fc.boolean(),
  grpcStatus: fc.option(fc.constantFrom('0', '14'), { nil: undefined }),
  inTrailers: fc.boolean(),
});

function factory(store: StatsStore, reporter: string, noHostFallback: boolean, metrics: object[]): HttpFilterFactory {
  const ctx = new Ctx(undefined);
  const cfg = validateIstioStats(ctx, { '@type': 'type.googleapis.com/stats.PluginConfig', reporter, disable_host_header_fallback: noHostFallback, metrics }, 'f');
  assert.deepEqual(ctx.errors, []);
  return istioStatsFactory(cfg!, { stats: store, rootStats: store } as unknown as HttpFilterContext);
}

test('the series memo reports exactly what a full lookup per request reports (property)', () => {
  setLocalNodeMetadata('sidecar~reviews', { NAMESPACE: 'default', WORKLOAD_NAME: 'reviews-v1', LABELS: { app: 'reviews' }, TRELLIS_SERVICE: 'reviews' });
  const conns = tlsObjects.map((tls) => (tls === undefined ? {} : { tls }));
  fc.assert(
    fc.property(fc.constantFrom('CLIENT', 'SERVER'), fc.boolean(), fc.array(requestArb, { minLength: 1, maxLength: 40 }), (reporter, noHostFallback, reqs) => {
      const memoStore = new StatsStore();
      const fullStore = new StatsStore();
      const memo = factory(memoStore, reporter, noHostFallback, []);
      const full = factory(fullStore, reporter, noHostFallback, [{ dimensions: { probe: "'x'" } }]);
      for (const r of reqs) {
        for (const make of [memo, full]) {
          const stream = {
            conn: conns[r.conn], responseCode: r.code, flags: flagSets[r.flags], startTime: Date.now() - 20_000, bytesReceived: 5, bytesSent: 7,
            upstreamCluster: clusters[r.cluster], peer: undefined,
          };
          const f = make({ stream } as unknown as FilterCallbacks);
          const headers: Record<string, string | undefined> = r.grpc ? { 'content-type': 'application/grpc' } : {};
          const exchange = r.peer === undefined ? {} : { 'x-envoy-peer-metadata': peers[r.peer], 'x-envoy-peer-metadata-id': `id${r.peer}` };
          if (reporter === 'SERVER') Object.assign(headers, exchange);
          f.decodeHeaders?.({ authority: hosts[r.host]!, path: '/', method: 'GET', scheme: 'http', headers }, false);
          const res: Record<string, string | undefined> = reporter === 'CLIENT' ? { ...exchange } : {};
          if (r.grpcStatus !== undefined && !r.inTrailers) res['grpc-status'] = r.grpcStatus;
          f.encodeHeaders?.({ status: r.code, headers: res }, false);
          if (r.grpcStatus !== undefined && r.inTrailers) f.encodeTrailers?.({ 'grpc-status': r.grpcStatus });
          f.onDestroy?.();
        }
      }
      // durations: both land in the same bucket (20 s ago, far from a bound); their sums may differ by the clock's tick
      const text = (s: StatsStore) =>
        formatPrometheus(s.snapshot()).replace(/,probe="x"/g, '').replace(/^istio_request_duration_milliseconds_sum.*$/gm, '');
      assert.equal(text(memoStore), text(fullStore));
    }),
    { numRuns: 150 },
  );
});
