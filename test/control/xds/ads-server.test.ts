// Tests the ADS server over real gRPC streams: SotW and Delta subscribe/ACK/NACK, pushes, debounce, status, events, metrics.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdsServer } from '../../../src/control/xds/ads-server.js';
import { PilotMetrics } from '../../../src/control/xds/metrics.js';
import type { ConnectedProxy, GeneratedResource, XdsGenerator } from '../../../src/control/xds/types.js';
import { decodeResource } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';
import { reviewsCluster, reviewsEndpoints } from '../../xds/fixtures.js';
import { adsClient, delta, sotw, until } from './ads-client.js';

/** A generator over a mutable table; per-proxy overrides make two proxies' configs differ. */
class TableGenerator implements XdsGenerator {
  readonly table = new Map<string, GeneratedResource[]>();
  readonly perProxy = new Map<string, Map<string, GeneratedResource[]>>();
  calls = 0;
  generate(proxy: ConnectedProxy, typeUrl: string, names: readonly string[]): GeneratedResource[] {
    this.calls++;
    const all = this.perProxy.get(proxy.id)?.get(typeUrl) ?? this.table.get(typeUrl) ?? [];
    // VHDS names are namespaces (`outbound` covers `outbound/<vhost>`)
    const covered = (n: string): boolean => names.includes(n) || (typeUrl === VIRTUAL_HOST_TYPE && names.includes(n.slice(0, n.indexOf('/'))));
    return names.length === 0 ? all : all.filter((r) => covered(r.name));
  }
  setClusters(...names: string[]): void {
    this.table.set(CLUSTER_TYPE, names.map((n) => ({ name: n, resource: reviewsCluster(n) })));
  }
  setEndpoints(byName: Record<string, number[]>): void {
    this.table.set(ENDPOINT_TYPE, Object.entries(byName).map(([n, ports]) => ({ name: n, resource: reviewsEndpoints(n, ports) })));
  }
}

const node = (id: string, extra: Record<string, unknown> = {}) => ({ id, cluster: 'reviews.default', metadata: { NAMESPACE: 'default', LABELS: { app: 'reviews', version: 'v1' }, ...extra } });

