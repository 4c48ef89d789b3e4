// Tests: LDS/CDS from their own sources — files (path_config_source, deprecated path) applied through the ADS
// validation/apply path and reloaded on a move, invalid files rejected whole; and LDS/CDS on their own gRPC services
// (ListenerDiscoveryService / ClusterDiscoveryService) on different management servers, with EDS/RDS over ADS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTER_TYPE } from '../../../src/xds/type-urls.js';
import { flatName } from '../../../src/proxy/telemetry/stat-name.js';
import { FakeAds } from './fake-ads.js';
import { cla, edsCluster, get, listener, routes, upstream, type Upstream } from './resources.js';

function flatStats(p: Proxy): Map<string, number> {
  const snap = p.stats.snapshot();
  const out = new Map<string, number>();
  for (const s of [...snap.counters, ...snap.gauges]) out.set(flatName(s.segments), s.value);
  return out;
}

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function staticCluster(name: string, port: number): Json {
  return { '@type': CLUSTER_TYPE, name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] } };
}

/** A listener with an inline route to `cluster` (files carry everything: no RDS). */
function inlineListener(name: string, cluster: string, prefix = '/'): Json {
  return {
    '@type': LISTENER_TYPE,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: name,
              route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix }, route: { cluster } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

const yaml = (version: string, resources: Json[]): string => JSON.stringify({ version_info: version, resources }, null, 1);

describe('LDS and CDS from files', () => {
  let dir: string;
  let a: Upstream;
  let b: Upstream;
  let proxy: Proxy;
  const logs: string[] = [];
  const cds = (): string => path.join(dir, 'cds.json');
  const lds = (): string => path.join(dir, 'lds.yaml');
  const moveInto = (file: string, text: string): void => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  const port = (name: string): number => proxy.listeners.addresses().find((l) => l.name === name)?.port ?? 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-dynfs-'));
    a = await upstream('a');
    b = await upstream('b');
    fs.writeFileSync(cds(), yaml('c1', [staticCluster('svc', a.port)]));
    fs.writeFileSync(lds(), yaml('l1', [inlineListener('http', 'svc')]));
    const r = parseBootstrap(
      {
        node: { id: 'file-node', cluster: 'test' },
        dynamic_resources: { cds_config: { path_config_source: { path: 'cds.json' }, resource_api_version: 'V3' }, lds_config: { path: 'lds.yaml' } },
      },
      { baseDir: dir },
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    proxy = new Proxy({ bootstrap: r.value });
    // the xDS client logs through stderr by default; keep the test output clean
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string | Uint8Array) => (logs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      await proxy.start();
    } finally {
      process.stderr.write = write;
    }
  });

  after(async () => {
    await proxy.stop(100);
    await a.close();
    await b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the files applied (clusters before listeners) and serves', async () => {
    assert.ok(port('http') > 0);
    assert.equal((await get(port('http'))).body, 'a');
    const flat = flatStats(proxy);
    assert.equal(flat.get('cluster_manager.cds.update_success'), 1);
    assert.equal(flat.get('listener_manager.lds.update_success'), 1);
    assert.equal(proxy.ads?.state.clusters.version, 'c1');
  });

  it('a move into place is a new version: clusters and listeners change live', async () => {
    moveInto(cds(), yaml('c2', [staticCluster('svc', b.port), staticCluster('other', a.port)]));
    await until(async () => (await get(port('http'))).body === 'b', 'the new cluster endpoint');
    moveInto(lds(), yaml('l2', [inlineListener('http', 'svc'), inlineListener('second', 'other')]));
    await until(() => port('second') > 0, 'the second listener');
    assert.equal((await get(port('second'))).body, 'a');
    assert.equal(proxy.ads?.state.listeners.version, 'l2');
  });

  it('an invalid file is rejected whole; an unparsable one counts as a failure; the last good config keeps serving', async () => {
    const flat0 = flatStats(proxy);
    // one bad listener rejects the whole file, including the good change next to it
    moveInto(lds(), yaml('l3', [inlineListener('http', 'svc'), { ...inlineListener('third', 'other'), bogus_field: 1 }]));
    await until(() => (flatStats(proxy).get('listener_manager.lds.update_rejected') ?? 0) > (flat0.get('listener_manager.lds.update_rejected') ?? 0), 'the rejection');
    assert.equal(proxy.ads?.state.listeners.version, 'l2');
    assert.match(proxy.ads?.state.listeners.lastRejected?.details ?? '', /third\.bogus_field: unknown field/);
    assert.equal(port('third'), 0);
    moveInto(cds(), '{ "resources": [');
    await until(() => (flatStats(proxy).get('cluster_manager.cds.update_failure') ?? 0) > (flat0.get('cluster_manager.cds.update_failure') ?? 0), 'the failure');
    assert.equal((await get(port('http'))).body, 'b');
    assert.equal((await get(port('second'))).body, 'a');
  });
});

