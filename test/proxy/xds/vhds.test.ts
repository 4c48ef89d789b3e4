// Tests: VHDS in the proxy's Delta ADS client — virtual hosts of a route configuration as resources of their own, composed into its route table; NACKs keep the last good table; SotW refuses vhds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { RouteMatchResult } from '../../../src/proxy/router/types.js';
import type { DeltaDiscoveryRequest } from '../../../src/xds/ads-service.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';
import { FakeAds } from './fake-ads.js';
import { FakeDeltaAds } from './fake-delta-ads.js';
import { adsBootstrap, flatStats, until } from './delta-helpers.js';
import { badRoutes, cla, edsCluster, get, listener, routes, upstream, vhdsRoutes, vhost, type Upstream } from './resources.js';

const INLINE = { name: 'inline', domains: ['inline.test'], routes: [{ match: { prefix: '/' }, route: { cluster: 'web' } }] };
const BAD_REGEX = { match: { safe_regex: { regex: '((unclosed' } } };

describe('VHDS over the Delta ADS client', () => {
  const ads = new FakeDeltaAds();
  let a: Upstream;
  let b: Upstream;
  let proxy: Proxy;
  let port = 0;

  const host = async (h: string): Promise<string> => {
    const r = await get(port, '/', undefined, h);
    return r.status === 200 ? r.body : String(r.status);
  };
  const ofType = (t: string, from = 0): DeltaDiscoveryRequest[] => ads.requests.slice(from).filter((q) => q.type_url === t);
  const settle = async (...types: string[]): Promise<void> => {
    await ads.waitFor(() => types.every((t) => ads.acked(t)), 3000, `ACK of ${types.join(', ')}`);
    await proxy.ads!.idle();
  };
  const matchOf = (authority: string): RouteMatchResult | null =>
    proxy.rds.get('vh')?.match({ authority, path: '/', method: 'GET', headers: {}, scheme: 'http' }) ?? null;

  before(async () => {
    a = await upstream('a');
    b = await upstream('b');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [edsCluster('web'), edsCluster('other')]);
    ads.set(ENDPOINT_TYPE, [cla('web', [a.port]), cla('other', [b.port])]);
    ads.set(LISTENER_TYPE, [listener('http', 0, 'vh')]);
    ads.set(ROUTE_TYPE, [vhdsRoutes('vh', [INLINE])]);
    ads.set(VIRTUAL_HOST_TYPE, [
      { deltaName: 'vh/a', resource: vhost('a', ['a.test'], 'web') }, // the resource's own name need not carry the namespace
      vhost('vh/b', ['b.test'], 'other'),
      vhost('elsewhere/x', ['x.test'], 'web'), // another route configuration's: never sent
    ]);
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

  it('subscribes the route configuration name and serves its VHDS virtual hosts from the first request (the listener warms for them)', async () => {
    assert.deepEqual(ofType(VIRTUAL_HOST_TYPE)[0]?.resource_names_subscribe, ['vh']);
    assert.equal(await host('a.test'), 'a');
    assert.equal(await host('b.test'), 'b');
    assert.equal(await host('inline.test'), 'a', 'the inline virtual host stays');
    assert.equal(await host('x.test'), '404');
    assert.ok(ads.acked(VIRTUAL_HOST_TYPE));
    const dump = JSON.parse(JSON.stringify(proxy.configDump())) as { configs: Record<string, unknown>[] };
    const rds = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump')) as { dynamic_route_configs: { route_config: { name: string; virtual_hosts: { name: string }[] } }[] };
    assert.deepEqual(rds.dynamic_route_configs[0]?.route_config.virtual_hosts.map((v) => v.name), ['inline', 'a', 'vh/b'], 'config_dump shows them merged');
    assert.equal(flatStats(proxy).get('http.http.vhds.vh.update_success'), 1);
  });

  it('adds, updates and removes virtual hosts; an unchanged one is not recompiled', async () => {
    const bBefore = matchOf('b.test')?.route;
    const aBefore = matchOf('a.test')?.route;
    ads.set(VIRTUAL_HOST_TYPE, [{ deltaName: 'vh/a', resource: vhost('a', ['a.test'], 'other') }, vhost('vh/b', ['b.test'], 'other'), vhost('vh/c', ['c.test'], 'web')]);
    assert.deepEqual(ads.responses.at(-1)?.resources.map((r) => r.name), ['vh/a', 'vh/c']);
    await settle(VIRTUAL_HOST_TYPE);
    assert.equal(await host('a.test'), 'b', 'updated');
    assert.equal(await host('c.test'), 'a', 'added');
    assert.ok(bBefore !== undefined && matchOf('b.test')?.route === bBefore, 'vh/b reused its compiled routes');
    assert.notEqual(matchOf('a.test')?.route, aBefore);
    ads.set(VIRTUAL_HOST_TYPE, [{ deltaName: 'vh/a', resource: vhost('a', ['a.test'], 'other') }, vhost('vh/c', ['c.test'], 'web')]);
    assert.deepEqual(ads.responses.at(-1)?.removed_resources, ['vh/b']);
    await settle(VIRTUAL_HOST_TYPE);
    assert.equal(await host('b.test'), '404', 'removed');
    assert.equal(await host('c.test'), 'a');
    assert.equal(flatStats(proxy).get('http.http.vhds.vh.update_success'), 3);
  });

  it('NACKs a bad virtual host, a duplicate domain and a whole response with one bad resource, keeping the last good table', async () => {
    ads.push(VIRTUAL_HOST_TYPE, [vhost('vh/d', ['d.test'], 'web', BAD_REGEX)]);
    await ads.waitFor(() => ads.nacks.length === 1, 3000, 'NACK 1');
    assert.match(ads.nacks[0]!.message, /^vh\/d\.routes\[0\]\.match\.safe_regex/m, ads.nacks[0]!.message);
    ads.push(VIRTUAL_HOST_TYPE, [vhost('vh/e', ['A.test'], 'web')]);
    await ads.waitFor(() => ads.nacks.length === 2, 3000, 'NACK 2');
    assert.match(ads.nacks[1]!.message, /^vh\/e\.domains\[0\]: domain "a\.test" is already used by virtual host "a"/m, ads.nacks[1]!.message);
    ads.push(VIRTUAL_HOST_TYPE, [vhost('vh/f', ['inline.test'], 'other')]);
    await ads.waitFor(() => ads.nacks.length === 3, 3000, 'NACK 3');
    assert.match(ads.nacks[2]!.message, /virtual host "inline"/);
    ads.push(VIRTUAL_HOST_TYPE, [vhost('vh/g', ['g.test'], 'web'), vhost('vh/h', ['h.test'], 'web', BAD_REGEX)], ['vh/c']);
    await ads.waitFor(() => ads.nacks.length === 4, 3000, 'NACK 4');
    await proxy.ads!.idle();
    assert.equal(await host('g.test'), '404', 'the good virtual host of a NACKed response is not applied');
    assert.equal(await host('c.test'), 'a', 'nor its removal');
    assert.equal(await host('a.test'), 'b');
    assert.equal(await host('inline.test'), 'a');
    assert.equal(flatStats(proxy).get('http.http.vhds.vh.update_rejected'), 4);
    assert.match(JSON.stringify(proxy.configDump()), /"failed_configuration_version"/);
    ads.set(VIRTUAL_HOST_TYPE, [{ deltaName: 'vh/a', resource: vhost('a', ['a.test'], 'other') }, vhost('vh/c', ['c.test'], 'web')]);
    await settle(VIRTUAL_HOST_TYPE);
    assert.equal(await host('d.test'), '404');
  });

  it('recomposes on an RDS update, NACKs one whose inline domains clash with VHDS ones, and unsubscribes when vhds goes away', async () => {
    ads.set(ROUTE_TYPE, [vhdsRoutes('vh', [{ ...INLINE, domains: ['inline.test', 'c.test'] }])]);
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === ROUTE_TYPE), 3000, 'RDS NACK');
    assert.match(ads.nacks.find((n) => n.typeUrl === ROUTE_TYPE)!.message, /^vh\.virtual_hosts\[0\]\.domains\[1\]: domain "c\.test" is already used by VHDS virtual host vh\/c/m);
    assert.equal(await host('c.test'), 'a');
    ads.set(ROUTE_TYPE, [vhdsRoutes('vh', [{ ...INLINE, routes: [{ match: { prefix: '/' }, route: { cluster: 'other' } }] }])]);
    await settle(ROUTE_TYPE);
    assert.equal(await host('inline.test'), 'b', 'the new inline virtual host');
    assert.equal(await host('a.test'), 'b', 'with the VHDS ones kept');
    assert.equal(await host('c.test'), 'a');

    const seen = ads.requests.length;
    ads.set(ROUTE_TYPE, [routes('vh', 'web')]);
    await ads.waitFor(() => ofType(VIRTUAL_HOST_TYPE, seen).some((q) => q.resource_names_unsubscribe !== undefined), 3000, 'VHDS unsubscribe');
    assert.deepEqual(ofType(VIRTUAL_HOST_TYPE, seen).find((q) => q.resource_names_unsubscribe !== undefined)!.resource_names_unsubscribe, ['vh']);
    await settle(ROUTE_TYPE);
    assert.equal(proxy.ads!.state.vhosts.resources.size, 0);
    assert.equal(await host('a.test'), 'a', 'a plain route configuration: everything to web');

    const again = ads.requests.length;
    ads.set(ROUTE_TYPE, [vhdsRoutes('vh', [INLINE])]);
    await ads.waitFor(() => ofType(VIRTUAL_HOST_TYPE, again).some((q) => q.resource_names_subscribe !== undefined), 3000, 'VHDS subscribe');
    await settle(ROUTE_TYPE, VIRTUAL_HOST_TYPE);
    await until(async () => (await host('a.test')) === 'b', 3000, 'a.test from VHDS again');
    assert.equal(await host('c.test'), 'a');
    assert.equal(await host('zzz.test'), '404');
  });
});

