// Registry tests: workloads from node metadata, selector matching, WorkloadEntry/ServiceEntry endpoints, leases with a grace period.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from '../../../src/api/index.js';
import type { MeshResource, Service, ServiceEntry } from '../../../src/api/types.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { WorkloadRegistry } from '../../../src/control/registry/registry.js';
import { entryInstances, selectorMatches, serviceInstances, type SourceLookup, sourceFromEntry, sourceFromWorkload, type EndpointSource } from '../../../src/control/registry/endpoints.js';
import { declaredServices, serviceFromResource } from '../../../src/control/registry/services.js';
import { workloadFromNode } from '../../../src/control/registry/workload.js';
import type { RegisteredWorkload, RegistryEvent } from '../../../src/control/registry/types.js';
import type { ConnectedProxy } from '../../../src/control/xds/types.js';

function resources(text: string): MeshResource[] {
  const r = parseResources(text);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

let seq = 0;
export function fakeProxy(id: string, metadata: Record<string, string>, locality?: { region: string; zone: string }): ConnectedProxy {
  return { connId: `${id}~${++seq}`, id, node: { id, metadata, ...(locality ? { locality } : {}) }, metadata, connectedAt: new Date(), mode: 'sotw', peer: '127.0.0.1:1' };
}

function workload(name: string, ip: string, labels: Record<string, string>, extra: Partial<RegisteredWorkload> = {}): RegisteredWorkload {
  return { key: `registry/workloads/default/${name}`, name, namespace: 'default', labels, serviceAccount: 'default', address: ip, port: 15006, proxyType: 'sidecar', weight: 1, ...extra };
}

/** The sources a selector matches, by a plain scan in list order (what the ingestion's EndpointIndex answers by label). */
const listLookup = (sources: readonly EndpointSource[]): SourceLookup => ({
  matching: (namespace, selector) => sources.filter((s) => s.namespace === namespace && selectorMatches(selector, s.labels)),
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('workloadFromNode', () => {
  it('reads Istio node ids and metadata (labels as a map or k=v string, ports, locality)', () => {
    const w = workloadFromNode({
      id: 'sidecar~10.0.0.7~reviews-v2-abc.prod~prod.svc.cluster.local',
      metadata: { NAMESPACE: 'prod', LABELS: 'app=reviews,version=v2', SERVICE_ACCOUNT: 'bookinfo-reviews', INSTANCE_IPS: '10.0.0.7', TRELLIS_SERVICE: 'reviews', TRELLIS_SERVICE_PORT: '9080', TRELLIS_INBOUND_PORT: '16006' },
      locality: { region: 'eu', zone: 'eu-1' },
    });
    assert.deepEqual(w, {
      key: 'registry/workloads/prod/sidecar~10.0.0.7~reviews-v2-abc.prod~prod.svc.cluster.local',
      name: 'reviews-v2-abc',
      namespace: 'prod',
      labels: { app: 'reviews', version: 'v2' },
      serviceAccount: 'bookinfo-reviews',
      address: '10.0.0.7',
      port: 16006,
      proxyType: 'sidecar',
      weight: 1,
      serviceName: 'reviews',
      servicePort: 9080,
      locality: { region: 'eu', zone: 'eu-1', subzone: '' },
    });
  });

  it('proxyless servers are reached on their app port; nodes without an address are not workloads', () => {
    const w = workloadFromNode({ id: 'grpc-server', metadata: { GENERATOR: 'grpc', INSTANCE_IPS: '127.0.0.1', TRELLIS_APP_PORT: '50051' } });
    assert.equal(w?.port, 50051);
    assert.equal(w?.proxyType, 'proxyless');
    assert.equal(workloadFromNode({ id: 'client', metadata: { GENERATOR: 'grpc' } }), undefined);
  });
});

describe('endpoints', () => {
  const [svc] = resources(`
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 9081}, {name: grpc, port: 7070}]
`) as [Service];

  it('selector matches are namespace-scoped; sidecars are reached on their inbound port', () => {
    const ws = [
      workload('r1', '10.0.0.1', { app: 'reviews', version: 'v1' }),
      workload('r2', '10.0.0.2', { app: 'reviews', version: 'v2' }, { locality: { region: 'eu', zone: 'a', subzone: '' } }),
      workload('other', '10.0.0.3', { app: 'ratings' }),
      workload('elsewhere', '10.0.0.4', { app: 'reviews' }, { namespace: 'prod', key: 'registry/workloads/prod/x' }),
    ];
    const got = serviceInstances(svc, listLookup(ws.map(sourceFromWorkload)), ws);
    assert.deepEqual(
      got.map((i) => `${i.address}:${i.port}/${i.servicePort}`),
      ['10.0.0.1:15006/9080', '10.0.0.1:15006/7070', '10.0.0.2:15006/9080', '10.0.0.2:15006/7070'],
    );
    assert.equal(got[0]!.service, 'reviews.default.svc.cluster.local');
    assert.deepEqual(got[2]!.locality, { region: 'eu', zone: 'a', subzone: '' });
    assert.deepEqual(got[2]!.labels, { app: 'reviews', version: 'v2' });
  });

  it('WorkloadEntries: named ports, targetPort, locality and weight', () => {
    const [we] = resources(`
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm1, namespace: default}
spec: {address: 192.168.1.5, labels: {app: reviews}, ports: {grpc: 7171}, locality: us/east/1a, weight: 3}
`);
    const src = sourceFromEntry(we as Extract<MeshResource, { kind: 'WorkloadEntry' }>) as EndpointSource;
    const got = serviceInstances(svc, listLookup([src]), []);
    assert.deepEqual(got.map((i) => [i.address, i.port, i.servicePort, i.weight]), [
      ['192.168.1.5', 9081, 9080, 3],
      ['192.168.1.5', 7171, 7070, 3],
    ]);
    assert.deepEqual(got[0]!.locality, { region: 'us', zone: 'east', subzone: '1a' });
  });

  it('a Service without selector gets the proxies that declare it; an empty selector selects nothing', () => {
    const [plain] = resources(`
apiVersion: v1
kind: Service
metadata: {name: details}
spec: {ports: [{name: http, port: 9080}]}
`) as [Service];
    const ws = [workload('d1', '10.0.0.9', {}, { serviceName: 'details', servicePort: 9080 }), workload('x', '10.0.0.8', {})];
    assert.deepEqual(serviceInstances(plain, listLookup(ws.map(sourceFromWorkload)), ws).map((i) => i.address), ['10.0.0.9']);
  });

  it('UDP and SCTP ports are not proxied (as in Istio), so 53/UDP beside 53/TCP gives one cluster port, not two', () => {
    const [dns] = resources(`
apiVersion: v1
kind: Service
metadata: {name: kube-dns}
spec:
  selector: {app: dns}
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}, {name: sig, port: 9999, protocol: SCTP}, {name: metrics, port: 9153}]
`) as [Service];
    assert.deepEqual(serviceFromResource(dns).ports.map((p) => `${p.name}:${p.port}`), ['dns-tcp:53', 'metrics:9153']);
    const ws = [workload('d1', '10.0.0.9', { app: 'dns' })];
    assert.deepEqual(serviceInstances(dns, listLookup(ws.map(sourceFromWorkload)), ws).map((i) => i.servicePort), [53, 9153]);
  });

  it('ServiceEntry STATIC and DNS endpoints, and workloadSelector', () => {
    const [stat, dns, sel, we] = resources(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db}
spec:
  hosts: [db.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  endpoints: [{address: 10.1.0.1}, {address: 10.1.0.2, ports: {tcp: 6432}, weight: 2}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.com]
  resolution: DNS
  ports: [{number: 443, name: https, protocol: HTTPS}]
  endpoints: [{address: eu.api.example.com}, {address: us.api.example.com}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vms}
spec:
  hosts: [vms.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
  workloadSelector: {labels: {app: vm}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm1}
spec: {address: 10.2.0.1, labels: {app: vm}}
`) as [ServiceEntry, ServiceEntry, ServiceEntry, MeshResource];
    assert.deepEqual(entryInstances(stat, listLookup([])).map((i) => `${i.address}:${i.port}w${i.weight}`), ['10.1.0.1:5432w1', '10.1.0.2:6432w2']);
    assert.deepEqual(entryInstances(dns, listLookup([])).map((i) => `${i.service} ${i.address}:${i.port}`), ['api.example.com eu.api.example.com:443', 'api.example.com us.api.example.com:443']);
    const src = sourceFromEntry(we as Extract<MeshResource, { kind: 'WorkloadEntry' }>)!;
    const reg = workload('vm2', '10.2.0.2', { app: 'vm' });
    assert.deepEqual(entryInstances(sel, listLookup([src, sourceFromWorkload(reg)])).map((i) => `${i.address}:${i.port}`), ['10.2.0.1:8080', '10.2.0.2:15006']);
  });

  it('declared services appear for names no resource defines, ports merged', () => {
    const ws = [
      workload('a', '10.0.0.1', {}, { serviceName: 'echo', servicePort: 8080 }),
      workload('b', '10.0.0.2', {}, { serviceName: 'echo.default', servicePort: 8081 }),
      workload('c', '10.0.0.3', {}, { serviceName: 'reviews', servicePort: 9080 }),
    ];
    const got = declaredServices(ws, new Set(['reviews.default.svc.cluster.local']));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.hostname, 'echo.default.svc.cluster.local');
    assert.deepEqual(got[0]!.ports.map((p) => [p.port, p.protocol]), [[8080, 'HTTP'], [8081, 'HTTP']]);
  });
});

describe('WorkloadRegistry', () => {
  const meta = { NAMESPACE: 'default', LABELS: 'app=reviews', INSTANCE_IPS: '10.0.0.5' };

  it('registers on connect, keeps the workload through the grace period, drops it after', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 150 });
    await reg.start();
    const events: RegistryEvent[] = [];
    reg.onChange((e) => events.push(e));
    const p = fakeProxy('sidecar~10.0.0.5~r1.default~default.svc.cluster.local', meta);
    await reg.register(p);
    await wait(5);
    assert.deepEqual(reg.workloads().map((w) => w.name), ['r1']);
    assert.deepEqual(events, [{ kind: 'endpoints', key: reg.workloads()[0]!.key, op: 'put' }]);
    // kept alive while connected, longer than the TTL
    await wait(300);
    assert.equal(reg.workloads().length, 1);
    reg.unregister(p);
    await wait(80);
    assert.equal(reg.workloads().length, 1, 'still registered inside the grace period');
    await wait(150);
    assert.equal(reg.workloads().length, 0, 'gone after the grace period');
    assert.equal(events.at(-1)?.op, 'delete');
    reg.close();
    await store.close();
  });

  it('a registration the store refuses is retried while the stream is open, and given up when it ends', async () => {
    const store = createMemoryStore();
    let refuse = 3;
    const grantLease = store.grantLease.bind(store);
    // a store under a connection storm: the first grants time out
    store.grantLease = async (ttl: number) => {
      if (refuse-- > 0) throw new Error('etcd is unavailable: deadline exceeded');
      return grantLease(ttl);
    };
    const logs: string[] = [];
    const reg = new WorkloadRegistry(store, { graceMs: 200, retry: { baseMs: 10, maxMs: 40 }, log: (m) => logs.push(m) });
    await reg.start();
    const p = fakeProxy('sidecar~10.0.0.5~r1.default~default.svc.cluster.local', meta);
    await reg.register(p);
    assert.deepEqual(reg.workloads().map((w) => w.name), ['r1']);
    assert.equal(logs.filter((l) => /failed/.test(l)).length, 1, 'one line for the first failure, not one per attempt');
    assert.match(logs.at(-1)!, /registered registry\/workloads\/default\/.* after 4 attempts/);
    // a stream that ends while its registration is still being retried stops trying (the lease exists: puts fail)
    store.putWithLease = async () => {
      throw new Error('etcd is unavailable: deadline exceeded');
    };
    const q = fakeProxy('sidecar~10.0.0.6~r2.default~default.svc.cluster.local', { ...meta, INSTANCE_IPS: '10.0.0.6' });
    const pending = reg.register(q);
    await wait(30);
    reg.unregister(q);
    await pending;
    assert.deepEqual(reg.workloads().map((w) => w.name), ['r1']);
    reg.close();
    await store.close();
  });

  it('keeps one lease for all its streams: one keep-alive per tick whatever the streams, and one at a time when the store is slow', async (t) => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 300 });
    await reg.start();
    t.mock.timers.enable({ apis: ['setInterval'] }); // the renewal interval starts with the first registration
    for (let i = 1; i <= 20; i++) await reg.register(fakeProxy(`sidecar~10.0.0.${i}~r${i}.default~default.svc.cluster.local`, { ...meta, INSTANCE_IPS: `10.0.0.${i}` }));
    const leases = new Set((await store.listEphemeral()).map((e) => e.lease));
    assert.equal(leases.size, 1, 'twenty streams, one lease');
    let calls = 0;
    let answer: (() => void) | undefined;
    // etcd under a storm: the keep-alive is answered late
    store.keepAlive = () => {
      calls++;
      return new Promise<void>((resolve) => (answer = resolve));
    };
    t.mock.timers.tick(100);
    await wait(0);
    assert.equal(calls, 1, 'one keep-alive for twenty streams');
    for (let i = 0; i < 10; i++) t.mock.timers.tick(100);
    await wait(0);
    assert.equal(calls, 1, 'the ticks while one waits add none');
    answer!();
    await wait(0);
    t.mock.timers.tick(100);
    await wait(0);
    assert.equal(calls, 2, 'the next tick after the answer renews again');
    reg.close();
    await store.close();
  });

  it('a lease lost while streams are open (a stall past the TTL) is granted again and every open stream re-put on it', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 90 });
    await reg.start();
    for (const i of [1, 2]) await reg.register(fakeProxy(`sidecar~10.0.0.${i}~r${i}.default~default.svc.cluster.local`, { ...meta, INSTANCE_IPS: `10.0.0.${i}` }));
    const [first] = await store.listEphemeral();
    await store.revokeLease(first!.lease);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const now = await store.listEphemeral();
      if (now.length === 2 && now.every((e) => e.lease !== first!.lease)) break;
      await wait(5);
    }
    const now = await store.listEphemeral();
    assert.equal(now.length, 2, 'both workloads registered again');
    assert.equal(new Set(now.map((e) => e.lease)).size, 1, 'on one new lease');
    reg.close();
    await store.close();
  });

  it('a stream that ends on one replica after its proxy reconnected to another leaves the endpoint on the other', async () => {
    const store = createMemoryStore();
    const a = new WorkloadRegistry(store, { graceMs: 100 });
    const b = new WorkloadRegistry(store, { graceMs: 100 });
    await a.start();
    await b.start();
    const ids = [1, 2].map((i) => `sidecar~10.0.0.${i}~r${i}.default~default.svc.cluster.local`);
    const metaOf = (i: number) => ({ ...meta, INSTANCE_IPS: `10.0.0.${i + 1}` });
    const onA = ids.map((id, i) => fakeProxy(id, metaOf(i)));
    const onB = ids.map((id, i) => fakeProxy(id, metaOf(i)));
    for (const p of onA) await a.register(p);
    // both proxies reconnected to b before a noticed their streams were gone
    for (const p of onB) await b.register(p);
    a.unregister(onA[0]!); // a stream lost
    a.unregister(onA[1]!, true); // a stream ended cleanly: still not a's endpoint to withdraw
    await wait(350); // far past the grace period
    assert.deepEqual(a.workloads().map((w) => w.name), ['r1', 'r2'], 'the endpoints stay while their proxies are connected to b');
    for (const p of onB) b.unregister(p);
    await wait(350);
    assert.equal(a.workloads().length, 0, 'gone a grace period after their last streams ended');
    a.close();
    b.close();
    await store.close();
  });

  it('a second stream of the same workload that ends does not withdraw the first one\'s endpoint', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 100 });
    await reg.start();
    const id = 'sidecar~10.0.0.5~r1.default~default.svc.cluster.local';
    const real = fakeProxy(id, meta);
    const other = fakeProxy(id, meta); // same node id: an impostor, or an old stream of the same proxy
    await reg.register(real);
    await reg.register(other);
    reg.unregister(other);
    await wait(400); // far past the ended stream's grace period
    assert.equal(reg.workloads().length, 1, 'the live stream keeps its workload registered');
    reg.unregister(real);
    await wait(400);
    assert.equal(reg.workloads().length, 0, 'gone once no stream holds it');
    reg.close();
    await store.close();
  });

  it('a stream ended cleanly (the proxy shutting down) withdraws the endpoint at once, unless another live stream holds it', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 60_000 });
    await reg.start();
    const id = 'sidecar~10.0.0.5~r1.default~default.svc.cluster.local';
    const first = fakeProxy(id, meta);
    const second = fakeProxy(id, meta);
    await reg.register(first);
    await reg.register(second);
    reg.unregister(first, true);
    await wait(50);
    assert.equal(reg.workloads().length, 1, 'the live stream keeps it');
    reg.unregister(second, true);
    const deadline = Date.now() + 2000;
    while (reg.workloads().length > 0 && Date.now() < deadline) await wait(5);
    assert.equal(reg.workloads().length, 0, 'gone without waiting out the 60 s grace period');
    reg.close();
    await store.close();
  });

  it('a reconnect within the grace period keeps the workload without any change event', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 120 });
    await reg.start();
    const id = 'sidecar~10.0.0.5~r1.default~default.svc.cluster.local';
    const first = fakeProxy(id, meta);
    await reg.register(first);
    await wait(5);
    const events: RegistryEvent[] = [];
    reg.onChange((e) => events.push(e));
    reg.unregister(first);
    await wait(40);
    await reg.register(fakeProxy(id, meta));
    await wait(250);
    assert.equal(reg.workloads().length, 1);
    assert.deepEqual(events, []);
    reg.close();
    await store.close();
  });

  it('attaches to stream events and ignores nodes that cannot be endpoints', async () => {
    const store = createMemoryStore();
    const reg = new WorkloadRegistry(store, { graceMs: 1000 });
    await reg.start();
    const connect = new Set<(p: ConnectedProxy) => void>();
    const disconnect = new Set<(p: ConnectedProxy, withdrawn: boolean) => void>();
    reg.attach({ onConnect: (fn) => (connect.add(fn), () => connect.delete(fn)), onDisconnect: (fn) => (disconnect.add(fn), () => disconnect.delete(fn)) });
    for (const fn of connect) fn(fakeProxy('client', { GENERATOR: 'grpc' }));
    for (const fn of connect) fn(fakeProxy('sidecar~10.0.0.6~r2.default~default.svc.cluster.local', meta));
    await wait(10);
    assert.deepEqual(reg.workloads().map((w) => w.name), ['r2']);
    reg.close();
    await store.close();
  });
});