describe('LDS and CDS on their own gRPC services', () => {
  const ldsServer = new FakeAds();
  const cdsServer = new FakeAds();
  const adsServer = new FakeAds();
  let a: Upstream;
  let proxy: Proxy;

  before(async () => {
    a = await upstream('a');
    await Promise.all([ldsServer.listen(), cdsServer.listen(), adsServer.listen()]);
    cdsServer.set(CLUSTER_TYPE, [edsCluster('web')]);
    ldsServer.set(LISTENER_TYPE, [listener('http', 0, 'main')]);
    adsServer.set(ENDPOINT_TYPE, [cla('web', [a.port])]);
    adsServer.set(ROUTE_TYPE, [routes('main', 'web')]);
    const grpcSource = (cluster: string, api = 'GRPC'): Json => ({
      api_config_source: { api_type: api, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: cluster } }] },
      resource_api_version: 'V3',
    });
    const mgmt = (name: string, port: number): Json => ({ name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] } });
    const r = parseBootstrap(
      {
        node: { id: 'split-node', cluster: 'test' },
        dynamic_resources: {
          ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'ads' } }] },
          lds_config: grpcSource('lds-server'),
          cds_config: grpcSource('cds-server'),
        },
        static_resources: { clusters: [mgmt('ads', adsServer.port), mgmt('lds-server', ldsServer.port), mgmt('cds-server', cdsServer.port)] },
      },
      { baseDir: process.cwd() },
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    proxy = new Proxy({ bootstrap: r.value });
    await proxy.start();
  });

  after(async () => {
    await proxy.stop(100);
    await Promise.all([ldsServer.close(), cdsServer.close(), adsServer.close()]);
    await a.close();
  });

  it('CDS comes over ClusterDiscoveryService, LDS over ListenerDiscoveryService, EDS and RDS over ADS; traffic flows', async () => {
    const port = proxy.listeners.addresses().find((l) => l.name === 'http')?.port ?? 0;
    assert.ok(port > 0);
    assert.equal((await get(port)).body, 'a');
    assert.deepEqual([...new Set(cdsServer.services)], ['cluster']);
    assert.deepEqual([...new Set(cdsServer.requests.map((q) => q.type_url))], [CLUSTER_TYPE]);
    assert.deepEqual([...new Set(ldsServer.services)], ['listener']);
    assert.deepEqual([...new Set(ldsServer.requests.map((q) => q.type_url))], [LISTENER_TYPE]);
    assert.deepEqual([...new Set(adsServer.requests.map((q) => q.type_url))].sort(), [ENDPOINT_TYPE, ROUTE_TYPE].sort());
    // each stream carries the node on its first request
    for (const s of [cdsServer, ldsServer, adsServer]) assert.equal(s.requests[0]?.node?.id, 'split-node');
    assert.ok(cdsServer.acked(CLUSTER_TYPE) && ldsServer.acked(LISTENER_TYPE));
  });

  it('an update on one stream is ACKed there and applied; a bad one is NACKed there only', async () => {
    cdsServer.set(CLUSTER_TYPE, [edsCluster('web'), { '@type': CLUSTER_TYPE, name: 'broken', type: 'STATIC', connect_timeout: '-1s' }]);
    await cdsServer.waitFor(() => cdsServer.nacks.length > 0, 3000, 'CDS NACK');
    assert.equal(ldsServer.nacks.length + adsServer.nacks.length, 0);
    ldsServer.set(LISTENER_TYPE, [listener('http', 0, 'main'), listener('http2', 0, 'main')]);
    await ldsServer.waitFor(() => ldsServer.acked(LISTENER_TYPE), 3000, 'LDS ACK');
    await proxy.ads!.idle();
    const p2 = proxy.listeners.addresses().find((l) => l.name === 'http2')?.port ?? 0;
    assert.equal((await get(p2)).body, 'a');
  });
});

describe('CDS from a file and static listeners (no lds_config)', () => {
  it('the static listeners go live as soon as the clusters are in, not after initial_fetch_timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-cdsonly-'));
    const a = await upstream('a');
    fs.writeFileSync(path.join(dir, 'cds.yaml'), yaml('1', [staticCluster('svc', a.port)]));
    const static0 = { ...inlineListener('static', 'svc') };
    delete static0['@type'];
    const r = parseBootstrap({ dynamic_resources: { cds_config: { path: 'cds.yaml' } }, static_resources: { listeners: [static0] } }, { baseDir: dir });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const proxy = new Proxy({ bootstrap: r.value });
    const t0 = Date.now();
    try {
      await proxy.start();
      assert.ok(Date.now() - t0 < 3000, `started in ${Date.now() - t0} ms`);
      const port = proxy.listeners.addresses().find((l) => l.name === 'static')?.port ?? 0;
      assert.equal((await get(port)).body, 'a');
    } finally {
      await proxy.stop(100);
      await a.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
