// HTTP API tests against a real control plane (memory store, ports 0): resources, apply/delete, history, rollback, diff, analyze, proxies, metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startControlPlane, type ControlPlane } from '../../../src/control/server.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';
import { until } from '../xds/ads-client.js';
import { SimSidecar, sidecarNode } from '../xds/sim-sidecar.js';

const BASE = `
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: reviews}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

const CANARY = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
`;

const INVALID = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 20}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec: {}
`;

interface Res {
  status: number;
  body: unknown;
}

describe('control plane HTTP API', () => {
  let cp: ControlPlane;
  let base: string;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cp.adminToken}`, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* text bodies (metrics, ready) */
    }
    return { status: res.status, body: parsed };
  }
  // eslint-style helper: typed access to JSON bodies in assertions
  const j = <T>(r: Res): T => r.body as T;

  before(async () => {
    cp = await startControlPlane({ store: createMemoryStore(), xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: 20, registrationGraceMs: 200 });
    base = `http://127.0.0.1:${cp.httpPort}`;
  });
  after(async () => {
    await cp.close();
    await cp.store.close();
  });

  it('is ready', async () => {
    const r = await call('GET', '/ready');
    assert.equal(r.status, 200);
  });

  it('apply: created, then unchanged/updated; author is the identity, a claimed name a note beside it; dry run changes nothing', async () => {
    const r1 = await call('POST', '/api/v1/apply', { text: BASE, message: 'base' }, { 'x-trellis-author': 'alice' });
    assert.equal(r1.status, 200);
    assert.deepEqual(r1.body, {
      revision: 1,
      changes: [
        { key: 'Service/default/reviews', op: 'created' },
        { key: 'DestinationRule/default/reviews', op: 'created' },
      ],
    });
    const dry = await call('POST', '/api/v1/apply', { text: BASE + '---' + CANARY, dryRun: true });
    assert.deepEqual(j<{ changes: unknown[] }>(dry).changes, [
      { key: 'Service/default/reviews', op: 'unchanged' },
      { key: 'DestinationRule/default/reviews', op: 'unchanged' },
      { key: 'VirtualService/default/reviews', op: 'created' },
    ]);
    assert.equal(j<{ revision: number }>(dry).revision, 1);
    const r2 = await call('POST', '/api/v1/apply', { text: BASE.replace('port: 9080', 'port: 9081'), author: 'bob' });
    assert.deepEqual(j<{ revision: number; changes: unknown[] }>(r2), {
      revision: 2,
      changes: [
        { key: 'Service/default/reviews', op: 'updated' },
        { key: 'DestinationRule/default/reviews', op: 'unchanged' },
      ],
    });
    const hist = j<{ revision: number; author: string; message: string }[]>(await call('GET', '/api/v1/revisions'));
    assert.deepEqual(hist.map((h) => [h.revision, h.author, h.message]), [
      [1, 'admin (alice)', 'base'],
      [2, 'admin (bob)', 'apply'],
    ]);
  });

  it('valid Istio that trellis cannot honour yet (a tcp subnet match) is refused by name and changes nothing', async () => {
    const before = j<unknown[]>(await call('GET', '/api/v1/revisions')).length;
    const tcp = CANARY + '  tcp:\n  - match: [{sourceSubnet: 10.0.0.0/8}]\n    route: [{destination: {host: reviews, port: {number: 5000}}}]\n';
    const r = await call('POST', '/api/v1/apply', { text: tcp });
    assert.equal(r.status, 400, JSON.stringify(r));
    const errors = j<{ errors: { path: string; message: string }[] }>(r).errors;
    assert.ok(errors.some((e) => /spec\.tcp\[0\]\.match\[0\]\.sourceSubnet$/.test(e.path) && /not supported by trellis yet/.test(e.message)), JSON.stringify(errors));
    assert.equal(j<unknown[]>(await call('GET', '/api/v1/revisions')).length, before);
  });

  it('an invalid apply returns every error and changes nothing', async () => {
    const before = j<unknown[]>(await call('GET', '/api/v1/revisions')).length;
    const r = await call('POST', '/api/v1/apply', { text: CANARY + '---' + INVALID });
    assert.equal(r.status, 400);
    const errors = j<{ errors: { path: string; message: string }[] }>(r).errors;
    assert.ok(errors.length >= 2, JSON.stringify(errors));
    assert.ok(errors.some((e) => e.path.startsWith('VirtualService default/broken') && /100/.test(e.message)));
    assert.ok(errors.some((e) => e.path.startsWith('DestinationRule default/ratings')));
    assert.equal(j<unknown[]>(await call('GET', '/api/v1/revisions')).length, before);
    assert.equal((await call('GET', '/api/v1/resources/VirtualService/default/reviews')).status, 404);
  });

  it('resources: list with filters, get one, 404 with {error}', async () => {
    const all = j<{ kind: string }[]>(await call('GET', '/api/v1/resources'));
    assert.deepEqual(all.map((r) => r.kind).sort(), ['DestinationRule', 'Service']);
    const drs = j<{ metadata: { name: string } }[]>(await call('GET', '/api/v1/resources?kind=DestinationRule&namespace=default'));
    assert.deepEqual(drs.map((r) => r.metadata.name), ['reviews']);
    assert.deepEqual(j<unknown[]>(await call('GET', '/api/v1/resources?namespace=prod')), []);
    const one = await call('GET', '/api/v1/resources/Service/default/reviews');
    assert.equal(one.status, 200);
    assert.equal(j<{ spec: { ports: { port: number }[] } }>(one).spec.ports[0]!.port, 9081);
    const missing = await call('GET', '/api/v1/resources/Service/default/nope');
    assert.equal(missing.status, 404);
    assert.match(j<{ error: string }>(missing).error, /not found/);
  });

  it('rollback restores an old revision as a new one; diff shows the changes', async () => {
    const rb = await call('POST', '/api/v1/rollback', { to: 1, message: 'undo port' });
    assert.equal(rb.status, 200);
    assert.equal(j<{ revision: number }>(rb).revision, 3);
    const port = j<{ spec: { ports: { port: number }[] } }>(await call('GET', '/api/v1/resources/Service/default/reviews')).spec.ports[0]!.port;
    assert.equal(port, 9080);
    const diff = j<{ key: string; op: string; before?: unknown; after?: unknown }[]>(await call('GET', '/api/v1/diff?from=1&to=2'));
    assert.deepEqual(diff.map((d) => [d.key, d.op]), [['Service/default/reviews', 'changed']]);
    assert.ok(diff[0]!.before !== undefined && diff[0]!.after !== undefined);
    assert.deepEqual(j<unknown[]>(await call('GET', '/api/v1/diff?from=1&to=3')), []);
    assert.equal((await call('POST', '/api/v1/rollback', { to: 99 })).status, 400);
    assert.equal((await call('POST', '/api/v1/rollback', { to: 'x' })).status, 400);
    const limited = j<{ revision: number }[]>(await call('GET', '/api/v1/revisions?limit=2'));
    assert.deepEqual(limited.map((h) => h.revision), [2, 3]);
  });

  it('delete by keys and by documents; a missing key deletes nothing (404)', async () => {
    await call('POST', '/api/v1/apply', { text: CANARY });
    const rev = j<{ revision: number }[]>(await call('GET', '/api/v1/revisions')).at(-1)!.revision;
    const bad = await call('POST', '/api/v1/delete', { keys: ['VirtualService/default/reviews', 'Gateway/default/none'] });
    assert.equal(bad.status, 404);
    assert.deepEqual(j<{ errors: { path: string }[] }>(bad).errors.map((e) => e.path), ['Gateway/default/none']);
    assert.equal((await call('GET', '/api/v1/resources/VirtualService/default/reviews')).status, 200);
    const del = await call('POST', '/api/v1/delete', { text: CANARY, message: 'drop canary' });
    assert.deepEqual(del.body, { revision: rev + 1, deleted: ['VirtualService/default/reviews'] });
    assert.equal((await call('POST', '/api/v1/delete', { keys: ['nonsense'] })).status, 400);
    await call('POST', '/api/v1/apply', { text: CANARY });
  });

  it('analyze: current config plus the given documents', async () => {
    const r = await call('POST', '/api/v1/analyze', {
      text: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ghost}
spec: {hosts: [ghost], http: [{route: [{destination: {host: ghost}}]}]}
`,
    });
    assert.equal(r.status, 200);
    const codes = j<{ messages: { code: string; resource: string }[] }>(r).messages.map((m) => `${m.code} ${m.resource}`);
    assert.ok(codes.includes('IST0101 VirtualService default/ghost'), codes.join('\n'));
    assert.equal(j<{ messages: unknown[] }>(await call('POST', '/api/v1/analyze', {})).messages.length, 0);
  });

  it('malformed bodies are 400 with a message; unknown routes 404', async () => {
    for (const body of ['not json', '[]', '{"text": 5}']) {
      const r = await call('POST', '/api/v1/apply', body);
      assert.equal(r.status, 400, body);
      assert.equal(typeof j<{ error: string }>(r).error, 'string');
    }
    assert.equal((await call('GET', '/api/v1/nothing')).status, 404);
    assert.equal((await call('POST', '/api/v1/analyze', '{')).status, 400);
  });

  it('proxies: a connected sidecar registers, receives its config, turns SYNCED; config as sent; EDS-only push when a peer joins', async () => {
    const envoy = new SimSidecar(cp.xdsPort!, sidecarNode('reviews-v1', '10.0.0.11', { labels: 'app=reviews,version=v1', service: 'reviews', servicePort: 9080, appPort: 9081 }));
    try {
      await until(() => envoy.namesOf(ROUTE_TYPE).length > 0 && envoy.namesOf(ENDPOINT_TYPE).length > 0, 5000);
      assert.ok(envoy.namesOf(CLUSTER_TYPE).includes('outbound|9080|v2|reviews.default.svc.cluster.local'), envoy.namesOf(CLUSTER_TYPE).join());
      assert.deepEqual(envoy.namesOf(LISTENER_TYPE).length >= 1, true);
      // its own registration makes it an endpoint of reviews (selector app=reviews), pushed over EDS
      await until(() => JSON.stringify(envoy.get(ENDPOINT_TYPE, 'outbound|9080|v1|reviews.default.svc.cluster.local') ?? {}).includes('10.0.0.11'), 5000);
      let proxies: { id: string; status: string; namespace: string; labels: Record<string, string>; address: string; types: Record<string, { status: string }> }[] = [];
      const poll = async () => {
        proxies = j<typeof proxies>(await call('GET', '/api/v1/proxies'));
        return proxies.length === 1 && proxies[0]!.status === 'SYNCED';
      };
      const t0 = Date.now();
      while (!(await poll()) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      const p = proxies[0]!;
      assert.equal(p.status, 'SYNCED', JSON.stringify(p));
      assert.equal(p.namespace, 'default');
      assert.equal(p.address, '10.0.0.11');
      assert.deepEqual(p.labels, { app: 'reviews', version: 'v1' });
      assert.deepEqual(Object.keys(p.types).sort(), ['CDS', 'EDS', 'LDS', 'RDS']);

      const listeners = j<{ name: string }[]>(await call('GET', `/api/v1/proxies/${encodeURIComponent(p.id)}/config/listeners`));
      assert.deepEqual(listeners.map((l) => l.name).sort(), envoy.namesOf(LISTENER_TYPE));
      const all = j<Record<string, unknown[]>>(await call('GET', `/api/v1/proxies/${encodeURIComponent(p.id)}/config/all`));
      assert.deepEqual(Object.keys(all).sort(), ['clusters', 'endpoints', 'listeners', 'routes']);
      assert.equal((await call('GET', '/api/v1/proxies/nobody/config/all')).status, 404);
      assert.equal((await call('GET', `/api/v1/proxies/${encodeURIComponent(p.id)}/config/secrets`)).status, 404);

      // a second workload joins: the first proxy gets only EDS
      const seen = envoy.received.length;
      const peer = new SimSidecar(cp.xdsPort!, sidecarNode('reviews-v2', '10.0.0.12', { labels: 'app=reviews,version=v2', service: 'reviews', servicePort: 9080, appPort: 9081 }));
      try {
        await until(() => JSON.stringify(envoy.get(ENDPOINT_TYPE, 'outbound|9080|v2|reviews.default.svc.cluster.local') ?? {}).includes('10.0.0.12'), 5000);
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual([...new Set(envoy.received.slice(seen))], [ENDPOINT_TYPE]);
        const metrics = String((await call('GET', '/metrics')).body);
        assert.match(metrics, /^pilot_xds 2$/m);
        assert.match(metrics, /^pilot_xds_pushes\{type="eds"\} \d+$/m);
        assert.match(metrics, /^pilot_proxy_convergence_time_count \d+$/m);
        assert.match(metrics, /^pilot_xds_push_time_bucket\{type="cds",le="\+Inf"\} \d+$/m);
        assert.match(metrics, /^pilot_services 1$/m);
        assert.match(metrics, /^trellis_config_revision \d+$/m);
        assert.match(metrics, /^process_resident_memory_bytes \d+$/m);
        assert.match(metrics, /^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);
      } finally {
        peer.close();
      }

    } finally {
      envoy.close();
    }
    // after the grace period both workloads are gone from the registry
    await until(() => cp.registry.workloads().length === 0, 3000);
  });

  it('a Delta sidecar gets its outbound virtual hosts by VHDS; config/routes shows them merged into the route config', async () => {
    const envoy = new SimSidecar(cp.xdsPort!, sidecarNode('ratings-v1', '10.0.0.21', { labels: 'app=ratings' }), { api: 'delta' });
    try {
      const vhost = 'outbound/reviews.default.svc.cluster.local:9080';
      await until(() => envoy.get(VIRTUAL_HOST_TYPE, vhost) !== undefined, 5000);
      const rc = envoy.get(ROUTE_TYPE, 'outbound');
      assert.ok(rc?.vhds !== undefined && rc.virtual_hosts === undefined, JSON.stringify(rc));
      const id = j<{ id: string }[]>(await call('GET', '/api/v1/proxies')).find((p) => p.id.includes('ratings-v1'))!.id;
      const routes = j<{ name: string; virtual_hosts?: { name: string }[] }[]>(await call('GET', `/api/v1/proxies/${encodeURIComponent(id)}/config/routes`));
      const outbound = routes.find((r) => r.name === 'outbound');
      assert.deepEqual(
        outbound?.virtual_hosts?.map((v) => v.name),
        envoy.namesOf(VIRTUAL_HOST_TYPE).map((n) => n.slice('outbound/'.length)),
      );
      assert.ok(outbound?.virtual_hosts?.some((v) => v.name === 'reviews.default.svc.cluster.local:9080'));
    } finally {
      envoy.close();
    }
  });
  it('writes need the admin token (401 + WWW-Authenticate), a JSON/YAML body (415) and no foreign Origin (403); reads (and analyze) stay open', async () => {
    const before = j<unknown[]>(await call('GET', '/api/v1/revisions')).length;
    const noAuth = { authorization: '' };
    for (const [path, body] of [['/api/v1/apply', { text: CANARY }], ['/api/v1/delete', { keys: ['Service/default/reviews'] }], ['/api/v1/rollback', { to: 1 }], ['/api/v1/tokens', { namespace: 'a', serviceAccount: 'b' }]] as const) {
      const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 401, path);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(typeof ((await r.json()) as { error: string }).error, 'string');
    }
    assert.equal((await call('POST', '/api/v1/apply', { text: CANARY }, { authorization: `Bearer ${cp.adminToken}x` })).status, 401);
    assert.equal((await call('POST', '/api/v1/apply', { text: CANARY }, noAuth)).status, 401);
    // the attack this closes: a page posting text/plain (no preflight) that the server parsed as JSON anyway
    assert.equal((await call('POST', '/api/v1/apply', JSON.stringify({ text: CANARY }), { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await call('POST', '/api/v1/apply', { text: CANARY }, { origin: 'https://evil.example' })).status, 403);
    assert.equal(j<unknown[]>(await call('GET', '/api/v1/revisions', undefined, noAuth)).length, before);
    assert.equal((await call('GET', '/api/v1/resources', undefined, noAuth)).status, 200);
    // analyze is a POST that changes nothing: open like a read
    assert.equal((await call('POST', '/api/v1/analyze', { text: CANARY }, noAuth)).status, 200);
    assert.equal((await call('POST', '/api/v1/apply', { text: CANARY }, { origin: base })).status, 200);
  });

  it('POST /api/v1/tokens signs an identity token that verifies to the identity; bad names and TTLs are 400', async () => {
    const r = j<{ token: string; subject: string; expiresAt: string }>(await call('POST', '/api/v1/tokens', { namespace: 'default', serviceAccount: 'reviews', ttlSeconds: 120 }));
    assert.equal(r.subject, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.deepEqual(await cp.identityTokens.verify(r.token), { ok: true, value: { namespace: 'default', serviceAccount: 'reviews' } });
    assert.ok(Math.abs(Date.parse(r.expiresAt) - Date.now() - 120_000) < 5000);
    assert.equal((await call('POST', '/api/v1/tokens', { namespace: 'a/b', serviceAccount: 'x' })).status, 400);
    assert.equal((await call('POST', '/api/v1/tokens', { namespace: 'a', serviceAccount: 'x', ttlSeconds: 0 })).status, 400);
    assert.equal((await call('POST', '/api/v1/tokens', { namespace: 'a' })).status, 400);
  });
});
