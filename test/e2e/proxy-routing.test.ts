// E2E: `trellis proxy -c` routes real HTTP traffic by host, path, header and weight, and answers like Envoy.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

let ups: Upstream[] = [];
let proxy: RunningProxy;
let port: number;

before(async () => {
  ups = await Promise.all(['a', 'b', 'c', 'v1', 'v2'].map((n) => startUpstream(n)));
  const [a, b, c, v1, v2] = ups;
  proxy = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port]), staticCluster('c', [c.port]), staticCluster('v1', [v1.port]), staticCluster('v2', [v2.port]), staticCluster('dead', [1])],
      routeConfig: {
        name: 'local',
        response_headers_to_add: [{ header: { key: 'x-rc', value: 'yes' } }],
        virtual_hosts: [
          {
            name: 'split',
            domains: ['split.local'],
            routes: [
              {
                match: { prefix: '/' },
                route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 2 }, { name: 'c', weight: 3 }] } },
              },
            ],
          },
          {
            name: 'main',
            domains: ['example.com', 'example.com:8080'],
            request_headers_to_add: [{ header: { key: 'x-vh', value: 'main' } }],
            routes: [
              { name: 'canary', match: { prefix: '/', headers: [{ name: 'x-canary', string_match: { exact: 'true' } }] }, route: { cluster: 'v2' } },
              { name: 'api', match: { prefix: '/api/' }, route: { cluster: 'v1', prefix_rewrite: '/v1/' } },
              { match: { path: '/health' }, direct_response: { status: 200, body: { inline_string: 'ok' } } },
              { match: { prefix: '/old' }, redirect: { path_redirect: '/new', response_code: 'FOUND' } },
              { match: { safe_regex: { regex: '/users/[0-9]+' } }, route: { cluster: 'v1' } },
              { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
              { match: { prefix: '/q', query_parameters: [{ name: 'debug', string_match: { exact: '1' } }] }, route: { cluster: 'v2' } },
            ],
          },
        ],
      },
    }),
  );
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await Promise.all(ups.map((u) => u.close()));
});

test('weighted clusters 1,2,3 split traffic 1/6, 1/3, 1/2', async () => {
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  const n = 1200;
  for (let i = 0; i < n; i += 50) {
    const replies = await Promise.all(Array.from({ length: 50 }, () => request(port, { host: 'split.local' })));
    for (const r of replies) counts[String(r.headers['x-upstream'])]++;
  }
  // Binomial sd at n=1200 is ≤ 1.5 percentage points; allow ~3.5 sd.
  assert.ok(Math.abs(counts.a / n - 1 / 6) < 0.05, JSON.stringify(counts));
  assert.ok(Math.abs(counts.b / n - 1 / 3) < 0.05, JSON.stringify(counts));
  assert.ok(Math.abs(counts.c / n - 1 / 2) < 0.05, JSON.stringify(counts));
});

test('header match, prefix rewrite, vhost and route-config header edits', async () => {
  const canary = await request(port, { path: '/x', headers: { 'x-canary': 'true' } });
  assert.equal(canary.headers['x-upstream'], 'v2');
  const api = await request(port, { path: '/api/items?x=1' });
  assert.equal(api.body, 'v1 GET /v1/items?x=1 0');
  assert.equal(api.headers['x-rc'], 'yes');
  assert.ok(api.headers['x-envoy-upstream-service-time'] !== undefined);
  const seen = ups[3].requests.at(-1)!;
  assert.equal(seen.headers['x-vh'], 'main');
  assert.equal(seen.headers['x-envoy-original-path'], '/api/items?x=1');
  assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
});

