// Tests: the proxy's ADS client against a fake control plane — initial config, live switches, NACKs, outages and reconnects, EDS-only updates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { flatName } from '../../../src/proxy/telemetry/stat-name.js';
import { FakeAds } from './fake-ads.js';
import { badRoutes, cla, edsCluster, get, listener, routes, upstream, type Upstream } from './resources.js';

function bootstrap(adsPort: number): Parameters<typeof parseBootstrap>[0] {
  return {
    node: { id: 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local', cluster: 'test', metadata: { NAMESPACE: 'default' } },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: adsPort } } } }] }] },
        },
      ],
    },
  };
}

async function until(pred: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('proxy ADS client', () => {
  const ads = new FakeAds();
  let a: Upstream;
  let b: Upstream;
  let proxy: Proxy;
  let port = 0;

  before(async () => {
    a = await upstream('a');
    b = await upstream('b');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port])]);
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main')]);
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    const r = parseBootstrap(bootstrap(ads.port), { baseDir: process.cwd() });
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

  it('applies the initial CDS, EDS, LDS and RDS before start() resolves and serves real traffic', async () => {
    assert.ok(port > 0, 'listener http bound');
    const r = await get(port);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a');
    // the first request carried the node; EDS asked for the service_name, RDS for the HCM's route name
    assert.equal(ads.requests[0]?.node?.id, 'sidecar~127.0.0.1~test-1.default~default.svc.cluster.local');
    assert.equal(ads.requests[0]?.type_url, CLUSTER_TYPE);
    assert.ok(ads.requests.slice(1).every((q) => q.node === undefined), 'node only on the first request of the stream');
    assert.ok(ads.requests.some((q) => q.type_url === ENDPOINT_TYPE && q.resource_names?.join(',') === 'other,web.svc'));
    assert.ok(ads.requests.some((q) => q.type_url === ROUTE_TYPE && q.resource_names?.join(',') === 'main'));
    for (const t of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]) assert.ok(ads.acked(t), `ACK of ${t}`);
  });

  it('exposes the dynamic resources with their versions in config_dump and Envoy-named stats', () => {
    const dump = JSON.parse(JSON.stringify(proxy.configDump())) as { configs: Record<string, unknown>[] };
    const byType = (t: string): Record<string, unknown> => dump.configs.find((c) => String(c['@type']).endsWith(t))!;
    const clusters = byType('ClustersConfigDump') as { version_info: string; dynamic_active_clusters: { version_info: string; cluster: { name: string }; last_updated: string }[] };
    assert.equal(clusters.version_info, ads.version(CLUSTER_TYPE));
    assert.deepEqual(clusters.dynamic_active_clusters.map((c) => c.cluster.name).sort(), ['other', 'web']);
    assert.ok(clusters.dynamic_active_clusters.every((c) => typeof c.last_updated === 'string'));
    const lis = byType('ListenersConfigDump') as { dynamic_listeners: { name: string; active_state: { version_info: string } }[] };
    assert.equal(lis.dynamic_listeners[0]?.name, 'http');
    const rts = byType('RoutesConfigDump') as { dynamic_route_configs: { route_config: { name: string } }[] };
    assert.equal(rts.dynamic_route_configs[0]?.route_config.name, 'main');
    const flat = flatStats(proxy);
    assert.equal(flat.get('control_plane.connected_state'), 1);
    assert.equal(flat.get('cluster_manager.cds.update_success'), 1);
    assert.equal(flat.get('listener_manager.lds.update_success'), 1);
    assert.equal(flat.get('http.http.rds.main.update_success'), 1);
    assert.equal(flat.get('cluster.web.update_success'), 1);
  });

  it('switches routing on an RDS update without failing an in-flight request or closing a keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(port, '/', agent);
      assert.equal(first.body, 'a');
      const slow = get(port, '/slow?ms=400'); // in flight on its own connection while the routes change
      await new Promise((r) => setTimeout(r, 100));
      ads.set(ROUTE_TYPE, [routes('main', 'other')]);
      await ads.waitFor(() => ads.acked(ROUTE_TYPE), 3000, 'RDS ACK');
      await proxy.ads!.idle();
      const next = await get(port, '/', agent);
      assert.equal(next.body, 'b', 'new requests follow the new route');
      assert.equal(next.localPort, first.localPort, 'same keep-alive connection');
      const s = await slow;
      assert.equal(s.status, 200);
      assert.equal(s.body, 'a', 'the in-flight request finished on the route it started with');
    } finally {
      agent.destroy();
    }
  });

  it('NACKs an invalid resource with the error text and keeps serving the last good config', async () => {
    const before = ads.version(ROUTE_TYPE);
    ads.set(ROUTE_TYPE, [badRoutes('main', 'web')]);
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === ROUTE_TYPE), 3000, 'RDS NACK');
    const nack = ads.nacks.find((n) => n.typeUrl === ROUTE_TYPE)!;
    assert.match(nack.message, /^main\.virtual_hosts\[0\]\.routes\[0\]\.match/m, nack.message);
    const req = ads.requests.filter((q) => q.type_url === ROUTE_TYPE).at(-1)!;
    assert.equal(req.version_info, before, 'a NACK carries the last accepted version');
    assert.equal(req.error_detail?.code, 3);
    assert.equal((await get(port)).body, 'b');
    assert.equal(flatStats(proxy).get('http.http.rds.main.update_rejected'), 1);
    // an invalid cluster rejects the whole CDS response
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other'), { '@type': CLUSTER_TYPE, name: 'broken', type: 'STATIC', connect_timeout: '-1s' }]);
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === CLUSTER_TYPE), 3000, 'CDS NACK');
    assert.match(ads.nacks.find((n) => n.typeUrl === CLUSTER_TYPE)!.message, /^broken\./m);
    assert.equal(proxy.clusters.get('broken'), undefined);
    assert.equal(flatStats(proxy).get('cluster_manager.cds.update_rejected'), 1);
    const dump = JSON.stringify(proxy.configDump());
    assert.match(dump, /"failed_configuration_version"/);
    // fix both again
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    await ads.waitFor(() => ads.acked(ROUTE_TYPE) && ads.acked(CLUSTER_TYPE), 3000, 'ACKs');
    await proxy.ads!.idle();
    assert.equal((await get(port)).body, 'a');
  });

  it('warms a new EDS cluster and a new listener: a route to a brand-new cluster never fails while it arrives', async () => {
    let failures = 0;
    let total = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await get(port);
        total++;
        if (r.status !== 200) failures++;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    // CDS adds a cluster whose endpoints come later; RDS points at it right away
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other'), edsCluster('fresh')]);
    ads.set(ROUTE_TYPE, [routes('main', 'fresh')]);
    await new Promise((r) => setTimeout(r, 150));
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port]), cla('fresh', [b.port])]);
    await ads.waitFor(() => ads.acked(ENDPOINT_TYPE) && ads.acked(ROUTE_TYPE), 3000, 'ACKs');
    await proxy.ads!.idle();
    await until(async () => (await get(port)).body === 'b', 3000, 'route to fresh');
    // a new listener whose routes are not known yet stays unbound until they are
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main'), listener('second', 0, 'side')]);
    await ads.waitFor(() => ads.requests.some((q) => q.type_url === ROUTE_TYPE && q.resource_names?.includes('side') === true), 3000, 'RDS side');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(proxy.listeners.addresses().find((l) => l.name === 'second'), undefined, 'listener warming while its routes are missing');
    ads.set(ROUTE_TYPE, [routes('main', 'fresh'), routes('side', 'web')]);
    await until(() => proxy.listeners.addresses().some((l) => l.name === 'second'), 3000, 'second listener');
    const second = proxy.listeners.addresses().find((l) => l.name === 'second')!.port;
    assert.equal((await get(second)).body, 'a', 'the new listener serves its routes from the first request');
    stop = true;
    await loop;
    assert.equal(failures, 0, `${failures} of ${total} requests failed during the switch`);
    ads.set(LISTENER_TYPE, [listener('http', 0, 'main')]);
    ads.set(ROUTE_TYPE, [routes('main', 'web')]);
    ads.set(CLUSTER_TYPE, [edsCluster('web', 'web.svc'), edsCluster('other')]);
    await ads.waitFor(() => ads.acked(CLUSTER_TYPE) && ads.acked(ROUTE_TYPE) && ads.acked(LISTENER_TYPE), 3000, 'ACKs');
    await proxy.ads!.idle();
    assert.equal((await get(port)).body, 'a');
  });

  it('changes endpoints on an EDS-only update', async () => {
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [b.port]), cla('other', [b.port])]);
    await ads.waitFor(() => ads.acked(ENDPOINT_TYPE), 3000, 'EDS ACK');
    await proxy.ads!.idle();
    assert.equal((await get(port)).body, 'b');
    ads.set(ENDPOINT_TYPE, [cla('web.svc', [a.port]), cla('other', [b.port])]);
    await ads.waitFor(() => ads.acked(ENDPOINT_TYPE), 3000, 'EDS ACK');
    await proxy.ads!.idle();
    assert.equal((await get(port)).body, 'a');
  });

  it('keeps serving while the control plane is down, then reconnects and re-subscribes with its versions', async () => {
    const versions = new Map([CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE].map((t) => [t, ads.version(t)]));
    const seen = ads.requests.length;
    const adsPort = ads.port;
    await ads.close();
    await until(() => flatStats(proxy).get('control_plane.connected_state') === 0, 3000, 'disconnect');
    for (let i = 0; i < 5; i++) assert.equal((await get(port)).body, 'a');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await get(port)).body, 'a');
    await ads.listen(adsPort);
    await ads.waitFor(() => ads.acked(LISTENER_TYPE) && ads.requests.length > seen + 4, 8000, 're-subscription');
    const again = ads.requests.slice(seen);
    assert.ok(again[0]?.node?.id !== undefined, 'the new stream starts with the node');
    for (const [t, v] of versions) {
      const first = again.find((q) => q.type_url === t);
      assert.ok(first !== undefined, `re-subscribed ${t}`);
      assert.equal(first.version_info, v, `re-subscription of ${t} carries the version held`);
      assert.equal(first.response_nonce ?? '', '', 'a new stream starts without a nonce');
    }
    assert.equal(flatStats(proxy).get('control_plane.connected_state'), 1);
    // and updates flow again
    ads.set(ROUTE_TYPE, [routes('main', 'other')]);
    await ads.waitFor(() => ads.acked(ROUTE_TYPE), 3000, 'RDS ACK after reconnect');
    await proxy.ads!.idle();
    assert.equal((await get(port)).body, 'b');
  });
});

/** Flat Envoy stat name -> value, from the proxy's stats snapshot. */
function flatStats(p: Proxy): Map<string, number> {
  const snap = p.stats.snapshot();
  const out = new Map<string, number>();
  for (const s of [...snap.counters, ...snap.gauges]) out.set(flatName(s.segments), s.value);
  return out;
}
