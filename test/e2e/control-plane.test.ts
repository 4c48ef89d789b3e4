// E2E: a real `trellis control` process — apply over HTTP, revisions/rollback/diff, an ADS client that gets its config and turns SYNCED, invalid applies rejected whole, SIGTERM exits 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../src/xds/type-urls.js';
import { SimSidecar, sidecarNode } from '../control/xds/sim-sidecar.js';
import { CLI, waitFor } from './harness.js';

const SERVICES = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

const vs = (v1: number, v2: number) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${v2}}
`;

interface Control {
  proc: ChildProcess;
  xdsPort: number;
  httpPort: number;
  out(): string;
}

async function startControl(dataDir: string): Promise<Control> {
  const proc = spawn(process.execPath, [CLI, 'control', '--data-dir', dataDir, '--insecure-xds', '--xds-port', '0', '--xds-tls-port', '0', '--http-port', '0', '--debounce-ms', '20', '--registration-grace', '1s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ports = await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`control exited with ${proc.exitCode}:\n${out}`);
      const x = /^xds listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      const h = /^http listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      return x !== null && h !== null ? { xdsPort: Number(x[1]), httpPort: Number(h[1]) } : undefined;
    },
    15000,
    'control plane start-up lines',
  );
  // waitFor only returns once the check gave a value
  return { proc, xdsPort: ports!.xdsPort, httpPort: ports!.httpPort, out: () => out };
}

function exitCode(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

describe('trellis control (process)', () => {
  let dir: string;
  let cp: Control;
  const api = async <T>(method: string, p: string, body?: object): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${cp.httpPort}${p}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-trellis-author': 'e2e', authorization: `Bearer ${fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim()}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-control-'));
    cp = await startControl(dir);
  });
  after(async () => {
    if (cp.proc.exitCode === null) {
      cp.proc.kill('SIGKILL');
      await exitCode(cp.proc);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints exactly one start-up line per server and answers /ready', async () => {
    assert.equal(cp.out().match(/^xds listening on /gm)?.length, 1);
    assert.equal(cp.out().match(/^http listening on /gm)?.length, 1);
    const res = await fetch(`http://127.0.0.1:${cp.httpPort}/ready`);
    assert.equal(res.status, 200);
  });

  it('apply, revisions, rollback, diff', async () => {
    const a1 = await api<{ revision: number }>('POST', '/api/v1/apply', { text: SERVICES, message: 'services' });
    assert.equal(a1.status, 200);
    assert.equal(a1.body.revision, 1);
    assert.equal((await api<{ revision: number }>('POST', '/api/v1/apply', { text: vs(100, 0), message: 'all v1' })).body.revision, 2);
    assert.equal((await api<{ revision: number }>('POST', '/api/v1/apply', { text: vs(50, 50), message: 'canary' })).body.revision, 3);
    const hist = await api<{ revision: number; author: string; message: string; time: string }[]>('GET', '/api/v1/revisions');
    assert.deepEqual(hist.body.map((h) => [h.revision, h.author, h.message]), [
      [1, 'admin (e2e)', 'services'],
      [2, 'admin (e2e)', 'all v1'],
      [3, 'admin (e2e)', 'canary'],
    ]);
    assert.ok(!Number.isNaN(Date.parse(hist.body[0]!.time)));
    const diff = await api<{ key: string; op: string; before: { spec: unknown }; after: { spec: unknown } }[]>('GET', '/api/v1/diff?from=2&to=3');
    assert.deepEqual(diff.body.map((d) => [d.key, d.op]), [['VirtualService/default/reviews', 'changed']]);
    const rb = await api<{ revision: number }>('POST', '/api/v1/rollback', { to: 2 });
    assert.equal(rb.body.revision, 4);
    const now = await api<{ spec: { http: { route: { weight: number }[] }[] } }>('GET', '/api/v1/resources/VirtualService/default/reviews');
    assert.deepEqual(now.body.spec.http[0]!.route.map((r) => r.weight), [100, 0]);
    assert.deepEqual((await api<unknown[]>('GET', '/api/v1/diff?from=2&to=4')).body, []);
  });

  it('an invalid apply returns every error and changes nothing', async () => {
    const bad = `${vs(60, 60)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec: {}
---
kind: Nonsense
`;
    const r = await api<{ errors: { path: string; message: string }[] }>('POST', '/api/v1/apply', { text: bad });
    assert.equal(r.status, 400);
    const paths = r.body.errors.map((e) => e.path);
    assert.ok(paths.some((p) => p.startsWith('VirtualService default/reviews')), paths.join('\n'));
    assert.ok(paths.some((p) => p.startsWith('DestinationRule default/ratings')), paths.join('\n'));
    assert.ok(paths.some((p) => p.startsWith('document 3')), paths.join('\n'));
    assert.equal((await api<unknown[]>('GET', '/api/v1/revisions')).body.length, 4);
    const now = await api<{ spec: { http: { route: { weight: number }[] }[] } }>('GET', '/api/v1/resources/VirtualService/default/reviews');
    assert.deepEqual(now.body.spec.http[0]!.route.map((r) => r.weight), [100, 0]);
  });

  it('an ADS client with sidecar metadata gets listeners, clusters, routes, endpoints and turns SYNCED; config changes reach it', async () => {
    const envoy = new SimSidecar(cp.xdsPort, sidecarNode('reviews-v1-0', '127.0.0.1', { labels: 'app=reviews,version=v1', service: 'reviews', servicePort: 9080, appPort: 9081 }));
    try {
      await waitFor(() => envoy.namesOf(ROUTE_TYPE).length > 0 && envoy.namesOf(ENDPOINT_TYPE).length > 0, 5000, 'RDS and EDS');
      assert.ok(envoy.namesOf(LISTENER_TYPE).length > 0);
      assert.ok(envoy.namesOf(CLUSTER_TYPE).includes('outbound|9080|v1|reviews.default.svc.cluster.local'), envoy.namesOf(CLUSTER_TYPE).join());
      await waitFor(() => JSON.stringify(envoy.get(ENDPOINT_TYPE, 'outbound|9080|v1|reviews.default.svc.cluster.local') ?? {}).includes('127.0.0.1'), 5000, 'own endpoint');
      const proxy = await waitFor(
        async () => {
          const ps = (await api<{ id: string; status: string; types: Record<string, { status: string }> }[]>('GET', '/api/v1/proxies')).body;
          return ps.length === 1 && ps[0]!.status === 'SYNCED' ? ps[0] : undefined;
        },
        5000,
        'proxy SYNCED',
      );
      assert.ok(proxy !== undefined);
      assert.deepEqual(Object.keys(proxy.types).sort(), ['CDS', 'EDS', 'LDS', 'RDS']);
      for (const t of Object.values(proxy.types)) assert.equal(t.status, 'SYNCED');
      const routes = (await api<unknown[]>('GET', `/api/v1/proxies/${encodeURIComponent(proxy.id)}/config/routes`)).body;
      assert.ok(JSON.stringify(routes).includes('outbound|9080|v1|reviews.default.svc.cluster.local'));

      // the canary reaches the proxy as a new route configuration
      await api('POST', '/api/v1/apply', { text: vs(25, 75) });
      await waitFor(() => /"weight":75/.test(JSON.stringify([...(envoy.resources.get(ROUTE_TYPE)?.values() ?? [])])), 5000, 'canary weights in RDS');
    } finally {
      envoy.close();
    }
  });

  it('SIGTERM exits cleanly with status 0', async () => {
    cp.proc.kill('SIGTERM');
    assert.equal(await exitCode(cp.proc), 0);
  });
});
