// E2E: local_ratelimit, health_check, buffer, csrf and header_to_metadata in real `trellis proxy` processes —
// 429s with x-ratelimit-* headers and RL flags, descriptor buckets from route rate_limits, per-connection buckets,
// /healthz answered locally (503 after POST /healthcheck/fail) or cached in pass-through mode, chunked uploads
// given a content-length (413 past the limit), CSRF origin checks, and header values reaching RBAC as metadata.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  ROUTER_FILTER,
  adminGet,
  fileAccessLog,
  hcmListener,
  httpBootstrap,
  multiBootstrap,
  readLines,
  request,
  startProxy,
  startUpstream,
  staticCluster,
  tempFile,
  waitFor,
  type Reply,
  type RunningProxy,
  type Upstream,
} from './harness.js';

const T = 'type.googleapis.com/envoy.extensions.filters.http.';
const LRL = `${T}local_ratelimit.v3.LocalRateLimit`;
const ALWAYS = { default_value: { numerator: 100, denominator: 'HUNDRED' } };
const NEVER = { default_value: { numerator: 0, denominator: 'HUNDRED' } };

let backend: Upstream;
let front: RunningProxy;
let passThrough: RunningProxy;
let frontPort: number;
let ptPort: number;
let ptPerConnPort: number;
const accessLog = tempFile('access.log');

