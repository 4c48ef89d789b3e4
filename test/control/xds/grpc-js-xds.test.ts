// Tests the ADS server against the real @grpc/grpc-js-xds client: xds:/// targets resolve (inline route and RDS), calls reach a real server, a closed channel unsubscribes, no NACK.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { AdsServer } from '../../../src/control/xds/ads-server.js';
import type { ConnectedProxy, GeneratedResource, XdsGenerator } from '../../../src/control/xds/types.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTER_TYPE } from '../../../src/xds/type-urls.js';
import { until } from './ads-client.js';
import { ECHO } from './echo-service.js';

const router = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } };

function listener(name: string, hcm: Record<string, unknown>): Record<string, unknown> {
  return { '@type': LISTENER_TYPE, name, api_listener: { api_listener: { '@type': HCM_TYPE, http_filters: [router], ...hcm } } };
}

function routeConfig(name: string, domain: string, cluster: string): Record<string, unknown> {
  return { '@type': ROUTE_TYPE, name, virtual_hosts: [{ name: `vh-${domain}`, domains: [domain], routes: [{ match: { prefix: '' }, route: { cluster } }] }] };
}

/** Serves two targets: `svc` (inline route_config) and `svc-rds` (route via RDS), both to one EDS cluster. */
function generator(appPort: number): XdsGenerator {
  const table: Record<string, GeneratedResource[]> = {
    [LISTENER_TYPE]: [
      { name: 'svc', resource: listener('svc', { route_config: routeConfig('inline', 'svc', 'cluster-svc') }) },
      { name: 'svc-rds', resource: listener('svc-rds', { rds: { route_config_name: 'route-svc', config_source: { ads: {}, resource_api_version: 'V3' } } }) },
    ],
    [ROUTE_TYPE]: [{ name: 'route-svc', resource: routeConfig('route-svc', 'svc-rds', 'cluster-svc') }],
    [CLUSTER_TYPE]: [
      {
        name: 'cluster-svc',
        resource: {
          name: 'cluster-svc',
          type: 'EDS',
          eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'cla-svc' },
          lb_policy: 'ROUND_ROBIN',
          connect_timeout: '1s',
        },
      },
    ],
    [ENDPOINT_TYPE]: [
      {
        name: 'cla-svc',
        resource: {
          cluster_name: 'cla-svc',
          endpoints: [
            {
              locality: { region: 'r1', zone: 'z1' },
              load_balancing_weight: 1,
              lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: appPort } } }, health_status: 'HEALTHY' }],
            },
          ],
        },
      },
    ],
  };
  return {
    generate(_p: ConnectedProxy, typeUrl: string, names: readonly string[]): GeneratedResource[] {
      const all = table[typeUrl] ?? [];
      return names.length === 0 ? all : all.filter((r) => names.includes(r.name));
    },
  };
}

describe('@grpc/grpc-js-xds against the ADS server', () => {
  let app: grpc.Server;
  let ads: AdsServer;
  let adsPort: number;
  let seen = 0;
  const logs: string[] = [];

  before(async () => {
    app = new grpc.Server();
    app.addService(ECHO, {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seen++;
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
      },
    });
    const appPort = await new Promise<number>((res, rej) => app.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    ads = new AdsServer({ generator: generator(appPort), log: (m) => logs.push(m) });
    adsPort = await ads.listen(0);
  });

  after(async () => {
    await ads.close();
    app.forceShutdown();
  });

  it('resolves xds:///svc (inline route) and xds:///svc-rds (RDS); unary calls succeed; every type SYNCED, no NACK', async () => {
    const bootstrap = {
      xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      // grpc-js-xds rejects a bootstrap whose node has no locality
      node: { id: 'proxyless~127.0.0.1~client.default~default.svc.cluster.local', metadata: { NAMESPACE: 'default' }, locality: { region: 'r1', zone: 'z1' } },
    };
    const child = spawn(process.execPath, [fileURLToPath(new URL('./grpc-xds-child.js', import.meta.url)), 'svc', 'svc-rds'], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
        setTimeout(() => reject(new Error('child timed out')), 20_000).unref();
      });
      assert.deepEqual(JSON.parse(line), { svc: 'echo:svc', 'svc-rds': 'echo:svc-rds' });
      assert.equal(seen, 2);
      const mine = () => ads.proxies().find((p) => p.id.startsWith('proxyless~'));
      // the child closed the svc channel, so grpc-js-xds unsubscribes its Listener; svc-rds stays open
      const settled = (): boolean => {
        const types = mine()?.types ?? [];
        return types.length >= 4 && types.every((t) => t.status === 'SYNCED') && JSON.stringify(types.find((t) => t.type === 'lds')?.subscribed) === '["svc-rds"]';
      };
      await until(settled).catch(() => assert.fail(`stream never settled: ${JSON.stringify(ads.proxies())}\n${logs.join('\n')}`));
      const types = mine()?.types ?? [];
      assert.deepEqual(types.filter((t) => t.nackError !== undefined), [], `NACKs: ${logs.join('\n')}`);
      assert.deepEqual(types.map((t) => t.type).sort(), ['cds', 'eds', 'lds', 'rds']);
      assert.equal(ads.proxies().filter((p) => p.id.startsWith('proxyless~')).length, 1, 'one ADS stream');
    } finally {
      child.stdin.end('exit\n');
      await exited;
    }
  });
});