describe('VHDS over SotW', () => {
  it("NACKs a route configuration with vhds (Envoy: only 'DELTA_GRPC' is supported) and keeps the last good one", async () => {
    const ads = new FakeAds();
    const up = await upstream('a');
    await ads.listen();
    ads.set(CLUSTER_TYPE, [edsCluster('web')]);
    ads.set(ENDPOINT_TYPE, [cla('web', [up.port])]);
    ads.set(LISTENER_TYPE, [listener('http', 0, 'vh')]);
    ads.set(ROUTE_TYPE, [routes('vh', 'web')]);
    const r = parseBootstrap(adsBootstrap(ads.port, 'GRPC'), { baseDir: process.cwd() });
    assert.ok(r.ok);
    const proxy = new Proxy({ bootstrap: r.value });
    try {
      await proxy.start();
      assert.equal(proxy.ads?.api, 'sotw');
      const port = proxy.listeners.addresses().find((l) => l.name === 'http')!.port;
      ads.set(ROUTE_TYPE, [vhdsRoutes('vh', [INLINE])]);
      await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === ROUTE_TYPE), 3000, 'RDS NACK');
      assert.equal(ads.nacks[0]!.message, "vh: vhds: only 'DELTA_GRPC' is supported as an api_type");
      assert.equal((await get(port)).body, 'a');
      assert.ok(!ads.requests.some((q) => q.type_url === VIRTUAL_HOST_TYPE), 'no VHDS subscription over SotW');
      // a bad route configuration is still reported as before
      ads.set(ROUTE_TYPE, [badRoutes('vh', 'web')]);
      await ads.waitFor(() => ads.nacks.length === 2, 3000, 'second NACK');
    } finally {
      await proxy.stop(50);
      await ads.close();
      await up.close();
    }
  });
});