/** Upstream sees: method, path, content-length, transfer-encoding, x-rl-shadow, body length. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        path: req.url,
        cl: req.headers['content-length'] ?? null,
        te: req.headers['transfer-encoding'] ?? null,
        shadow: req.headers['x-rl-shadow'] ?? null,
        tier: req.headers['x-tier'] ?? null,
        bytes: Buffer.concat(chunks).length,
      }),
    );
  });
}

before(async () => {
  backend = await startUpstream('backend', echo);
  const front_filters = [
    {
      name: 'envoy.filters.http.health_check',
      typed_config: {
        '@type': `${T}health_check.v3.HealthCheck`,
        pass_through_mode: false,
        headers: [{ name: ':path', string_match: { exact: '/healthz' } }],
        cluster_min_healthy_percentages: { backend: { value: 100 } },
      },
    },
    {
      name: 'envoy.filters.http.csrf',
      typed_config: { '@type': `${T}csrf.v3.CsrfPolicy`, filter_enabled: ALWAYS, additional_origins: [{ exact: 'trusted.example' }] },
    },
    {
      name: 'envoy.filters.http.header_to_metadata',
      typed_config: {
        '@type': `${T}header_to_metadata.v3.Config`,
        request_rules: [
          { header: 'x-tier', on_header_present: { metadata_namespace: 'envoy.lb', key: 'tier' }, remove: true },
          { header: 'x-weight', on_header_present: { metadata_namespace: 'envoy.lb', key: 'weight', type: 'NUMBER' } },
        ],
      },
    },
    {
      // header_to_metadata's output, read back: tier=blocked or weight=13 is refused
      name: 'envoy.filters.http.rbac',
      typed_config: {
        '@type': `${T}rbac.v3.RBAC`,
        rules: {
          action: 'DENY',
          policies: {
            'blocked-tier': { permissions: [{ any: true }], principals: [{ metadata: { filter: 'envoy.lb', path: [{ key: 'tier' }], value: { string_match: { exact: 'blocked' } } } }] },
            'unlucky-weight': { permissions: [{ any: true }], principals: [{ metadata: { filter: 'envoy.lb', path: [{ key: 'weight' }], value: { double_match: { exact: 13 } } } }] },
          },
        },
      },
    },
    {
      name: 'envoy.filters.http.local_ratelimit',
      typed_config: {
        '@type': LRL,
        stat_prefix: 'http_local_rate_limiter',
        token_bucket: { max_tokens: 1000, tokens_per_fill: 1000, fill_interval: '1s' },
        filter_enabled: ALWAYS,
        filter_enforced: ALWAYS,
        // alice gets one request a minute; everyone else shares the default bucket
        descriptors: [{ entries: [{ key: 'client', value: 'alice' }], token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' } }],
        always_consume_default_token_bucket: false,
        enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
      },
    },
    { name: 'envoy.filters.http.buffer', typed_config: { '@type': `${T}buffer.v3.Buffer`, max_request_bytes: 1024 } },
    ROUTER_FILTER,
  ];
  const route = (prefix: string, extra: object = {}): object => ({ match: { prefix }, route: { cluster: 'backend' }, ...extra });
  front = await startProxy({
    node: { id: 'front-1', cluster: 'front-proxy' },
    ...httpBootstrap({
      clusters: [staticCluster('backend', [backend.port])],
      httpFilters: front_filters,
      hcm: { access_log: [fileAccessLog(accessLog, '%RESPONSE_CODE% %RESPONSE_FLAGS% %REQ(:PATH)%\n')] },
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'main',
            domains: ['*'],
            routes: [
              route('/limited', {
                typed_per_filter_config: {
                  'envoy.filters.http.local_ratelimit': {
                    '@type': LRL,
                    stat_prefix: 'limited_route',
                    token_bucket: { max_tokens: 2, tokens_per_fill: 2, fill_interval: '60s' },
                    filter_enabled: ALWAYS,
                    filter_enforced: ALWAYS,
                    response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: 'x-local-rate-limit', value: 'true' } }],
                    enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
                  },
                },
              }),
              route('/shadow', {
                typed_per_filter_config: {
                  'envoy.filters.http.local_ratelimit': {
                    '@type': LRL,
                    stat_prefix: 'shadow_route',
                    token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' },
                    filter_enabled: ALWAYS,
                    filter_enforced: NEVER,
                    request_headers_to_add_when_not_enforced: [{ header: { key: 'x-rl-shadow', value: 'over-limit' } }],
                  },
                },
              }),
              { match: { prefix: '/desc' }, route: { cluster: 'backend', rate_limits: [{ actions: [{ request_headers: { header_name: 'x-client', descriptor_key: 'client' } }] }] } },
              route('/stream', { typed_per_filter_config: { 'envoy.filters.http.buffer': { '@type': `${T}buffer.v3.BufferPerRoute`, disabled: true } } }),
              route('/csrf-shadow', {
                typed_per_filter_config: { 'envoy.filters.http.csrf': { '@type': `${T}csrf.v3.CsrfPolicy`, filter_enabled: NEVER, shadow_enabled: ALWAYS } },
              }),
              route('/'),
            ],
          },
        ],
      },
    }),
  });
  frontPort = front.listeners.get('ingress')!;

  // A second proxy: pass-through health checks cached for a minute, and a per-connection bucket.
  passThrough = await startProxy({
    node: { id: 'edge-1', cluster: 'edge' },
    ...multiBootstrap(
      [
        hcmListener('pt', {
          httpFilters: [
            {
              name: 'envoy.filters.http.health_check',
              typed_config: { '@type': `${T}health_check.v3.HealthCheck`, pass_through_mode: true, cache_time: '60s', headers: [{ name: ':path', string_match: { exact: '/ping' } }] },
            },
            ROUTER_FILTER,
          ],
          routeConfig: { name: 'pt', virtual_hosts: [{ name: 'pt', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
        }),
        hcmListener('perconn', {
          httpFilters: [
            {
              name: 'envoy.filters.http.local_ratelimit',
              typed_config: {
                '@type': LRL,
                stat_prefix: 'perconn',
                token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' },
                filter_enabled: ALWAYS,
                filter_enforced: ALWAYS,
                local_rate_limit_per_downstream_connection: true,
              },
            },
            ROUTER_FILTER,
          ],
          routeConfig: { name: 'pc', virtual_hosts: [{ name: 'pc', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
        }),
      ],
      [staticCluster('backend', [backend.port])],
    ),
  });
  ptPort = passThrough.listeners.get('pt')!;
  ptPerConnPort = passThrough.listeners.get('perconn')!;
});

after(async () => {
  await front?.stop();
  await passThrough?.stop();
  await backend?.close();
});

async function stat(proxy: RunningProxy, name: string): Promise<number | undefined> {
  const body = (await adminGet(proxy.adminPort, `/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`)).body;
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(body);
  return m === null ? undefined : Number(m[1]);
}

/** A POST whose body goes out chunked (no content-length), in the given pieces. */
function chunkedPost(port: number, path: string, pieces: Buffer[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { host: 'example.com', origin: 'http://example.com', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

test('local_ratelimit: a route bucket of 2 answers the third request 429 local_rate_limited with x-ratelimit-* and the RL flag', async () => {
  const ok1 = await request(frontPort, { path: '/limited' });
  const ok2 = await request(frontPort, { path: '/limited' });
  assert.equal(ok1.status, 200);
  assert.equal(ok2.status, 200);
  assert.equal(ok1.headers['x-ratelimit-limit'], '2');
  assert.equal(ok1.headers['x-ratelimit-remaining'], '1');
  assert.equal(ok2.headers['x-ratelimit-remaining'], '0');
  const limited = await request(frontPort, { path: '/limited' });
  assert.equal(limited.status, 429);
  assert.equal(limited.body, 'local_rate_limited');
  assert.equal(limited.headers['x-local-rate-limit'], 'true');
  assert.equal(limited.headers['x-ratelimit-limit'], '2');
  assert.equal(limited.headers['x-ratelimit-remaining'], '0');
  const reset = Number(limited.headers['x-ratelimit-reset']);
  assert.ok(reset > 0 && reset <= 60, `x-ratelimit-reset ${reset}`);
  assert.equal(backend.requests.filter((r) => r.url === '/limited').length, 2);
  // stats under the route config's own stat_prefix, in the root scope
  assert.equal(await stat(front, 'limited_route.http_local_rate_limit.enabled'), 3);
  assert.equal(await stat(front, 'limited_route.http_local_rate_limit.ok'), 2);
  assert.equal(await stat(front, 'limited_route.http_local_rate_limit.rate_limited'), 1);
  assert.equal(await stat(front, 'limited_route.http_local_rate_limit.enforced'), 1);
  await waitFor(() => readLines(accessLog).some((l) => l === '429 RL /limited'), 5000, 'access log line with RL');
});

test('local_ratelimit: enabled but not enforced, an over-limit request goes upstream with request_headers_to_add_when_not_enforced', async () => {
  const first = JSON.parse((await request(frontPort, { path: '/shadow' })).body) as { shadow: string | null };
  const second = await request(frontPort, { path: '/shadow' });
  assert.equal(first.shadow, null);
  assert.equal(second.status, 200);
  assert.equal((JSON.parse(second.body) as { shadow: string | null }).shadow, 'over-limit');
  assert.equal(await stat(front, 'shadow_route.http_local_rate_limit.rate_limited'), 1);
  assert.equal(await stat(front, 'shadow_route.http_local_rate_limit.enforced'), 0);
});

test('local_ratelimit: route rate_limits make a descriptor; alice has her own bucket of 1, bob uses the default', async () => {
  const a1 = await request(frontPort, { path: '/desc', headers: { 'x-client': 'alice' } });
  const a2 = await request(frontPort, { path: '/desc', headers: { 'x-client': 'alice' } });
  const b1 = await request(frontPort, { path: '/desc', headers: { 'x-client': 'bob' } });
  const b2 = await request(frontPort, { path: '/desc', headers: { 'x-client': 'bob' } });
  const none = await request(frontPort, { path: '/desc' });
  assert.deepEqual([a1.status, a2.status, b1.status, b2.status, none.status], [200, 429, 200, 200, 200]);
  // the headers describe alice's descriptor bucket; bob's answers describe the default one
  assert.equal(a2.headers['x-ratelimit-limit'], '1');
  assert.equal(b1.headers['x-ratelimit-limit'], '1000');
});

test('local_ratelimit: local_rate_limit_per_downstream_connection gives each connection its own bucket', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const onConn = (): Promise<number> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: ptPerConnPort, path: '/x', agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
    assert.equal(await onConn(), 200);
    assert.equal(await onConn(), 429); // same kept-alive connection: its bucket of 1 is spent
  } finally {
    agent.destroy();
  }
  // a new connection starts with a full bucket
  assert.equal((await request(ptPerConnPort, { path: '/x' })).status, 200);
  assert.equal((await request(ptPerConnPort, { path: '/x' })).status, 200);
});

test('health_check: /healthz is answered locally with the node cluster, 503 with LH after POST /healthcheck/fail, and other responses say x-envoy-immediate-health-check-fail', async () => {
  const before = backend.requests.length;
  const ok = await request(frontPort, { path: '/healthz' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-envoy-upstream-healthchecked-cluster'], 'front-proxy');
  assert.equal(backend.requests.length, before, 'not passed upstream');
  assert.equal((await adminGet(front.adminPort, '/healthcheck/fail', 'POST')).status, 200);
  try {
    const failing = await request(frontPort, { path: '/healthz' });
    assert.equal(failing.status, 503);
    const other = await request(frontPort, { path: '/anything' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['x-envoy-immediate-health-check-fail'], 'true');
    await waitFor(() => readLines(accessLog).some((l) => l === '503 LH /healthz'), 5000, 'access log line with LH');
  } finally {
    await adminGet(front.adminPort, '/healthcheck/ok', 'POST');
  }
  assert.equal((await request(frontPort, { path: '/healthz' })).status, 200);
  const after = await request(frontPort, { path: '/anything' });
  assert.equal(after.headers['x-envoy-immediate-health-check-fail'], undefined);
});

test('health_check: pass-through mode sends the first /ping upstream and answers the next from the cache', async () => {
  const seen = (): number => backend.requests.filter((r) => r.url === '/ping').length;
  const first = await request(ptPort, { path: '/ping' });
  assert.equal(first.status, 200);
  assert.equal(first.headers['x-envoy-upstream-healthchecked-cluster'], 'edge');
  assert.equal(seen(), 1);
  const cached = await request(ptPort, { path: '/ping' });
  assert.equal(cached.status, 200);
  assert.equal(cached.body, '');
  assert.equal(cached.headers['x-envoy-upstream-healthchecked-cluster'], 'edge');
  assert.equal(seen(), 1, 'answered from the cache');
  // not a health check: always upstream
  await request(ptPort, { path: '/other' });
  await request(ptPort, { path: '/other' });
  assert.equal(backend.requests.filter((r) => r.url === '/other').length, 2);
});

test('buffer: a chunked upload reaches the upstream whole with a content-length; past max_request_bytes it is 413', async () => {
  const small = await chunkedPost(frontPort, '/upload', [Buffer.alloc(300, 1), Buffer.alloc(300, 2)]);
  assert.equal(small.status, 200);
  const seen = JSON.parse(small.body) as { cl: string | null; te: string | null; bytes: number };
  assert.deepEqual(seen, { ...seen, cl: '600', te: null, bytes: 600 });
  const big = await chunkedPost(frontPort, '/upload', [Buffer.alloc(700, 1), Buffer.alloc(700, 2)]);
  assert.equal(big.status, 413);
  assert.equal(big.body, 'Payload Too Large');
  // BufferPerRoute disabled: streamed through, still chunked and not limited
  const streamed = await chunkedPost(frontPort, '/stream', [Buffer.alloc(700, 1), Buffer.alloc(700, 2)]);
  assert.equal(streamed.status, 200);
  const s = JSON.parse(streamed.body) as { cl: string | null; te: string | null; bytes: number };
  assert.equal(s.cl, null);
  assert.equal(s.te, 'chunked');
  assert.equal(s.bytes, 1400);
});

test('csrf: a POST from another origin is 403 "Invalid origin"; same origin, additional origins and GETs pass; shadow mode only counts', async () => {
  const host = 'shop.example:8080';
  const counts = async (): Promise<number[]> =>
    Promise.all(['request_invalid', 'missing_source_origin', 'request_valid'].map(async (n) => (await stat(front, `http.ingress_http.csrf.${n}`)) ?? 0));
  const [invalid0, missing0, valid0] = await counts();
  const evil = await request(frontPort, { path: '/cart', method: 'POST', host, headers: { origin: 'https://evil.example' }, body: 'x' });
  assert.equal(evil.status, 403);
  assert.equal(evil.body, 'Invalid origin');
  const noOrigin = await request(frontPort, { path: '/cart', method: 'DELETE', host });
  assert.equal(noOrigin.status, 403);
  assert.equal((await request(frontPort, { path: '/cart', method: 'POST', host, headers: { origin: 'https://shop.example:8080' }, body: 'x' })).status, 200);
  assert.equal((await request(frontPort, { path: '/cart', method: 'PUT', host, headers: { referer: 'http://shop.example:8080/page?q=1' }, body: 'x' })).status, 200);
  assert.equal((await request(frontPort, { path: '/cart', method: 'PATCH', host, headers: { origin: 'https://trusted.example' }, body: 'x' })).status, 200);
  assert.equal((await request(frontPort, { path: '/cart', method: 'GET', host, headers: { origin: 'https://evil.example' } })).status, 200);
  assert.equal((await request(frontPort, { path: '/csrf-shadow', method: 'POST', host, headers: { origin: 'https://evil.example' }, body: 'x' })).status, 200);
  // counted: evil, no origin (also missing), shadow = 3 invalid; same origin, referer, trusted = 3 valid
  assert.deepEqual(await counts(), [invalid0! + 3, missing0! + 1, valid0! + 3]);
});

test('header_to_metadata: header values become dynamic metadata (STRING, NUMBER) that RBAC reads; remove drops the header', async () => {
  const ok = await request(frontPort, { path: '/meta', headers: { 'x-tier': 'gold', 'x-weight': '7' } });
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { tier: string | null }).tier, null, 'x-tier removed before the upstream');
  assert.equal((await request(frontPort, { path: '/meta', headers: { 'x-tier': 'blocked' } })).status, 403);
  assert.equal((await request(frontPort, { path: '/meta', headers: { 'x-weight': ' 13.0 ' } })).status, 403);
  assert.equal((await request(frontPort, { path: '/meta', headers: { 'x-weight': '13x' } })).status, 200, 'not a number: no metadata');
});

test('health_check with --concurrency 2: POST /healthcheck/fail on the primary reaches every worker', async () => {
  const p = await startProxy(
    {
      node: { id: 'w', cluster: 'workers' },
      ...multiBootstrap(
        [
          hcmListener('hc', {
            httpFilters: [
              { name: 'envoy.filters.http.health_check', typed_config: { '@type': `${T}health_check.v3.HealthCheck`, pass_through_mode: false, headers: [{ name: ':path', string_match: { exact: '/healthz' } }] } },
              ROUTER_FILTER,
            ],
            routeConfig: { name: 'hc', virtual_hosts: [{ name: 'hc', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] },
          }),
        ],
        [staticCluster('backend', [backend.port])],
      ),
    },
    ['--concurrency', '2'],
  );
  try {
    const port = p.listeners.get('hc')!;
    // fresh connections are spread over both workers; every one must agree
    const statuses = async (): Promise<number[]> => Promise.all(Array.from({ length: 8 }, async () => (await request(port, { path: '/healthz' })).status));
    assert.deepEqual(new Set(await statuses()), new Set([200]));
    await adminGet(p.adminPort, '/healthcheck/fail', 'POST');
    await waitFor(async () => (await statuses()).every((s) => s === 503), 5000, 'every worker failing health checks');
    await adminGet(p.adminPort, '/healthcheck/ok', 'POST');
    await waitFor(async () => (await statuses()).every((s) => s === 200), 5000, 'every worker passing again');
  } finally {
    await p.stop();
  }
});
