// Benchmark: ns per request of the istio.stats filter's own work, in one process, as a sidecar runs it — the request
// head as the codec parsed it, the filter's decode/encode/destroy, and the router's header copies and serialization
// around it (a header map the filter edits is copied and written once per hop) — minus the same path without the filter.
//
//   node dist/bench/istio-stats-micro.js [--requests 200000] [--rounds 7]
import { benchFlags } from './bench-flags.js';
import { Ctx } from '../src/proxy/config/reader.js';
import { StatsStore } from '../src/proxy/telemetry/stats-store.js';
import { validateIstioStats } from '../src/proxy/telemetry/istio-stats-config.js';
import { istioStatsFactory } from '../src/proxy/http/filters/istio_stats/filter.js';
import { encodePeerHeader, setLocalNodeMetadata } from '../src/proxy/telemetry/peer-info.js';
import { forwardRequestHeaders, forwardResponseHeaders } from '../src/proxy/http/hop-by-hop.js';
import { headerLines } from '../src/proxy/upstream/pool/http-parser.js';
import type { FilterCallbacks, HttpFilter, HttpFilterFactory } from '../src/proxy/http/filter/api.js';
import type { HttpFilterContext } from '../src/proxy/http/filter/registry.js';
import type { HeaderMap } from '../src/proxy/router/types.js';

type Side = 'server' | 'client';

const NODE = (workload: string, app: string) => ({
  NAME: `${workload}-7d9f`, NAMESPACE: 'bench', WORKLOAD_NAME: workload, SERVICE_ACCOUNT: app, CLUSTER_ID: 'Kubernetes', MESH_ID: 'cluster.local',
  LABELS: { app, version: 'v1', 'service.istio.io/canonical-name': app, 'service.istio.io/canonical-revision': 'v1' },
});

/** A header map built the way the codec builds one (keyed stores, in wire order). */
function parsed(raw: readonly string[]): HeaderMap {
  const h: HeaderMap = {};
  for (let i = 0; i < raw.length; i += 2) h[raw[i]!] = raw[i + 1]!;
  return h;
}

interface Scenario {
  /** One request; returns something derived from the work so it cannot be optimized away. */
  run(): number;
}

function scenario(side: Side, withFilter: boolean, store: StatsStore): Scenario {
  const other = encodePeerHeader(NODE(side === 'server' ? 'client' : 'echo', side === 'server' ? 'client' : 'echo'));
  const ctx = new Ctx(undefined);
  const cfg = validateIstioStats(ctx, { '@type': 'type.googleapis.com/stats.PluginConfig', reporter: side === 'server' ? 'SERVER' : 'CLIENT' }, 'f')!;
  const factory: HttpFilterFactory = withFilter ? istioStatsFactory(cfg, { stats: store, rootStats: store } as unknown as HttpFilterContext) : () => ({});
  const tls =
    side === 'server'
      ? { peerUriSans: ['spiffe://cluster.local/ns/bench/sa/client'], localUriSans: ['spiffe://cluster.local/ns/bench/sa/echo'] }
      : undefined;
  const conn = { tls };
  // what arrives: the server's request carries the client's exchange headers, the client's response the server's
  const reqRaw = ['host', 'echo.bench:8080', 'user-agent', 'wrk', 'x-forwarded-proto', 'http', 'x-request-id', '9f0e1d2c-3b4a-4c55-a1b2-0f2b7c1e3c1a'];
  if (side === 'server') reqRaw.push('x-envoy-peer-metadata', other, 'x-envoy-peer-metadata-id', 'sidecar~127.0.0.1~client.bench~bench.svc.cluster.local');
  if (side === 'server') reqRaw.push('x-forwarded-client-cert', 'By=spiffe://cluster.local/ns/bench/sa/echo;URI=spiffe://cluster.local/ns/bench/sa/client', 'x-envoy-attempt-count', '1');
  const resRaw = ['content-length', '3', 'content-type', 'text/plain', 'date', 'Sat, 05 Dec 2026 03:00:00 GMT'];
  if (side === 'client') resRaw.push('x-envoy-peer-metadata', other, 'x-envoy-peer-metadata-id', 'sidecar~127.0.0.1~echo.bench~bench.svc.cluster.local');
  resRaw.push('x-envoy-upstream-service-time', '1', 'server', 'envoy');
  const cluster = side === 'server' ? 'inbound|8080||' : 'outbound|8080||echo.bench.svc.cluster.local';
  return {
    run(): number {
      const stream = { conn, responseCode: 0, flags: null, startTime: Date.now(), bytesReceived: 0, bytesSent: 3, upstreamCluster: cluster, peer: undefined };
      const f: HttpFilter = factory({ stream } as unknown as FilterCallbacks);
      const head = { authority: 'echo.bench:8080', path: '/', method: 'GET', scheme: 'http' as const, headers: parsed(reqRaw) };
      f.decodeHeaders?.(head, true);
      let n = headerLines(forwardRequestHeaders(head.headers)).length; // the router's upstream request
      const res = { status: 200, headers: forwardResponseHeaders(parsed(resRaw)) };
      stream.responseCode = 200;
      f.encodeHeaders?.(res, true);
      n += headerLines(res.headers).length; // the downstream response head
      f.onDestroy?.();
      return n;
    },
  };
}

function nsPerRequest(s: Scenario, requests: number): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) sink += s.run();
  const ns = Number(process.hrtime.bigint() - t0) / requests;
  if (sink === 42) process.stdout.write(''); // keeps `sink` alive
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function main(): void {
  const f = benchFlags(process.argv.slice(2), { requests: 200_000, rounds: 7 });
  for (const side of ['server', 'client'] as const) {
    setLocalNodeMetadata(`sidecar~127.0.0.1~${side === 'server' ? 'echo' : 'client'}.bench~bench.svc.cluster.local`, NODE(side === 'server' ? 'echo' : 'client', side === 'server' ? 'echo' : 'client'));
    const store = new StatsStore();
    const on = scenario(side, true, store);
    const off = scenario(side, false, store);
    nsPerRequest(on, f.requests / 4); // JIT warm-up of both
    nsPerRequest(off, f.requests / 4);
    const rounds: { on: number; off: number }[] = [];
    for (let r = 0; r < f.rounds; r++) rounds.push({ off: nsPerRequest(off, f.requests), on: nsPerRequest(on, f.requests) });
    const cost = median(rounds.map((r) => r.on - r.off));
    process.stdout.write(
      `${side}: with istio.stats ${median(rounds.map((r) => r.on)).toFixed(0)} ns, without ${median(rounds.map((r) => r.off)).toFixed(0)} ns per request; ` +
        `filter cost ${cost.toFixed(0)} ns (median of ${f.rounds} rounds of ${f.requests})\n`,
    );
  }
}

main();
