// E2E: a real Prometheus (Debian's) scrapes a real mesh — a control plane and three mTLS sidecars under traffic — from
// the control plane's --prometheus-sd-file, and Istio's own query
// sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service) names the services.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/common/free-port.js';
import { startUpstream, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const PROMETHEUS = '/usr/bin/prometheus';

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const service = (name: string, port: number): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 9080, targetPort: ${port}}]
---
`;

describe('Prometheus scrapes the mesh from the generated target list', { skip: fs.existsSync(PROMETHEUS) ? false : `${PROMETHEUS} is not installed (scripts/install-system-deps.sh installs it)`, timeout: 120_000 }, () => {
  let control: Control;
  let prom: ChildProcess;
  let promPort: number;
  let dir: string;
  let promOut = '';
  let traffic: NodeJS.Timeout | undefined;
  const apps: Upstream[] = [];
  const sidecars: Sidecar[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-prom-'));
    const sdFile = path.join(dir, 'mesh-targets.json');
    control = await startControl({ extraArgs: ['--prometheus-sd-file', sdFile, '--metrics-interval', '1s'] });
    for (const name of ['reviews', 'ratings']) apps.push(await startUpstream(name, (req, res) => req.resume().on('end', () => res.end(name))));
    const applied = await applyYaml(control, service('reviews', apps[0]!.port) + service('ratings', apps[1]!.port));
    assert.equal(applied.code, 0, applied.stderr);
    for (const [i, name] of ['reviews', 'ratings'].entries()) {
      sidecars.push(await startSidecar(control, { service: name, labels: `app=${name},version=v1`, servicePort: 9080, appPort: apps[i]!.port, serviceAccount: name }));
    }
    const client = await startSidecar(control, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9081, serviceAccount: 'productpage' });
    sidecars.push(client);
    // steady traffic from productpage to both services, through its sidecar
    const send = (): void => {
      for (const s of ['reviews', 'ratings']) void get(client.outboundPort, `${s}.default.svc.cluster.local:9080`);
    };
    traffic = setInterval(send, 100);
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
    if (traffic !== undefined) clearInterval(traffic);
    if (prom !== undefined && prom.exitCode === null) {
      const exited = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    for (const s of sidecars) await s.stop();
    await control?.stop();
    for (const a of apps) await a.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Istio's dashboard query returns every service", async () => {
    const query = 'sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service)';
    const deadline = Date.now() + 60_000;
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
    assert.deepEqual(t.data.activeTargets.map((x) => x.labels.workload).sort(), ['productpage-v1', 'ratings-v1', 'reviews-v1']);
    assert.ok(t.data.activeTargets.every((x) => x.health === 'up'));
  });
});
