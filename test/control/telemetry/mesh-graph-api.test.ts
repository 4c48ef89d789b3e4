// Integration: a real control plane scrapes the metrics port its (simulated) proxies announce, keeps a Prometheus
// file_sd list of them, and serves /api/v1/stats, /stats/history and /graph to the admin only; a bad target is survived.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { SimSidecar, sidecarNode } from '../xds/sim-sidecar.js';
import { run } from '../../cli/harness.js';

const TD = 'spiffe://cluster.local/ns/default/sa';
const labels = (reporter: string): string =>
  `reporter="${reporter}",source_workload="productpage-v1",source_workload_namespace="default",source_principal="${TD}/productpage",source_app="productpage",source_version="v1",` +
  `destination_service="reviews.default.svc.cluster.local",destination_service_name="reviews",destination_service_namespace="default",destination_workload="reviews-v1",` +
  `destination_workload_namespace="default",destination_principal="${TD}/reviews",destination_app="reviews",destination_version="v1",request_protocol="http",connection_security_policy="${reporter === 'destination' ? 'mutual_tls' : 'unknown'}"`;

/** A proxy's metrics port: counters that grow by 10 requests (1 of them 503) per scrape. */
function metricsServer(reporter: string): Promise<{ server: http.Server; port: number; scrapes: () => number }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/stats/prometheus') return void res.writeHead(404).end();
    n++;
    const l = labels(reporter);
    res.end(
      `# TYPE istio_requests_total counter\nistio_requests_total{${l},response_code="200"} ${9 * n}\nistio_requests_total{${l},response_code="503"} ${n}\n` +
        `istio_request_duration_milliseconds_bucket{${l},response_code="200",le="1"} 0\nistio_request_duration_milliseconds_bucket{${l},response_code="200",le="5"} ${9 * n}\n` +
        `istio_request_duration_milliseconds_bucket{${l},response_code="200",le="+Inf"} ${9 * n}\nenvoy_server_live 1\n`,
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, scrapes: () => n })));
}

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the control plane gathers its proxies metrics', () => {
  let cp: ControlPlane;
  let dir: string;
  const servers: http.Server[] = [];
  const sims: SimSidecar[] = [];
  let sdFile: string;
  const get = async (p: string, token?: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`http://127.0.0.1:${cp.httpPort}${p}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-graph-'));
    sdFile = path.join(dir, 'targets.json');
    cp = await startControlPlane({ store: createMemoryStore(), xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: 20, metricsIntervalMs: 100, prometheusSdFile: sdFile });
    const dest = await metricsServer('destination');
    const src = await metricsServer('source');
    servers.push(dest.server, src.server);
    const node = (name: string, app: string, port: number | string) => {
      const n = sidecarNode(name, '127.0.0.1', { labels: `app=${app},version=v1`, service: app });
      return { ...n, metadata: { ...(n.metadata as object), TRELLIS_PROMETHEUS_PORT: String(port) } };
    };
    sims.push(new SimSidecar(cp.xdsPort!, node('reviews-v1-1', 'reviews', dest.port)));
    sims.push(new SimSidecar(cp.xdsPort!, node('productpage-v1-1', 'productpage', src.port)));
    // a target that refuses connections must not stop the others
    sims.push(new SimSidecar(cp.xdsPort!, node('broken-1', 'broken', 1)));
    await until(async () => (dest.scrapes() > 3 && src.scrapes() > 3 ? true : undefined), 'scrapes');
  });

  after(async () => {
    for (const s of sims) s.close();
    await cp.close();
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the graph: workload → service → workload, destination-reported, mTLS, with principals', async () => {
    const g = await until(async () => {
      const r = await get('/api/v1/graph?window=60s', cp.adminToken);
      return r.body.edges?.length === 2 ? r.body : undefined;
    }, 'two edges');
    assert.deepEqual(g.nodes.map((n: { id: string }) => n.id), ['service:default/reviews', 'workload:default/productpage-v1', 'workload:default/reviews-v1']);
    const front = g.edges.find((e: { source: string }) => e.source === 'workload:default/productpage-v1');
    assert.equal(front.target, 'service:default/reviews');
    assert.equal(front.mtls, true);
    assert.equal(front.successRate, 0.9);
    assert.ok(front.requestRate > 0);
    assert.ok(front.p99Ms > 1 && front.p99Ms <= 5, `p99 ${front.p99Ms}`);
    assert.deepEqual(front.sourcePrincipals, [`${TD}/productpage`]);
  });

  it('serves golden metrics and history per service and workload', async () => {
    const s = await get('/api/v1/stats?by=service', cp.adminToken);
    assert.equal(s.status, 200);
    assert.deepEqual(s.body.items.map((i: { name: string }) => i.name), ['reviews']);
    assert.equal(s.body.items[0].mtlsRate, 1);
    assert.deepEqual(s.body.items[0].workloads, ['reviews-v1']);
    const h = await get('/api/v1/stats/history?kind=workload&namespace=default&name=reviews-v1&window=1m&step=1s', cp.adminToken);
    assert.equal(h.status, 200);
    assert.ok(h.body.points.some((p: { requestRate: number }) => p.requestRate > 0));
  });

  it('trellis get metrics and trellis top --once print the golden metrics table', async () => {
    const env = { TRELLIS_SERVER: `http://127.0.0.1:${cp.httpPort}`, TRELLIS_TOKEN: cp.adminToken };
    const got = await run(['get', 'metrics'], { env });
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^NAMESPACE\s+NAME\s+REQ\/S\s+SUCCESS\s+P50\s+P90\s+P99\s+TCP CONN\s+MTLS\n/);
    assert.match(got.stdout, /\ndefault\s+reviews\s+[\d.]+\s+90\.00%\s+[\d.]+ms\s+[\d.]+ms\s+[\d.]+ms\s+0\s+100%\n/);
    const one = await run(['get', 'metrics', 'ratings'], { env });
    assert.match(one.stdout, /No traffic seen in the last 60s in namespace default/);
    const top = await run(['top', '--once', '--by', 'workload', '-o', 'wide'], { env });
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /\ndefault\s+reviews-v1\s/);
    const json = await run(['get', 'metrics', '-o', 'json'], { env });
    assert.equal((JSON.parse(json.stdout) as { name: string }[])[0]?.name, 'reviews');
    const denied = await run(['get', 'metrics'], { env: { ...env, TRELLIS_TOKEN: 'wrong' } });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /admin token/);
  });

  it('needs the admin credential, and says what is wrong with a bad query', async () => {
    for (const p of ['/api/v1/graph', '/api/v1/stats', '/api/v1/stats/history?name=x']) {
      assert.equal((await get(p)).status, 401, p);
      assert.equal((await get(p, 'not-the-token')).status, 401, p);
    }
    assert.match((await get('/api/v1/stats?window=forever', cp.adminToken)).body.error, /"window" must be a duration/);
    assert.match((await get('/api/v1/stats?window=2h', cp.adminToken)).body.error, /longer than the metrics kept/);
    assert.match((await get('/api/v1/stats?by=pod', cp.adminToken)).body.error, /service or workload/);
  });

  it('keeps a Prometheus file_sd list of the connected proxies', async () => {
    const list = await until(async () => {
      try {
        const l = JSON.parse(fs.readFileSync(sdFile, 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
        return l.length === 3 ? l : undefined;
      } catch {
        return undefined;
      }
    }, 'three targets');
    const reviews = list.find((t) => t.labels.workload === 'reviews-v1');
    assert.equal(reviews?.labels.__metrics_path__, '/stats/prometheus');
    assert.equal(reviews?.labels.namespace, 'default');
    assert.match(reviews?.targets[0] ?? '', /^127\.0\.0\.1:\d+$/);
    sims.pop()!.close();
    await until(async () => ((JSON.parse(fs.readFileSync(sdFile, 'utf8')) as unknown[]).length === 2 ? true : undefined), 'the disconnected proxy removed');
  });
});
