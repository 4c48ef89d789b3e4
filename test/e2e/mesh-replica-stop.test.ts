// E2E: one of two replicas going away (its sidecar stopped with SIGTERM) under steady traffic fails no request: the
// sidecar ends its ADS stream cleanly first, so the control plane withdraws its endpoint at once (no grace period),
// and Istio's default retries (connect-failure …, another host each try) cover the requests already on their way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host: 'reviews:9080' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

describe('a replica going away under traffic', { timeout: 90_000 }, () => {
  let control: Control;
  const apps: Upstream[] = [];
  const sidecars: Sidecar[] = [];

  before(async () => {
    control = await startControl();
    apps.push(await startUpstream('reviews-a'), await startUpstream('reviews-b'));
    const applied = await applyYaml(control, `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  ports: [{name: http, port: 9080}]
  selector: {app: reviews}
`);
    assert.equal(applied.code, 0, applied.stderr);
    for (const [i, a] of apps.entries()) sidecars.push(await startSidecar(control, { service: 'reviews', labels: `app=reviews,version=v${i + 1}`, servicePort: 9080, appPort: a.port, serviceAccount: 'reviews' }));
    sidecars.push(await startSidecar(control, { service: 'productpage', labels: 'app=productpage', servicePort: 9081, serviceAccount: 'productpage' }));
  });

  after(async () => {
    for (const s of sidecars) await s.stop();
    await control?.stop();
    for (const a of apps) await a.close();
  });

  it('stopping one of two sidecars fails no request', async () => {
    const client = sidecars[2]!;
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add((await get(client.outboundPort)).body);
      return seen.size === 2 ? true : undefined;
    }, 20_000, 'both replicas answer', 100);
    const results: number[] = [];
    const bodies: string[] = [];
    let running = true;
    // steady traffic: 4 concurrent callers, back to back
    const callers = Array.from({ length: 4 }, async () => {
      while (running) {
        const r = await get(client.outboundPort);
        results.push(r.status);
        if (r.status !== 200) bodies.push(r.body);
      }
    });
    await waitFor(() => (results.length >= 100 ? true : undefined), 10_000, 'traffic flowing', 10);
    await sidecars[0]!.stop();
    const at = results.length;
    await waitFor(() => (results.length >= at + 300 ? true : undefined), 30_000, 'traffic after the stop', 10);
    running = false;
    await Promise.all(callers);
    const failed = results.filter((s) => s !== 200);
    assert.equal(failed.length, 0, `${failed.length} of ${results.length} requests failed: ${[...new Set(bodies)].join(' | ')}`);
  });
});
