// E2E: dynamic_resources without ADS in a real `trellis proxy` — LDS and CDS from files (a move into place is a new
// version; invalid content is rejected whole and the last good config keeps serving; a ConfigMap-style watched_directory),
// and LDS / CDS on their own gRPC services (ListenerDiscoveryService, ClusterDiscoveryService) of different servers.
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminGet, request, startProxy, startUpstream, waitFor, type RunningProxy, type Upstream } from './harness.js';
import { FakeAds } from '../proxy/xds/fake-ads.js';
import { cla, edsCluster, listener, routes } from '../proxy/xds/resources.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTER_TYPE } from '../../src/xds/type-urls.js';

type J = Record<string, unknown>;

function cluster(name: string, port: number): J {
  return { '@type': CLUSTER_TYPE, name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] } };
}

function httpListener(name: string, routesTo: Record<string, string>): J {
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
              route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: Object.entries(routesTo).map(([prefix, c]) => ({ match: { prefix }, route: { cluster: c } })) }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

/** Listener ports printed so far, including LDS listeners bound after start-up. */
function listenerPorts(p: RunningProxy): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of p.output().matchAll(/^listener (\S+) listening on [\d.]+:(\d+)$/gm)) out.set(m[1], Number(m[2]));
  return out;
}

async function stat(p: RunningProxy, name: string): Promise<number> {
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec((await adminGet(p.adminPort, `/stats?filter=${name}`)).body);
  return m === null ? 0 : Number(m[1]);
}

