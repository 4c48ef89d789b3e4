// Ingestion tests: the pure snapshot builder, change classification (endpoint-only → EDS), and the debounced store/registry loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources } from '../../../src/api/index.js';
import type { MeshResource } from '../../../src/api/types.js';
import type { ChangeKind } from '../../../src/control/model/types.js';
import type { RegisteredWorkload, RegistryEvent, WorkloadSource } from '../../../src/control/registry/types.js';
import { buildMeshSnapshot } from '../../../src/control/snapshot/build.js';
import { changedKinds, typesToPush } from '../../../src/control/snapshot/changes.js';
import { Ingestion, type Rebuild } from '../../../src/control/snapshot/ingestion.js';
import { createMemoryStore, type StoredResource } from '../../../src/control/store/index.js';
import { edsGenerator } from '../../../src/control/translate/eds.js';
import { proxyNode } from '../../../src/control/model/builders.js';
import { get } from '../translate/helpers.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/control/translate/generator.js';
import { SECRET_TYPE } from '../../../src/xds/type-urls.js';

const YAML = `
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}]}
`;

function load(text: string): MeshResource[] {
  const r = loadResources(text);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

function wl(name: string, ip: string, labels: Record<string, string>, extra: Partial<RegisteredWorkload> = {}): RegisteredWorkload {
  return { key: `registry/workloads/default/${name}`, name, namespace: 'default', labels, serviceAccount: '', address: ip, port: 15006, proxyType: 'sidecar', weight: 1, ...extra };
}

/** A registry whose workloads the test sets directly. */
class FakeRegistry implements WorkloadSource {
  list: RegisteredWorkload[] = [];
  private readonly fns = new Set<(ev: RegistryEvent) => void>();
  workloads(): readonly RegisteredWorkload[] {
    return this.list;
  }
  onChange(fn: (ev: RegistryEvent) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  set(list: RegisteredWorkload[]): void {
    this.list = list;
    for (const fn of this.fns) fn({ kind: 'endpoints', key: 'x', op: 'put' });
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stored = (rs: MeshResource[]): StoredResource[] => rs.map((r) => ({ ...r, metadata: { ...r.metadata } }));

describe('buildMeshSnapshot', () => {
  it('derives services and endpoints, deterministically regardless of input order', () => {
    const rs = load(YAML);
    const ws = [wl('b', '10.0.0.2', { app: 'reviews', version: 'v2' }), wl('a', '10.0.0.1', { app: 'reviews', version: 'v1' }), wl('e', '10.0.0.9', {}, { serviceName: 'echo', servicePort: 8080 })];
    const s1 = buildMeshSnapshot({ resources: rs, workloads: ws, version: '1' });
    const s2 = buildMeshSnapshot({ resources: [...rs].reverse(), workloads: [...ws].reverse(), version: '1' });
    assert.equal(JSON.stringify(s1.services), JSON.stringify(s2.services));
    assert.equal(JSON.stringify(s1.instances), JSON.stringify(s2.instances));
    assert.deepEqual(s1.services.map((s) => s.hostname), ['echo.default.svc.cluster.local', 'reviews.default.svc.cluster.local']);
    assert.deepEqual(s1.index.instancesByService.get('reviews.default.svc.cluster.local')?.map((i) => i.address), ['10.0.0.1', '10.0.0.2']);
    assert.equal(s1.destinationRules.length, 1);
  });
});

describe('changedKinds / typesToPush', () => {
  const rs = load(YAML);
  const a = buildMeshSnapshot({ resources: rs, workloads: [wl('a', '10.0.0.1', { app: 'reviews' })], version: '1' });

  it('endpoint-only registry changes push EDS only', () => {
    const b = buildMeshSnapshot({ resources: rs, workloads: [wl('a', '10.0.0.1', { app: 'reviews' }), wl('b', '10.0.0.2', { app: 'reviews' })], version: '2' });
    const changed = changedKinds(a, b, new Set());
    assert.deepEqual([...changed], ['endpoints']);
    assert.deepEqual(typesToPush(changed), [ENDPOINT_TYPE]);
  });

  it('a workload declaring a new service changes services too (full push of the affected types)', () => {
    const b = buildMeshSnapshot({ resources: rs, workloads: [wl('a', '10.0.0.1', { app: 'reviews' }), wl('e', '10.0.0.9', {}, { serviceName: 'echo', servicePort: 8080 })], version: '2' });
    const changed = changedKinds(a, b, new Set());
    assert.deepEqual([...changed].sort(), ['Service', 'endpoints', 'identities']);
    assert.ok(typesToPush(changed).includes(CLUSTER_TYPE));
  });

  it('a new service account behind a service is an identity change: CDS is pushed (the SANs clients verify)', () => {
    const b = buildMeshSnapshot({ resources: rs, workloads: [wl('a', '10.0.0.1', { app: 'reviews' }), { ...wl('b', '10.0.0.2', { app: 'reviews' }), serviceAccount: 'other' }], version: '2' });
    const changed = changedKinds(a, b, new Set());
    assert.deepEqual([...changed].sort(), ['endpoints', 'identities']);
    assert.deepEqual(typesToPush(changed), [CLUSTER_TYPE, ENDPOINT_TYPE]);
  });

  it('store kinds pass through; nothing changed means nothing to push; no previous snapshot means everything', () => {
    const same = buildMeshSnapshot({ resources: rs, workloads: [wl('a', '10.0.0.1', { app: 'reviews' })], version: '2' });
    assert.deepEqual([...changedKinds(a, same, new Set())], []);
    assert.deepEqual(typesToPush(new Set()), []);
    assert.deepEqual([...changedKinds(a, same, new Set(['VirtualService']))], ['VirtualService']);
    const all = typesToPush(changedKinds(undefined, a, new Set()));
    assert.deepEqual([...all].sort(), [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, SECRET_TYPE].sort());
  });
});

describe('Ingestion', () => {
  async function setup(debounceMs: number) {
    const store = createMemoryStore();
    await store.commit(stored(load(YAML)).map((resource) => ({ op: 'put' as const, resource })), { author: 't', message: 'seed' });
    const registry = new FakeRegistry();
    const pushes: { types: readonly string[]; changed: ReadonlySet<ChangeKind> }[] = [];
    const ing = new Ingestion({ store, registry, debounceMs, push: (types, changed) => pushes.push({ types, changed }) });
    const rebuilds: Rebuild[] = [];
    ing.onRebuild((r) => rebuilds.push(r));
    const first = await ing.start();
    return { store, registry, ing, pushes, rebuilds, first };
  }

  it('starts from the store as of its revision', async () => {
    const { ing, first, store } = await setup(20);
    assert.equal(ing.revision(), 1);
    assert.equal(first.version, '1.0');
    assert.deepEqual(first.services.map((s) => s.name), ['reviews']);
    ing.close();
    await store.close();
  });

  it('debounces a burst of commits into one rebuild and one push of the affected types', async () => {
    const { ing, store, pushes, rebuilds } = await setup(60);
    for (const w of [10, 20, 30]) {
      const vs = load(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec: {hosts: [reviews], http: [{timeout: ${w}s, route: [{destination: {host: reviews}}]}]}
`);
      await store.commit(stored(vs).map((resource) => ({ op: 'put' as const, resource })), { author: 't', message: `vs ${w}` });
      await wait(10);
    }
    assert.equal(rebuilds.length, 0, 'still inside the quiet period');
    await wait(120);
    assert.equal(rebuilds.length, 1);
    assert.equal(ing.revision(), 4);
    assert.equal(ing.current().virtualServices[0]?.spec.http?.[0]?.timeout, '30s');
    assert.deepEqual([...pushes[0]!.changed], ['VirtualService']);
    assert.ok(pushes[0]!.types.includes(ROUTE_TYPE));
    assert.ok(!pushes[0]!.types.includes(ENDPOINT_TYPE));
    ing.close();
    await store.close();
  });

  it('registry changes rebuild and push EDS only (CDS too when an identity appears); unchanged endpoints push nothing', async () => {
    const { ing, store, registry, pushes, rebuilds } = await setup(20);
    registry.set([wl('a', '10.0.0.1', { app: 'reviews' })]);
    await wait(60);
    // the first workload brings its service account: the reviews cluster's SAN list changes
    assert.deepEqual(pushes.map((p) => p.types), [[CLUSTER_TYPE, ENDPOINT_TYPE]]);
    assert.equal(ing.current().version, '1.1');
    registry.set([wl('a', '10.0.0.1', { app: 'reviews' })]);
    await wait(60);
    assert.equal(rebuilds.length, 2);
    assert.equal(pushes.length, 1, 'same endpoints: no push');
    ing.close();
    await store.close();
  });

  it('a rebuild keeps the endpoint lists and EDS answers of services it did not touch; policy edits still reach them', async () => {
    const { ing, store, registry } = await setup(60_000); // rebuilt by flush() only
    const commit = async (text: string): Promise<void> => {
      const rev = (await store.commit(stored(load(text)).map((resource) => ({ op: 'put' as const, resource })), { author: 't', message: 'edit' }));
      for (const deadline = Date.now() + 5000; ing.revision() < rev; ) {
        assert.ok(Date.now() < deadline, 'the store event never arrived');
        await wait(1);
      }
      ing.flush();
    };
    const R = 'reviews.default.svc.cluster.local';
    const eds = (): Map<string, unknown> => new Map(edsGenerator.build(proxyNode(), ing.current()).map((r) => [r.name, r.resource]));
    await commit('apiVersion: v1\nkind: Service\nmetadata: {name: ratings}\nspec: {selector: {app: ratings}, ports: [{name: http, port: 9080}]}\n');
    const a = wl('a', '10.0.0.1', { app: 'reviews', version: 'v1' });
    registry.set([a, wl('b', '10.0.0.2', { app: 'ratings' })]);
    ing.flush();
    const s1 = ing.current();
    const eds1 = eds();
    registry.set([a, wl('b', '10.0.0.2', { app: 'ratings' }), wl('c', '10.0.0.3', { app: 'ratings' })]);
    ing.flush();
    const s2 = ing.current();
    assert.equal(s2.index.instancesByService.get(R), s1.index.instancesByService.get(R), 'reviews untouched: the same list');
    const eds2 = eds();
    assert.equal(eds2.get(`outbound|9080||${R}`), eds1.get(`outbound|9080||${R}`), 'and the same CLA object (encoded once)');
    assert.notEqual(eds2.get('outbound|9080||ratings.default.svc.cluster.local'), eds1.get('outbound|9080||ratings.default.svc.cluster.local'));
    assert.match(JSON.stringify(eds2.get(`outbound|9080|v1|${R}`)), /"tlsMode":"istio"/);

    // a workload-level DISABLE takes tlsMode off reviews' endpoints: same list, new CLA
    await commit('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: plain}\nspec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: DISABLE}}\n');
    assert.equal(ing.current().index.instancesByService.get(R), s1.index.instancesByService.get(R));
    assert.doesNotMatch(JSON.stringify(eds().get(`outbound|9080|v1|${R}`)), /tlsMode/);
    // a subset that now selects v2 has no endpoints
    await commit('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, subsets: [{name: v1, labels: {version: v2}}]}\n');
    assert.deepEqual(get(eds().get(`outbound|9080|v1|${R}`), 'endpoints'), []);
    ing.close();
    await store.close();
  });

  it('deletes and rollbacks are followed', async () => {
    const { ing, store } = await setup(10);
    await store.commit([{ op: 'delete', key: 'DestinationRule/default/reviews' }], { author: 't', message: 'rm' });
    await wait(40);
    assert.equal(ing.current().destinationRules.length, 0);
    await store.rollback(1, { author: 't', message: 'back' });
    await wait(40);
    assert.equal(ing.current().destinationRules.length, 1);
    assert.equal(ing.revision(), 3);
    ing.close();
    await store.close();
  });

  it('an AuthorizationPolicy or RequestAuthentication edit pushes LDS (the rbac and jwt_authn filters live in listeners)', async () => {
    const { ing, store, pushes } = await setup(10);
    const ap = load('apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing}\nspec: {}\n');
    await store.commit(stored(ap).map((resource) => ({ op: 'put' as const, resource })), { author: 't', message: 'ap' });
    await wait(60);
    assert.deepEqual(pushes.map((p) => [...p.changed]), [['AuthorizationPolicy']]);
    assert.ok(pushes[0]!.types.includes(LISTENER_TYPE));
    assert.equal(ing.current().authorizationPolicies.length, 1);
    ing.close();
    await store.close();
  });
});