test('direct response, redirect, regex and query matches', async () => {
  const h = await request(port, { path: '/health' });
  assert.equal(h.status, 200);
  assert.equal(h.body, 'ok');
  const r = await request(port, { path: '/old/thing' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, 'http://example.com/new');
  assert.equal((await request(port, { path: '/users/42' })).headers['x-upstream'], 'v1');
  assert.equal((await request(port, { path: '/q?debug=1' })).headers['x-upstream'], 'v2');
});

test('no route gives 404 NR, dead upstream 503 UF, both visible in stats', async () => {
  const nr = await request(port, { host: 'nowhere.local' });
  assert.equal(nr.status, 404);
  const uf = await request(port, { path: '/dead' });
  assert.equal(uf.status, 503);
  assert.match(uf.body, /connection failure/);
  const prom = await adminGet(proxy.adminPort, '/stats/prometheus');
  assert.match(prom.body, /envoy_http_no_route\{envoy_http_conn_manager_prefix="ingress_http"\} [1-9]/);
  assert.match(prom.body, /envoy_cluster_upstream_cx_connect_fail\{envoy_cluster_name="dead"\} [1-9]/);
  assert.match(prom.body, /envoy_cluster_upstream_rq_total\{envoy_cluster_name="v1"\} [1-9]/);
});

test('POST bodies are forwarded, absolute-form proxy requests are routed', async () => {
  const body = 'x'.repeat(100_000);
  const r = await request(port, { path: '/api/upload', method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  assert.equal(r.body, `v1 POST /v1/upload ${body.length}`);
  const p = await request(port, { path: 'http://example.com/api/abs', host: 'ignored.local' });
  assert.equal(p.body, 'v1 GET /v1/abs 0');
});

test('malformed requests get 400 and the proxy keeps serving', async () => {
  const net = await import('node:net');
  const reply = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GARBAGE / HTTP/1.1\r\n\r\n'));
    let d = '';
    s.on('data', (c) => (d += c.toString()));
    s.on('close', () => resolve(d));
  });
  assert.match(reply, /^HTTP\/1.1 400/);
  assert.equal((await request(port, { path: '/health' })).status, 200);
});

test('use_remote_address + xff_num_trusted_hops: trusted client address from x-forwarded-for; logs show origin-form paths', async () => {
  const { fileAccessLog, readLines, tempFile, waitFor } = await import('./harness.js');
  const log = tempFile('xff.log');
  const p = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('v1', [ups[3].port])],
      routeConfig: { name: 'xff', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'v1' } }] }] },
      hcm: { use_remote_address: true, xff_num_trusted_hops: 1, access_log: [fileAccessLog(log, '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %REQ(:PATH)%\n')] },
    }),
  );
  try {
    const port = p.listeners.get('ingress')!;
    await request(port, { path: '/xff', headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
    const seen = ups[3].requests.at(-1)!;
    assert.equal(seen.headers['x-forwarded-for'], '198.51.100.1, 203.0.113.7, 127.0.0.1');
    assert.equal(seen.headers['x-envoy-external-address'], '203.0.113.7');
    await request(port, { path: '/direct' });
    assert.equal(ups[3].requests.at(-1)!.headers['x-envoy-external-address'], undefined, 'loopback peers are internal');
    // an absolute-form (HTTP proxy) request is logged with its path, as Envoy's codec makes :path of it
    await request(port, { path: 'http://example.com/abs?q=1' });
    await waitFor(() => readLines(log).length >= 3);
    assert.deepEqual(readLines(log).slice(0, 3), ['203.0.113.7 /xff', '127.0.0.1 /direct', '127.0.0.1 /abs?q=1']);
  } finally {
    await p.stop();
  }
});

test('cors filter: preflight answered locally, allowed origins get CORS headers, others none', async () => {
  const up = await startUpstream('cors');
  const p = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('cors', [up.port])],
      httpFilters: [
        { name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } },
        { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
      ],
      routeConfig: {
        name: 'cors',
        virtual_hosts: [
          {
            name: 'all',
            domains: ['*'],
            typed_per_filter_config: {
              'envoy.filters.http.cors': {
                '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
                allow_origin_string_match: [{ exact: 'https://a.example' }, { safe_regex: { regex: 'https://.*\\.b\\.example' } }],
                allow_methods: 'GET,POST',
                allow_headers: 'x-custom',
                expose_headers: 'x-exposed',
                max_age: '600',
                allow_credentials: true,
                allow_private_network_access: true,
              },
            },
            routes: [{ match: { prefix: '/' }, route: { cluster: 'cors' } }],
          },
        ],
      },
    }),
  );
  try {
    const port = p.listeners.get('ingress')!;
    const pre = await request(port, {
      method: 'OPTIONS',
      path: '/x',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://a.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'x-custom');
    assert.equal(pre.headers['access-control-max-age'], '600');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal(up.requests.length, 0, 'a preflight is not proxied');

    const get = await request(port, { path: '/y', headers: { origin: 'https://x.b.example' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers['x-upstream'], 'cors');
    assert.equal(get.headers['access-control-allow-origin'], 'https://x.b.example');
    assert.equal(get.headers['access-control-allow-credentials'], 'true');
    assert.equal(get.headers['access-control-expose-headers'], 'x-exposed');
    assert.equal(get.headers['access-control-allow-methods'], undefined);

    const other = await request(port, { path: '/z', headers: { origin: 'https://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const otherPre = await request(port, { method: 'OPTIONS', path: '/z', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(otherPre.headers['access-control-allow-origin'], undefined);
    assert.equal(up.requests.length, 2 + 1, 'non-preflight requests and unmatched preflights are proxied');
  } finally {
    await p.stop();
    await up.close();
  }
});
