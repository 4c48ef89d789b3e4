// E2E: VirtualService delegation through a real `trellis control` and sidecars — a root VirtualService hands /api to a hostless
// delegate that splits by path; editing only the delegate re-routes; the root's corsPolicy (unmatchedPreflights: IGNORE) reaches
// the delegate routes, so a preflight from an unlisted origin is answered by the sidecar and never reaches the app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, startUpstream, waitFor, type Reply, type Upstream } from './harness.js';
import { applyYaml, serviceWithSubsets, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const BASE = `${serviceWithSubsets('reviews', 9080)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    delegate: {name: reviews-api}
    corsPolicy:
      allowOrigins: [{exact: "https://app.example"}]
      allowMethods: [GET]
      unmatchedPreflights: IGNORE
  - route: [{destination: {host: reviews, subset: v1}}]
`;

/** The delegate: /api/<first> → `first`, everything else under /api → `rest`. */
const delegate = (first: string, firstSubset: string, restSubset: string): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-api, namespace: default}
spec:
  http:
  - match: [{uri: {prefix: /api/${first}}}]
    route: [{destination: {host: reviews, subset: ${firstSubset}}}]
  - route: [{destination: {host: reviews, subset: ${restSubset}}}]
`;

describe('mesh: VirtualService delegation through trellis control and sidecars', { timeout: 60_000 }, () => {
  let cp: Control;
  const apps: Upstream[] = [];
  const sidecars: Sidecar[] = [];
  let client: Sidecar;

  const call = (path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> => request(client.outboundPort, { path, method, host: 'reviews:9080', headers });
  const versionOf = async (path: string): Promise<string> => {
    const r = await call(path);
    return r.status === 200 ? String(r.headers['x-version'] ?? '') : `status ${r.status}`;
  };
  /** Every path answered by its expected version, several times (the default route before the push spreads over both). */
  const routedAs = async (want: Record<string, string>): Promise<boolean> => {
    for (let i = 0; i < 6; i++) for (const [path, v] of Object.entries(want)) if ((await versionOf(path)) !== v) return false;
    return true;
  };
  const optionsSeen = (): number => apps.reduce((n, a) => n + a.requests.filter((q) => q.method === 'OPTIONS').length, 0);

  before(async () => {
    cp = await startControl();
    for (const v of ['v1', 'v2']) {
      const app = await startUpstream(`reviews-${v}`, (req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('x-version', v);
          res.end(v);
        });
      });
      apps.push(app);
      sidecars.push(await startSidecar(cp, { service: 'reviews', labels: `app=reviews,version=${v}`, servicePort: 9080, appPort: app.port }));
    }
    client = await startSidecar(cp, { service: 'productpage', labels: 'app=productpage', servicePort: 9080 });
    sidecars.push(client);
  });

  after(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all(apps.map((a) => a.close()));
    if (cp !== undefined) await cp.stop();
  });

  it('the root hands /api to the delegate, whose routes split by path; the rest stays on the root', async () => {
    const r = await applyYaml(cp, BASE + '---' + delegate('v2', 'v2', 'v1'), 'reviews: root + delegate');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const want = { '/api/v2/items': 'v2', '/api/other': 'v1', '/v2/not-api': 'v1' };
    await waitFor(() => routedAs(want), 10_000, '/api/v2 routed to v2 by the delegate, the rest to v1');
    for (const [path, v] of Object.entries(want)) for (let i = 0; i < 10; i++) assert.equal(await versionOf(path), v, path);
  });

  it('the root corsPolicy applies to delegate routes: an unmatched preflight is answered by the sidecar (IGNORE)', async () => {
    const before = optionsSeen();
    const evil = await call('/api/v2/items', 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'GET' });
    assert.equal(evil.status, 200);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
    assert.equal(evil.headers['x-version'], undefined, 'answered by the sidecar, not the app');
    const good = await call('/api/v2/items', 'OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'GET' });
    assert.equal(good.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(good.headers['access-control-allow-methods'], 'GET');
    assert.equal(optionsSeen(), before, 'no preflight reached an app');
  });

  it('editing only the delegate re-routes the root host', async () => {
    const r = await applyYaml(cp, delegate('v1', 'v2', 'v1'), 'reviews-api: /api/v1 → v2');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // /api/v2 falls to the delegate's catch-all now: the old delegate route is gone
    const want = { '/api/v1/items': 'v2', '/api/v2/items': 'v1', '/v2/not-api': 'v1' };
    await waitFor(() => routedAs(want), 10_000, '/api/v1 routed to v2 after the delegate edit');
    for (const [path, v] of Object.entries(want)) for (let i = 0; i < 10; i++) assert.equal(await versionOf(path), v, path);
  });
});
