// E2E: a real Prometheus (Debian's) scrapes the mesh from the control plane's --prometheus-sd-file, and Istio's own
// query — sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service) — names the services.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/control/server.js';
import { createMemoryStore } from '../../src/control/store/index.js';
import { SimSidecar, sidecarNode } from '../control/xds/sim-sidecar.js';
import { freePort } from '../../src/proxy/xds/sidecar-bootstrap.js';

const PROMETHEUS = '/usr/bin/prometheus';

/** A proxy's metrics port as Istio's sidecars serve it: destination-reported requests to `service`, growing per scrape. */
function proxyMetrics(service: string): Promise<{ server: http.Server; port: number }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/stats/prometheus') return void res.writeHead(404).end();
    n += 10;
    const l = `reporter="destination",source_workload="productpage-v1",source_workload_namespace="default",destination_service="${service}.default.svc.cluster.local",destination_service_name="${service}",destination_service_namespace="default",destination_workload="${service}-v1",destination_workload_namespace="default",request_protocol="http",response_code="200",connection_security_policy="mutual_tls"`;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`# TYPE istio_requests_total counter\nistio_requests_total{${l}} ${n}\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('Prometheus scrapes the mesh from the generated target list', { skip: fs.existsSync(PROMETHEUS) ? false : `${PROMETHEUS} is not installed (scripts/install-system-deps.sh installs it)`, timeout: 60_000 }, () => {
  let cp: ControlPlane;
  let prom: ChildProcess;
  let promPort: number;
  let dir: string;
  let promOut = '';
  const servers: http.Server[] = [];
  const sims: SimSidecar[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-prom-'));
    const sdFile = path.join(dir, 'mesh-targets.json');
    cp = await startControlPlane({ store: createMemoryStore(), xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: 20, metricsIntervalMs: 500, prometheusSdFile: sdFile });
    for (const svc of ['reviews', 'ratings']) {
      const m = await proxyMetrics(svc);
      servers.push(m.server);
      const n = sidecarNode(`${svc}-v1-1`, '127.0.0.1', { labels: `app=${svc},version=v1`, service: svc });
      sims.push(new SimSidecar(cp.xdsPort!, { ...n, metadata: { ...(n.metadata as object), TRELLIS_PROMETHEUS_PORT: String(m.port) } }));
    }
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n- job_name: trellis-mesh\n  file_sd_configs: [{files: ['${sdFile}'], refresh_interval: 1s}]\n`,
    );
    promPort = await freePort();
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d: Buffer) => (promOut += d.toString()));
    prom.stderr!.on('data', (d: Buffer) => (promOut += d.toString()));
  });

  after(async () => {
    if (prom !== undefined && prom.exitCode === null) {
      const exited = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    for (const s of sims) s.close();
    await cp?.close();
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Istio's dashboard query returns every service", async () => {
    const query = 'sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service)';
    const deadline = Date.now() + 45_000;
    let last = '';
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(query)}`);
        last = await res.text();
        const body = JSON.parse(last) as { data?: { result?: { metric: { destination_service?: string }; value: [number, string] }[] } };
        const services = (body.data?.result ?? []).filter((r) => Number(r.value[1]) > 0).map((r) => r.metric.destination_service).sort();
        if (services.length === 2) {
          assert.deepEqual(services, ['ratings.default.svc.cluster.local', 'reviews.default.svc.cluster.local']);
          break;
        }
      } catch {
        // Prometheus still starting
      }
      if (Date.now() > deadline) assert.fail(`no answer naming both services; last: ${last}\n${promOut.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // the targets carry the workload identity from the file_sd labels
    const t = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } };
    assert.deepEqual(t.data.activeTargets.map((x) => x.labels.workload).sort(), ['ratings-v1', 'reviews-v1']);
    assert.ok(t.data.activeTargets.every((x) => x.health === 'up'));
  });
});
