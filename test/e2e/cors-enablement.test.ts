// E2E: CorsPolicy filter_enabled / shadow_enabled in a real `trellis proxy` — a policy switched off by runtime only counts
// origins (cors.origin_valid / origin_invalid) without answering preflights or adding headers; /runtime_modify turns it on.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTER_FILTER, adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

const CORS = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
const POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

let up: Upstream;
let proxy: RunningProxy;
let port: number;

before(async () => {
  up = await startUpstream('app');
  proxy = await startProxy({
    ...httpBootstrap({
      clusters: [staticCluster('app', [up.port])],
      httpFilters: [{ name: 'envoy.filters.http.cors', typed_config: { '@type': CORS } }, ROUTER_FILTER],
      routeConfig: {
        name: 'r',
        virtual_hosts: [
          {
            name: 'app',
            domains: ['*'],
            typed_per_filter_config: {
              'envoy.filters.http.cors': {
                '@type': POLICY,
                allow_origin_string_match: [{ exact: 'https://good.example' }],
                allow_methods: 'GET,PUT',
                filter_enabled: { default_value: { numerator: 0, denominator: 'HUNDRED' }, runtime_key: 'cors.app.enabled' },
                shadow_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' }, runtime_key: 'cors.app.shadow' },
              },
            },
            routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }],
          },
        ],
      },
    }),
    layered_runtime: { layers: [{ name: 'admin', admin_layer: {} }] },
  });
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await up?.close();
});

async function counter(name: string): Promise<number> {
  const body = (await adminGet(proxy.adminPort, `/stats?filter=${name}`)).body;
  const m = new RegExp(`http\\.ingress_http\\.cors\\.${name}: (\\d+)`).exec(body);
  return m === null ? 0 : Number(m[1]);
}

test('shadow only: origins are counted, but preflights go upstream and no CORS headers are added', async () => {
  const pre = await request(port, { method: 'OPTIONS', headers: { origin: 'https://good.example', 'access-control-request-method': 'PUT' } });
  assert.equal(pre.headers['x-upstream'], 'app'); // not answered by the proxy
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
  const get = await request(port, { headers: { origin: 'https://evil.example' } });
  assert.equal(get.headers['access-control-allow-origin'], undefined);
  assert.equal(await counter('origin_valid'), 1);
  assert.equal(await counter('origin_invalid'), 1);
});

test('runtime turns enforcement on: the preflight is answered locally and simple requests get the headers', async () => {
  assert.equal((await adminGet(proxy.adminPort, '/runtime_modify?cors.app.enabled=100', 'POST')).status, 200);
  const pre = await request(port, { method: 'OPTIONS', headers: { origin: 'https://good.example', 'access-control-request-method': 'PUT' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['x-upstream'], undefined);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://good.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,PUT');
  const get = await request(port, { headers: { origin: 'https://good.example' } });
  assert.equal(get.headers['access-control-allow-origin'], 'https://good.example');
  assert.equal(await counter('origin_valid'), 3);
});

test('with both shares at 0 the policy is off: nothing is counted', async () => {
  await adminGet(proxy.adminPort, '/runtime_modify?cors.app.enabled=0&cors.app.shadow=0', 'POST');
  const before = await counter('origin_valid');
  const get = await request(port, { headers: { origin: 'https://good.example' } });
  assert.equal(get.headers['access-control-allow-origin'], undefined);
  assert.equal(await counter('origin_valid'), before);
});
