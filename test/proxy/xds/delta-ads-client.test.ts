// Tests: the proxy's ADS client over Delta xDS against a fake control plane — wildcard and named subscriptions, subscription deltas, removals, ACK/NACK, reconnect with initial_resource_versions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { DeltaDiscoveryRequest } from '../../../src/xds/ads-service.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { FakeDeltaAds } from './fake-delta-ads.js';
import { adsBootstrap, flatStats, until } from './delta-helpers.js';
import { badRoutes, cla, edsCluster, get, listener, routes, upstream, type Upstream } from './resources.js';

const BROKEN_CLUSTER = { '@type': CLUSTER_TYPE, name: 'broken', type: 'STATIC', connect_timeout: '-1s' };

describe('proxy ADS client (Delta xDS)', () => {
  const ads = new FakeDeltaAds();
  let a: Upstream;
  let b: Upstream;
  let proxy: Proxy;
  let port = 0;

  const ofType = (t: string, from = 0): DeltaDiscoveryRequest[] => ads.requests.slice(from).filter((q) => q.type_url === t);
  const settle = async (...types: string[]): Promise<void> => {
    await ads.waitFor(() => types.every((t) => ads.acked(t)), 3000, `ACK of ${types.join(', ')}`);
    await proxy.ads!.idle();
  };

  before(async () => {
    a = await upstream('a');
    b = await upstream('b');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port])]);
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main')]);
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    const r = parseBootstrap(adsBootstrap(ads.port), { baseDir: process.cwd() });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    proxy = new Proxy({ bootstrap: r.value });
    await proxy.start();
    port = proxy.listeners.addresses().find((l) => l.name === 'http')?.port ?? 0;
  });

  after(async () => {
    await proxy.stop(100);
    await ads.close();
    await a.close();
    await b.close();
  });

  it('subscribes CDS/LDS as wildcards and EDS/RDS by name, ACKs each response and serves traffic', async () => {
    assert.equal(proxy.ads?.api, 'delta');
    assert.ok(port > 0, 'listener http bound');
    assert.equal((await get(port)).body, 'a');
    const first = ads.requests[0]!;
    assert.equal(first.type_url, CLUSTER_TYPE);
    assert.equal(first.node?.id, 'sidecar~127.0.0.1~delta-1.default~default.svc.cluster.local');
    assert.deepEqual(first.resource_names_subscribe ?? [], [], 'legacy wildcard: the first CDS request names nothing');
    assert.ok(ads.requests.slice(1).every((q) => q.node === undefined), 'node only on the first request of the stream');
    assert.deepEqual(ofType(LISTENER_TYPE)[0]?.resource_names_subscribe ?? [], []);
    assert.deepEqual(ofType(ENDPOINT_TYPE)[0]?.resource_names_subscribe, ['other', 'web.svc']);
    assert.deepEqual(ofType(ROUTE_TYPE)[0]?.resource_names_subscribe, ['main']);
    for (const t of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]) assert.ok(ads.acked(t), `ACK of ${t}`);
    // per-resource versions are what the server gave each resource
    const dump = JSON.parse(JSON.stringify(proxy.configDump())) as { configs: Record<string, unknown>[] };
    const clusters = dump.configs.find((c) => String(c['@type']).endsWith('ClustersConfigDump')) as { dynamic_active_clusters: { version_info: string; cluster: { name: string } }[] };
    const web = clusters.dynamic_active_clusters.find((c) => c.cluster.name === 'web');
    assert.equal(web?.version_info, ads.versionOf(CLUSTER_TYPE, edsCluster('web', 'web.svc')));
    const flat = flatStats(proxy);
    assert.equal(flat.get('control_plane.connected_state'), 1);
    assert.equal(flat.get('cluster_manager.cds.update_success'), 1);
    assert.equal(flat.get('listener_manager.lds.update_success'), 1);
    assert.equal(flat.get('http.http.rds.main.update_success'), 1);
  });

  it('sends EDS and RDS subscription changes as deltas when clusters and listeners change, and applies removals', async () => {
    let seen = ads.requests.length;
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other'), edsCluster('fresh')]);
    assert.deepEqual(ads.responses.at(-1)?.resources.map((r) => r.name), ['fresh'], 'the server sends only the new cluster');
    await ads.waitFor(() => ofType(ENDPOINT_TYPE, seen).some((q) => q.resource_names_subscribe !== undefined), 3000, 'EDS subscribe');
    const sub = ofType(ENDPOINT_TYPE, seen).find((q) => q.resource_names_subscribe !== undefined)!;
    assert.deepEqual(sub.resource_names_subscribe, ['fresh'], 'only the new name');
    assert.equal(sub.resource_names_unsubscribe, undefined);
    assert.equal(sub.response_nonce ?? '', '', 'a subscription change is no ACK');
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port]), cla('fresh', [b.port])]);
    await settle(CLUSTER_TYPE, ENDPOINT_TYPE);
    await until(() => proxy.clusters.get('fresh') !== undefined, 3000, 'cluster fresh');

    // a cluster the server removes goes away, and its EDS name is unsubscribed
    seen = ads.requests.length;
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('fresh')]);
    assert.deepEqual(ads.responses.at(-1)?.removed_resources, ['other']);
    await ads.waitFor(() => ofType(ENDPOINT_TYPE, seen).some((q) => q.resource_names_unsubscribe !== undefined), 3000, 'EDS unsubscribe');
    const unsub = ofType(ENDPOINT_TYPE, seen).find((q) => q.resource_names_unsubscribe !== undefined)!;
    assert.deepEqual(unsub.resource_names_unsubscribe, ['other']);
    assert.equal(unsub.resource_names_subscribe, undefined);
    await settle(CLUSTER_TYPE);
    await until(() => proxy.clusters.get('other') === undefined, 3000, 'cluster other removed');
    assert.equal(proxy.ads!.state.endpoints.resources.has('other'), false);

    // a new listener subscribes its route configuration; removing it unsubscribes
    seen = ads.requests.length;
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main'), listener('second', 0, 'side')]);
    await ads.waitFor(() => ofType(ROUTE_TYPE, seen).some((q) => q.resource_names_subscribe !== undefined), 3000, 'RDS subscribe');
    assert.deepEqual(ofType(ROUTE_TYPE, seen).find((q) => q.resource_names_subscribe !== undefined)!.resource_names_subscribe, ['side']);
    ads.set(ROUTE_TYPE, [routes('main', 'web'), routes('side', 'fresh')]);
    await until(() => proxy.listeners.addresses().some((l) => l.name === 'second'), 3000, 'listener second');
    const second = proxy.listeners.addresses().find((l) => l.name === 'second')!.port;
    assert.equal((await get(second)).body, 'b');
    seen = ads.requests.length;
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main')]);
    await ads.waitFor(() => ofType(ROUTE_TYPE, seen).some((q) => q.resource_names_unsubscribe !== undefined), 3000, 'RDS unsubscribe');
    assert.deepEqual(ofType(ROUTE_TYPE, seen).find((q) => q.resource_names_unsubscribe !== undefined)!.resource_names_unsubscribe, ['side']);
    await settle(LISTENER_TYPE);
    await until(() => !proxy.listeners.addresses().some((l) => l.name === 'second'), 3000, 'listener second removed');

    // back to the start
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port])]);
    await settle(CLUSTER_TYPE, ENDPOINT_TYPE);
    await until(() => proxy.clusters.get('other') !== undefined && proxy.clusters.get('fresh') === undefined, 3000, 'clusters restored');
    assert.equal((await get(port)).body, 'a');
  });

  it('NACKs with the response nonce and the error text; a NACKed response changes nothing at all', async () => {
    const [nonce] = ads.push(ROUTE_TYPE, [badRoutes('main', 'web')]);
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === ROUTE_TYPE), 3000, 'RDS NACK');
    const nack = ads.nacks.find((n) => n.typeUrl === ROUTE_TYPE)!;
    assert.equal(nack.nonce, nonce);
    assert.match(nack.message, /^main\.virtual_hosts\[0\]\.routes\[0\]\.match/m, nack.message);
    const req = ofType(ROUTE_TYPE).at(-1)!;
    assert.equal(req.error_detail?.code, 3);
    assert.equal((await get(port)).body, 'a', 'the last good route configuration still serves');
    assert.equal(flatStats(proxy).get('http.http.rds.main.update_rejected'), 1);

    // one bad cluster rejects the whole response: neither the good addition nor the removal is applied
    ads.push(CLUSTER_TYPE, [edsCluster('extra'), BROKEN_CLUSTER], ['other']);
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === CLUSTER_TYPE), 3000, 'CDS NACK');
    assert.match(ads.nacks.find((n) => n.typeUrl === CLUSTER_TYPE)!.message, /^broken\./m);
    await proxy.ads!.idle();
    assert.equal(proxy.clusters.get('extra'), undefined);
    assert.notEqual(proxy.clusters.get('other'), undefined, 'the removal in the NACKed response was not applied');
    assert.equal(flatStats(proxy).get('cluster_manager.cds.update_rejected'), 1);
    assert.match(JSON.stringify(proxy.configDump()), /"failed_configuration_version"/);

    // good updates are taken again
    ads.set(ROUTE_TYPE, [routes('main', 'other')]);
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    await settle(ROUTE_TYPE, CLUSTER_TYPE);
    assert.equal((await get(port)).body, 'b');
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    await settle(ROUTE_TYPE);
    assert.equal((await get(port)).body, 'a');
  });

  it('keeps serving while the control plane is down, then reconnects with initial_resource_versions and is not sent what it holds', async () => {
    const st = proxy.ads!.state;
    const held = new Map([
      [CLUSTER_TYPE, st.clusters.versions()],
      [ENDPOINT_TYPE, st.endpoints.versions()],
      [LISTENER_TYPE, st.listeners.versions()],
      [ROUTE_TYPE, st.routes.versions()],
    ]);
    const adsPort = ads.port;
    await ads.close();
    await until(() => flatStats(proxy).get('control_plane.connected_state') === 0, 3000, 'disconnect');
    for (let i = 0; i < 3; i++) assert.equal((await get(port)).body, 'a');
    const seen = ads.requests.length;
    const sent = ads.responses.length;
    await ads.listen(adsPort);
    await ads.waitFor(() => [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE].every((t) => ofType(t, seen).length > 0 && ads.acked(t)), 8000, 're-subscription');
    const again = ads.requests.slice(seen);
    assert.ok(again[0]?.node?.id !== undefined, 'the new stream starts with the node');
    assert.ok(again.slice(1).every((q) => q.node === undefined));
    for (const [t, versions] of held) {
      const first = ofType(t, seen)[0]!;
      assert.deepEqual(first.initial_resource_versions, versions, `re-subscription of ${t} lists what is held`);
      assert.equal(first.response_nonce ?? '', '', 'a new stream starts without a nonce');
    }
    assert.deepEqual(ofType(ENDPOINT_TYPE, seen)[0]?.resource_names_subscribe, ['other', 'web.svc']);
    assert.ok(ads.responses.slice(sent).every((r) => r.resources.length === 0 && r.removed_resources.length === 0), 'nothing resent');
    assert.equal(flatStats(proxy).get('control_plane.connected_state'), 1);
    ads.set(ROUTE_TYPE, [routes('main', 'other')]);
    await settle(ROUTE_TYPE);
    assert.equal((await get(port)).body, 'b');
  });
});