describe('ADS server', () => {
  let gen: TableGenerator;
  let metrics: PilotMetrics;
  let server: AdsServer;
  let port: number;
  let client: ReturnType<typeof adsClient>;

  before(async () => {
    gen = new TableGenerator();
    metrics = new PilotMetrics();
    server = new AdsServer({ generator: gen, debounceMs: 50, metrics });
    port = await server.listen(0);
    client = adsClient(port);
  });
  after(async () => {
    client.close();
    await server.close();
  });
  beforeEach(() => {
    gen.table.clear();
    gen.perProxy.clear();
    gen.setClusters('a', 'b');
    gen.setEndpoints({ a: [1001], b: [1002, 1003] });
  });

  it('SotW: subscribe -> resources -> ACK -> SYNCED; connect event carries node metadata', async () => {
    const connected: ConnectedProxy[] = [];
    const off = server.onConnect((p) => connected.push(p));
    const s = sotw(client);
    s.send({ node: node('p1'), type_url: CLUSTER_TYPE, resource_names: [] });
    const r = await s.next();
    assert.equal(r.type_url, CLUSTER_TYPE);
    assert.deepEqual(r.resources.map((a) => decodeResource(a).name).sort(), ['a', 'b']);
    assert.match(r.version_info, /^[0-9a-f]{16}$/);
    assert.ok(r.nonce !== '');
    assert.equal(connected.length, 1);
    assert.deepEqual(connected[0].metadata, { LABELS: { app: 'reviews', version: 'v1' }, NAMESPACE: 'default' });
    assert.equal(server.proxies().find((p) => p.id === 'p1')?.types[0].status, 'STALE');
    s.send({ type_url: CLUSTER_TYPE, version_info: r.version_info, response_nonce: r.nonce });
    await until(() => server.proxies().find((p) => p.id === 'p1')?.types[0].status === 'SYNCED');
    const st = server.proxies().find((p) => p.id === 'p1')?.types[0];
    assert.equal(st?.ackedVersion, r.version_info);
    assert.equal(st?.subscribed, '*');
    off();
    s.close();
  });

  it('SotW: NACK -> NACKED with the error text; the previous version stays ACKed and is not resent', async () => {
    const s = sotw(client);
    s.send({ node: node('p-nack'), type_url: CLUSTER_TYPE });
    const r1 = await s.next();
    s.send({ type_url: CLUSTER_TYPE, version_info: r1.version_info, response_nonce: r1.nonce });
    gen.setClusters('a', 'b', 'c');
    server.push();
    const r2 = await s.next();
    assert.notEqual(r2.version_info, r1.version_info);
    s.send({ type_url: CLUSTER_TYPE, version_info: r1.version_info, response_nonce: r2.nonce, error_detail: { code: 3, message: 'clusters[2].lb_policy: not supported' } });
    const status = () => server.proxies().find((p) => p.id === 'p-nack')?.types[0];
    await until(() => status()?.status === 'NACKED');
    assert.equal(status()?.nackError, 'clusters[2].lb_policy: not supported');
    assert.equal(status()?.ackedVersion, r1.version_info);
    assert.equal(status()?.nackedVersion, r2.version_info);
    server.push(); // same content: nothing to resend
    assert.equal((await s.count(200)).length, 0);
    assert.ok(metrics.render().includes('pilot_total_xds_rejects{type="cds"} 1'));
    s.close();
  });

  it('SotW: a push after a generator change sends a new version; an unchanged push sends nothing', async () => {
    const s = sotw(client);
    s.send({ node: node('p-push'), type_url: CLUSTER_TYPE });
    const r1 = await s.next();
    s.send({ type_url: CLUSTER_TYPE, version_info: r1.version_info, response_nonce: r1.nonce });
    server.push();
    assert.equal((await s.count(200)).length, 0);
    gen.setClusters('a');
    server.push();
    const r2 = await s.next();
    assert.notEqual(r2.version_info, r1.version_info);
    assert.deepEqual(r2.resources.map((a) => decodeResource(a).name), ['a']);
    s.send({ type_url: CLUSTER_TYPE, version_info: r2.version_info, response_nonce: r2.nonce });
    await until(() => server.proxies().find((p) => p.id === 'p-push')?.types[0].status === 'SYNCED');
    assert.ok(metrics.convergenceTime.count >= 1, 'convergence time recorded on ACK');
    s.close();
  });

  it('debouncing merges 10 rapid pushes into one response', async () => {
    const s = sotw(client);
    s.send({ node: node('p-deb'), type_url: CLUSTER_TYPE });
    const r1 = await s.next();
    s.send({ type_url: CLUSTER_TYPE, version_info: r1.version_info, response_nonce: r1.nonce });
    const callsBefore = gen.calls;
    for (let i = 0; i < 10; i++) {
      gen.setClusters('a', `x${i}`);
      server.push();
    }
    const got = await s.count(400);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].resources.map((a) => decodeResource(a).name).sort(), ['a', 'x9']);
    assert.equal(gen.calls - callsBefore, 1, 'generated once');
    s.close();
  });

  it('SotW EDS by resource names; an ACK that changes the names gets the new set; EDS-only push', async () => {
    const s = sotw(client);
    s.send({ node: node('p-eds'), type_url: CLUSTER_TYPE });
    const c = await s.next();
    s.send({ type_url: CLUSTER_TYPE, version_info: c.version_info, response_nonce: c.nonce });
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a'] });
    const e1 = await s.next();
    assert.equal(e1.type_url, ENDPOINT_TYPE);
    assert.deepEqual(e1.resources.map((a) => decodeResource(a).name), ['a']);
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'], version_info: e1.version_info, response_nonce: e1.nonce });
    const e2 = await s.next();
    assert.deepEqual(e2.resources.map((a) => decodeResource(a).name).sort(), ['a', 'b']);
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'], version_info: e2.version_info, response_nonce: e2.nonce });
    gen.setEndpoints({ a: [1001, 1009], b: [1002, 1003] });
    gen.setClusters('a', 'b', 'z'); // would change CDS too, but the push names EDS only
    server.push({ types: [ENDPOINT_TYPE] });
    const e3 = await s.next();
    assert.equal(e3.type_url, ENDPOINT_TYPE);
    assert.equal((await s.count(200)).length, 0, 'no CDS response');
    const st = server.proxies().find((p) => p.id === 'p-eds');
    assert.deepEqual(st?.types.find((t) => t.type === 'eds')?.subscribed, ['a', 'b']);
    s.close();
  });

  it('SotW: EDS pushes carry only the changed resources, CDS pushes everything; after a NACK the next push is full', async () => {
    const s = sotw(client);
    const names = (r: { resources: Parameters<typeof decodeResource>[0][] }): string[] => r.resources.map((a) => decodeResource(a).name).sort();
    s.send({ node: node('p-partial'), type_url: CLUSTER_TYPE });
    const c1 = await s.next();
    s.send({ type_url: CLUSTER_TYPE, version_info: c1.version_info, response_nonce: c1.nonce });
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'] });
    const e1 = await s.next();
    assert.deepEqual(names(e1), ['a', 'b']);
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'], version_info: e1.version_info, response_nonce: e1.nonce });
    gen.setEndpoints({ a: [1001, 1009], b: [1002, 1003] });
    gen.setClusters('a', 'b', 'z');
    server.push();
    const c2 = await s.next();
    assert.equal(c2.type_url, CLUSTER_TYPE);
    assert.deepEqual(names(c2), ['a', 'b', 'z'], 'CDS is state of the world');
    s.send({ type_url: CLUSTER_TYPE, version_info: c2.version_info, response_nonce: c2.nonce });
    const e2 = await s.next();
    assert.equal(e2.type_url, ENDPOINT_TYPE);
    assert.deepEqual(names(e2), ['a'], 'only the changed ClusterLoadAssignment');
    assert.notEqual(e2.version_info, e1.version_info);
    // NACK it: the proxy kept e1's resources, so the next push must carry everything again
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'], version_info: e1.version_info, response_nonce: e2.nonce, error_detail: { code: 3, message: 'bad' } });
    await until(() => server.proxies().find((p) => p.id === 'p-partial')?.types.find((t) => t.type === 'eds')?.status === 'NACKED');
    gen.setEndpoints({ a: [1001, 1009], b: [1002, 1004] });
    server.push({ types: [ENDPOINT_TYPE] });
    const e3 = await s.next();
    assert.deepEqual(names(e3), ['a', 'b']);
    s.close();
  });

  it('full push order is CDS, EDS, LDS', async () => {
    gen.table.set(LISTENER_TYPE, [{ name: 'l', resource: { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 1 } } } }]);
    const s = sotw(client);
    s.send({ node: node('p-order'), type_url: LISTENER_TYPE });
    s.send({ type_url: ENDPOINT_TYPE, resource_names: ['a'] });
    s.send({ type_url: CLUSTER_TYPE });
    const first = [await s.next(), await s.next(), await s.next()];
    for (const r of first) s.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: r.type_url === ENDPOINT_TYPE ? ['a'] : [] });
    gen.setClusters('a', 'q');
    gen.setEndpoints({ a: [7] });
    gen.table.set(LISTENER_TYPE, [{ name: 'l', resource: { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 2 } } } }]);
    server.push();
    const order = [(await s.next()).type_url, (await s.next()).type_url, (await s.next()).type_url];
    assert.deepEqual(order, [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE]);
    s.close();
  });

  it('two proxies get independent versions', async () => {
    gen.perProxy.set('p-two-b', new Map([[CLUSTER_TYPE, [{ name: 'only-b', resource: reviewsCluster('only-b') }]]]));
    const a = sotw(client);
    const b = sotw(client);
    a.send({ node: node('p-two-a'), type_url: CLUSTER_TYPE });
    b.send({ node: node('p-two-b'), type_url: CLUSTER_TYPE });
    const [ra, rb] = [await a.next(), await b.next()];
    assert.notEqual(ra.version_info, rb.version_info);
    assert.deepEqual(rb.resources.map((x) => decodeResource(x).name), ['only-b']);
    a.send({ type_url: CLUSTER_TYPE, version_info: ra.version_info, response_nonce: ra.nonce });
    // p-two-b never ACKs: STALE, while p-two-a is SYNCED
    await until(() => server.proxies().find((p) => p.id === 'p-two-a')?.types[0].status === 'SYNCED');
    assert.equal(server.proxies().find((p) => p.id === 'p-two-b')?.types[0].status, 'STALE');
    // same inputs, same version: a third proxy with p-two-a's config gets p-two-a's version
    const c = sotw(client);
    c.send({ node: node('p-two-c'), type_url: CLUSTER_TYPE });
    assert.equal((await c.next()).version_info, ra.version_info);
    for (const s of [a, b, c]) s.close();
  });

  it('disconnect event fires when the stream goes away', async () => {
    const gone: string[] = [];
    const off = server.onDisconnect((p) => gone.push(p.id));
    const s = sotw(client);
    s.send({ node: node('p-bye'), type_url: CLUSTER_TYPE });
    await s.next();
    assert.ok(server.proxies().some((p) => p.id === 'p-bye'));
    s.close();
    await until(() => gone.includes('p-bye'));
    assert.ok(!server.proxies().some((p) => p.id === 'p-bye'));
    off();
  });

  it('Delta: initial state, update with only the changed resource, removal', async () => {
    const s = delta(client);
    s.send({ node: node('d1'), type_url: CLUSTER_TYPE });
    const r1 = await s.next();
    assert.deepEqual(r1.resources.map((r) => r.name).sort(), ['a', 'b']);
    assert.deepEqual(r1.removed_resources ?? [], []);
    const vA = r1.resources.find((r) => r.name === 'a')?.version;
    assert.match(vA ?? '', /^[0-9a-f]{16}$/);
    s.send({ type_url: CLUSTER_TYPE, response_nonce: r1.nonce });
    await until(() => server.proxies().find((p) => p.id === 'd1')?.types[0].status === 'SYNCED');

    const changedB = reviewsCluster('b');
    changedB.connect_timeout = '3s';
    gen.table.set(CLUSTER_TYPE, [{ name: 'a', resource: reviewsCluster('a') }, { name: 'b', resource: changedB }]);
    server.push();
    const r2 = await s.next();
    assert.deepEqual(r2.resources.map((r) => r.name), ['b'], 'only the changed resource');
    assert.deepEqual(decodeResource(r2.resources[0].resource!).json.connect_timeout, { seconds: 3, nanos: 0 });
    s.send({ type_url: CLUSTER_TYPE, response_nonce: r2.nonce });

    gen.table.set(CLUSTER_TYPE, [{ name: 'b', resource: changedB }]);
    server.push();
    const r3 = await s.next();
    assert.deepEqual(r3.resources ?? [], []);
    assert.deepEqual(r3.removed_resources, ['a']);
    s.send({ type_url: CLUSTER_TYPE, response_nonce: r3.nonce, error_detail: { code: 3, message: 'bad' } });
    await until(() => server.proxies().find((p) => p.id === 'd1')?.types[0].status === 'NACKED');
    s.close();
  });

  it('Delta: subscribe/unsubscribe by name; unknown names come back as removed', async () => {
    const s = delta(client);
    s.send({ node: node('d2'), type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a', 'nope'] });
    const r1 = await s.next();
    assert.deepEqual(r1.resources.map((r) => r.name), ['a']);
    assert.deepEqual(r1.removed_resources, ['nope']);
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: r1.nonce, resource_names_subscribe: ['b'], resource_names_unsubscribe: ['a', 'nope'] });
    const r2 = await s.next();
    assert.deepEqual(r2.resources.map((r) => r.name), ['b']);
    s.send({ type_url: ENDPOINT_TYPE, response_nonce: r2.nonce });
    gen.setEndpoints({ a: [5], b: [1002, 1003] }); // a changed, but nobody subscribes to it any more
    server.push();
    assert.equal((await s.count(200)).length, 0);
    s.close();
  });

  it('Delta: reconnect with initial_resource_versions gets only what changed', async () => {
    const s = delta(client);
    s.send({ node: node('d3'), type_url: CLUSTER_TYPE });
    const r1 = await s.next();
    const held = Object.fromEntries(r1.resources.map((r) => [r.name, r.version]));
    s.close();
    gen.setClusters('a', 'c'); // b removed, c added, a unchanged
    const s2 = delta(client);
    s2.send({ node: node('d3'), type_url: CLUSTER_TYPE, initial_resource_versions: held });
    const r2 = await s2.next();
    assert.deepEqual(r2.resources.map((r) => r.name), ['c']);
    assert.deepEqual(r2.removed_resources, ['b']);
    s2.close();
  });

  it('Delta: streams holding the same list share one encoded response carrying only the change', async () => {
    const streams = [delta(client), delta(client)];
    const first = [];
    for (const [i, s] of streams.entries()) {
      s.send({ node: node(`share${i}`), type_url: CLUSTER_TYPE });
      first.push(await s.next());
    }
    assert.equal(first[0].nonce, first[1].nonce, 'the first answer is shared too');
    for (const [i, s] of streams.entries()) s.send({ type_url: CLUSTER_TYPE, response_nonce: first[i].nonce });
    const changedA = reviewsCluster('a');
    changedA.connect_timeout = '4s';
    gen.table.set(CLUSTER_TYPE, [{ name: 'a', resource: changedA }, { name: 'b', resource: reviewsCluster('b') }]);
    server.push();
    const [x, y] = await Promise.all(streams.map((s) => s.next()));
    assert.deepEqual([x.resources.map((r) => r.name), y.resources.map((r) => r.name)], [['a'], ['a']]);
    assert.equal(x.nonce, y.nonce, 'one encoding, one nonce for both streams');
    for (const s of streams) s.close();
  });

  it('Delta VHDS: a route configuration name subscribes every `<name>/<vhost>`; unsubscribing stops them', async () => {
    const vh = (name: string, cluster: string) => ({ name, resource: { '@type': VIRTUAL_HOST_TYPE, name, domains: [name.split('/')[1]!], routes: [{ match: { prefix: '/' }, route: { cluster } }] } });
    gen.table.set(VIRTUAL_HOST_TYPE, [vh('outbound/a:80', 'a'), vh('outbound/b:80', 'b'), vh('other/c:80', 'c')]);
    const s = delta(client);
    s.send({ node: node('vh1'), type_url: VIRTUAL_HOST_TYPE, resource_names_subscribe: ['outbound'] });
    const r1 = await s.next();
    assert.deepEqual(r1.resources.map((r) => r.name).sort(), ['outbound/a:80', 'outbound/b:80']);
    assert.deepEqual(r1.removed_resources ?? [], [], 'a namespace is not reported missing');
    s.send({ type_url: VIRTUAL_HOST_TYPE, response_nonce: r1.nonce });
    gen.table.set(VIRTUAL_HOST_TYPE, [vh('outbound/a:80', 'a2'), vh('other/c:80', 'c')]);
    server.push();
    const r2 = await s.next();
    assert.deepEqual(r2.resources.map((r) => r.name), ['outbound/a:80']);
    assert.deepEqual(r2.removed_resources, ['outbound/b:80']);
    s.send({ type_url: VIRTUAL_HOST_TYPE, response_nonce: r2.nonce, resource_names_unsubscribe: ['outbound'] });
    await until(() => server.proxies().find((p) => p.id === 'vh1')?.types[0]?.status === 'SYNCED');
    gen.table.set(VIRTUAL_HOST_TYPE, [vh('outbound/a:80', 'a3')]);
    server.push();
    assert.equal((await s.count(200)).length, 0, 'nothing for an unsubscribed namespace');
    s.close();
  });

  it('exposes Prometheus metrics under Istio names', async () => {
    await until(() => metrics.connectedProxies === 0 || server.connected().length === metrics.connectedProxies);
    const text = metrics.render();
    assert.match(text, /pilot_xds_pushes\{type="cds"\} \d+/);
    assert.match(text, /pilot_xds_push_time_bucket\{type="cds",le="\+Inf"\} \d+/);
    assert.match(text, /pilot_proxy_convergence_time_count [1-9]/);
    assert.match(text, /^pilot_xds \d+$/m);
  });
});