describe('LDS and CDS from files', () => {
  let dir: string;
  let cm: string;
  let a: Upstream;
  let b: Upstream;
  let proxy: RunningProxy;
  const cdsFile = (): string => path.join(dir, 'cds.yaml');
  const yaml = (version: string, resources: J[]): string => `version_info: "${version}"\nresources: ${JSON.stringify(resources)}\n`;
  /** The atomic replacement Envoy (and trellis) watch for. */
  const moveInto = (file: string, text: string): void => {
    fs.writeFileSync(`${file}.next`, text);
    fs.renameSync(`${file}.next`, file);
  };
  /** A Kubernetes ConfigMap update: a new timestamped directory, then the ..data link swapped onto it. */
  const configMapUpdate = (text: string): void => {
    const ts = path.join(cm, `..${Date.now()}_${Math.random()}`);
    fs.mkdirSync(ts);
    fs.writeFileSync(path.join(ts, 'lds.yaml'), text);
    fs.symlinkSync(path.basename(ts), path.join(cm, '..data_tmp'));
    fs.renameSync(path.join(cm, '..data_tmp'), path.join(cm, '..data'));
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-e2e-dyn-'));
    a = await startUpstream('a');
    b = await startUpstream('b');
    fs.writeFileSync(cdsFile(), yaml('1', [cluster('app', a.port)]));
    cm = path.join(dir, 'config-map');
    fs.mkdirSync(cm);
    fs.mkdirSync(path.join(cm, '..v1'));
    fs.writeFileSync(path.join(cm, '..v1', 'lds.yaml'), yaml('1', [httpListener('web', { '/': 'app' })]));
    fs.symlinkSync('..v1', path.join(cm, '..data'));
    fs.symlinkSync('..data/lds.yaml', path.join(cm, 'lds.yaml'));
    proxy = await startProxy({
      node: { id: 'files', cluster: 'e2e' },
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
      dynamic_resources: {
        cds_config: { path: cdsFile(), resource_api_version: 'V3' },
        lds_config: { path_config_source: { path: path.join(cm, 'lds.yaml'), watched_directory: { path: cm } }, resource_api_version: 'V3' },
      },
    });
  });

  after(async () => {
    await proxy?.stop();
    await a?.close();
    await b?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the proxy starts from the files and serves', async () => {
    const port = proxy.listeners.get('web')!;
    const r = await request(port, { path: '/x' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upstream'], 'a');
  });

  test('moving a new CDS file into place moves traffic; a ConfigMap swap adds a listener', async () => {
    moveInto(cdsFile(), yaml('2', [cluster('app', b.port), cluster('other', a.port)]));
    await waitFor(async () => (await request(proxy.listeners.get('web')!)).headers['x-upstream'] === 'b', 5000, 'traffic on the new endpoint');
    configMapUpdate(yaml('2', [httpListener('web', { '/': 'app' }), httpListener('admin-api', { '/': 'other' })]));
    const port = (await waitFor(() => listenerPorts(proxy).get('admin-api'), 5000, 'the new listener'))!;
    assert.equal((await request(port)).headers['x-upstream'], 'a');
    assert.equal(await stat(proxy, 'listener_manager.lds.update_success'), 2);
  });

  test('invalid content is rejected whole and unparsable content fails; the last good config keeps serving', async () => {
    // a good new cluster next to a broken one: nothing of the file is applied
    moveInto(cdsFile(), yaml('3', [cluster('app', a.port), { ...cluster('broken', a.port), lb_policy: 'FASTEST' }]));
    await waitFor(async () => (await stat(proxy, 'cluster_manager.cds.update_rejected')) === 1, 5000, 'the rejection');
    moveInto(cdsFile(), 'resources: [');
    await waitFor(async () => (await stat(proxy, 'cluster_manager.cds.update_failure')) === 1, 5000, 'the failure');
    assert.equal((await request(proxy.listeners.get('web')!)).headers['x-upstream'], 'b');
    assert.match(proxy.output(), /rejected CDS version 3 \(keeping 2\)/);
    const dump = JSON.parse((await adminGet(proxy.adminPort, '/config_dump')).body) as { configs: { '@type': string; version_info?: string }[] };
    assert.equal(dump.configs.find((c) => c['@type'].endsWith('ClustersConfigDump'))?.version_info, '2');
  });
});

describe('LDS and CDS on their own gRPC streams', () => {
  const ldsServer = new FakeAds();
  const cdsServer = new FakeAds();
  const adsServer = new FakeAds();
  let up: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    up = await startUpstream('svc');
    await Promise.all([ldsServer.listen(), cdsServer.listen(), adsServer.listen()]);
    cdsServer.set(CLUSTER_TYPE, [edsCluster('svc')]);
    ldsServer.set(LISTENER_TYPE, [listener('mesh', 0, 'main')]);
    adsServer.set(ENDPOINT_TYPE, [cla('svc', [up.port])]);
    adsServer.set(ROUTE_TYPE, [routes('main', 'svc')]);
    const mgmt = (name: string, port: number): J => ({ name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] } });
    const source = (c: string, api: string): J => ({ api_config_source: { api_type: api, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: c } }] }, resource_api_version: 'V3' });
    proxy = await startProxy({
      node: { id: 'split', cluster: 'e2e' },
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
      dynamic_resources: {
        ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'ads' } }] },
        lds_config: source('lds', 'GRPC'),
        cds_config: source('cds', 'GRPC'),
      },
      static_resources: { clusters: [mgmt('ads', adsServer.port), mgmt('lds', ldsServer.port), mgmt('cds', cdsServer.port)] },
    });
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([ldsServer.close(), cdsServer.close(), adsServer.close()]);
    await up?.close();
  });

  test('listeners come from ListenerDiscoveryService, clusters from ClusterDiscoveryService, the rest over ADS', async () => {
    const r = await request(proxy.listeners.get('mesh')!);
    assert.equal(r.headers['x-upstream'], 'svc');
    assert.deepEqual([...new Set(ldsServer.services)], ['listener']);
    assert.deepEqual([...new Set(cdsServer.services)], ['cluster']);
    assert.deepEqual([...new Set(adsServer.requests.map((q) => q.type_url))].sort(), [ENDPOINT_TYPE, ROUTE_TYPE].sort());
  });

  test('a new listener pushed on the LDS stream is bound and ACKed there', async () => {
    ldsServer.set(LISTENER_TYPE, [listener('mesh', 0, 'main'), listener('mesh2', 0, 'main')]);
    await ldsServer.waitFor(() => ldsServer.acked(LISTENER_TYPE), 5000, 'LDS ACK');
    const port = (await waitFor(() => listenerPorts(proxy).get('mesh2'), 5000, 'mesh2'))!;
    assert.equal((await request(port)).headers['x-upstream'], 'svc');
    assert.equal(await stat(proxy, 'control_plane.connected_state'), 1);
  });
});
