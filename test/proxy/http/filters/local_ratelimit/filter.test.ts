// Proxy HTTP filters: envoy.filters.http.local_ratelimit through a real stream — enabled/enforced, per-route and
// per-connection buckets, descriptors from route and virtual-host rate_limits, x-ratelimit-*, gRPC replies,
// stats names — and its config validation with paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, configErrors, filterRig } from '../filter-rig.js';
import '../../../../all-filters.js';

const LRL = `${TYPE}local_ratelimit.v3.LocalRateLimit`;
const ALWAYS = { default_value: { numerator: 100 } };
const NEVER = { default_value: { numerator: 0 } };
const lrl = (cfg: object): object => ({ name: 'envoy.filters.http.local_ratelimit', typed_config: { '@type': LRL, stat_prefix: 'lrl', ...cfg } });
const oneAMinute = { max_tokens: 1, tokens_per_fill: 1, fill_interval: '60s' };

test('local_ratelimit: without filter_enabled the filter does nothing (Envoy defaults to 0%)', () => {
  const rig = filterRig({ filters: [lrl({ token_bucket: oneAMinute, filter_enforced: ALWAYS })] });
  rig.request();
  rig.request();
  assert.equal(rig.upstreams.length, 2);
  assert.equal(rig.stats.get('lrl.http_local_rate_limit.enabled'), 0);
});

test('local_ratelimit: enforced, the second request gets 429 local_rate_limited with response_headers_to_add and no upstream', () => {
  const rig = filterRig({
    filters: [lrl({ token_bucket: oneAMinute, filter_enabled: ALWAYS, filter_enforced: ALWAYS, response_headers_to_add: [{ header: { key: 'x-limited', value: 'yes' } }] })],
  });
  rig.request();
  const limited = rig.request();
  assert.equal(rig.upstreams.length, 1);
  assert.equal(limited.status, 429);
  assert.equal(limited.body, 'local_rate_limited');
  assert.equal(limited.responseHeaders['x-limited'], 'yes');
  assert.equal(limited.responseHeaders['x-ratelimit-limit'], undefined, 'x-ratelimit headers are off by default');
  assert.deepEqual(
    ['enabled', 'ok', 'rate_limited', 'enforced'].map((n) => rig.stats.get(`lrl.http_local_rate_limit.${n}`)),
    [2, 1, 1, 1],
  );
});

test('local_ratelimit: status below 400 is answered 429; a configured 503 is kept', () => {
  for (const [code, want] of [[302, 429], ['ServiceUnavailable', 503]] as const) {
    const rig = filterRig({ filters: [lrl({ token_bucket: oneAMinute, filter_enabled: ALWAYS, filter_enforced: ALWAYS, status: { code } })] });
    rig.request();
    assert.equal(rig.request().status, want);
  }
});

test('local_ratelimit: enabled but not enforced, the request goes on with request_headers_to_add_when_not_enforced', () => {
  const rig = filterRig({
    filters: [lrl({ token_bucket: oneAMinute, filter_enabled: ALWAYS, filter_enforced: NEVER, request_headers_to_add_when_not_enforced: [{ header: { key: 'x-over', value: 'true' } }] })],
  });
  rig.request();
  rig.request();
  assert.equal(rig.upstreams.length, 2);
  assert.equal(rig.upstreams[0]!.head.headers['x-over'], undefined);
  assert.equal(rig.upstreams[1]!.head.headers['x-over'], 'true');
  assert.equal(rig.stats.get('lrl.http_local_rate_limit.rate_limited'), 1);
  assert.equal(rig.stats.get('lrl.http_local_rate_limit.enforced'), 0);
});

test('local_ratelimit: DRAFT_VERSION_03 headers on passed responses and on the 429', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 5_000_000 });
  const rig = filterRig({
    filters: [lrl({ token_bucket: { max_tokens: 2, tokens_per_fill: 2, fill_interval: '10s' }, filter_enabled: ALWAYS, filter_enforced: ALWAYS, enable_x_ratelimit_headers: 'DRAFT_VERSION_03' })],
  });
  const first = rig.request();
  t.mock.timers.tick(2500);
  rig.upstreams[0]!.respond(200, 'ok');
  assert.equal(first.responseHeaders['x-ratelimit-limit'], '2');
  assert.equal(first.responseHeaders['x-ratelimit-remaining'], '1');
  assert.equal(first.responseHeaders['x-ratelimit-reset'], '8', '7.5 s to the next fill, in whole seconds up');
  rig.request();
  const limited = rig.request();
  assert.equal(limited.status, 429);
  assert.deepEqual([limited.responseHeaders['x-ratelimit-limit'], limited.responseHeaders['x-ratelimit-remaining']], ['2', '0']);
});

test('local_ratelimit: a route config has its own bucket and stats; other routes use the filter\'s', () => {
  const rig = filterRig({
    filters: [lrl({ token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '1s' }, filter_enabled: ALWAYS, filter_enforced: ALWAYS })],
    virtualHost: {
      routes: [
        {
          match: { prefix: '/strict' },
          route: { cluster: 'a' },
          typed_per_filter_config: { 'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'strict', token_bucket: oneAMinute, filter_enabled: ALWAYS, filter_enforced: ALWAYS } },
        },
        { match: { prefix: '/' }, route: { cluster: 'a' } },
      ],
    },
  });
  rig.request({ path: '/strict' });
  assert.equal(rig.request({ path: '/strict' }).status, 429);
  assert.equal(rig.request({ path: '/other' }).status, 0, 'went upstream (no local reply)');
  assert.equal(rig.stats.get('strict.http_local_rate_limit.rate_limited'), 1);
  assert.equal(rig.stats.get('lrl.http_local_rate_limit.ok'), 1);
});

test('local_ratelimit: local_rate_limit_per_downstream_connection keeps one bucket per connection', () => {
  const rig = filterRig({ filters: [lrl({ token_bucket: oneAMinute, filter_enabled: ALWAYS, filter_enforced: ALWAYS, local_rate_limit_per_downstream_connection: true })] });
  const a = rig.connection();
  const b = rig.connection();
  rig.request({ conn: a });
  assert.equal(rig.request({ conn: a }).status, 429);
  assert.equal(rig.request({ conn: b }).status, 0);
  assert.equal(rig.upstreams.length, 2);
});

test('local_ratelimit: descriptors come from the route\'s rate_limits of the filter\'s stage; disable_key entries are skipped', () => {
  const rig = filterRig({
    filters: [
      lrl({
        filter_enabled: ALWAYS,
        filter_enforced: ALWAYS,
        stage: 1,
        descriptors: [
          { entries: [{ key: 'remote_address', value: '10.1.1.1' }], token_bucket: oneAMinute },
          { entries: [{ key: 'generic_key', value: 'stage0' }], token_bucket: oneAMinute },
          { entries: [{ key: 'generic_key', value: 'disabled' }], token_bucket: oneAMinute },
        ],
      }),
    ],
    virtualHost: {
      routes: [
        {
          match: { prefix: '/' },
          route: {
            cluster: 'a',
            rate_limits: [
              { stage: 1, actions: [{ remote_address: {} }] },
              { actions: [{ generic_key: { descriptor_value: 'stage0' } }] },
              { stage: 1, disable_key: 'off', actions: [{ generic_key: { descriptor_value: 'disabled' } }] },
            ],
          },
        },
      ],
    },
  });
  rig.request({ clientIp: '10.1.1.1' });
  assert.equal(rig.request({ clientIp: '10.1.1.1' }).status, 429);
  for (let i = 0; i < 3; i++) assert.equal(rig.request({ clientIp: '10.2.2.2' }).status, 0, 'no descriptor matched and no default bucket');
});

test('local_ratelimit: vh_rate_limits — OVERRIDE uses the virtual host\'s only when the route has none, INCLUDE adds them, IGNORE drops them', () => {
  const make = (vh: string) =>
    filterRig({
      filters: [
        lrl({
          filter_enabled: ALWAYS,
          filter_enforced: ALWAYS,
          vh_rate_limits: vh,
          descriptors: [{ entries: [{ key: 'generic_key', value: 'vh' }], token_bucket: oneAMinute }],
        }),
      ],
      virtualHost: {
        rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'vh' } }] }],
        routes: [
          { match: { prefix: '/own' }, route: { cluster: 'a', rate_limits: [{ actions: [{ generic_key: { descriptor_value: 'route' } }] }] } },
          { match: { prefix: '/' }, route: { cluster: 'a' } },
        ],
      },
    });
  const limitedOn = (vh: string, path: string): boolean => {
    const rig = make(vh);
    rig.request({ path });
    return rig.request({ path }).status === 429;
  };
  assert.deepEqual([limitedOn('OVERRIDE', '/own'), limitedOn('OVERRIDE', '/x')], [false, true]);
  assert.deepEqual([limitedOn('INCLUDE', '/own'), limitedOn('INCLUDE', '/x')], [true, true]);
  assert.deepEqual([limitedOn('IGNORE', '/own'), limitedOn('IGNORE', '/x')], [false, false]);
});

test('local_ratelimit: a gRPC request gets a trailers-only reply that keeps response_headers_to_add; RESOURCE_EXHAUSTED when asked', () => {
  for (const [exhausted, grpcStatus] of [[false, '14'], [true, '8']] as const) {
    const rig = filterRig({
      filters: [
        lrl({
          token_bucket: oneAMinute,
          filter_enabled: ALWAYS,
          filter_enforced: ALWAYS,
          rate_limited_as_resource_exhausted: exhausted,
          response_headers_to_add: [{ header: { key: 'x-limited', value: 'yes' } }],
        }),
      ],
    });
    const grpc = { 'content-type': 'application/grpc' };
    rig.request({ method: 'POST', headers: grpc });
    const r = rig.request({ method: 'POST', headers: grpc });
    assert.equal(r.status, 200);
    assert.equal(r.responseHeaders['grpc-status'], grpcStatus);
    assert.equal(r.responseHeaders['x-limited'], 'yes');
  }
});

test('local_ratelimit config: errors carry their paths', () => {
  const at = (cfg: object, vh: object = {}): string[] => configErrors([lrl(cfg)], vh).map((e) => `${e.path}: ${e.message}`);
  const f = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
  assert.deepEqual(at({ stat_prefix: '' }), [`${f}.stat_prefix: must not be empty`]);
  assert.match(at({ local_cluster_rate_limit: {} })[0]!, /local_cluster_rate_limit is not supported by trellis/);
  assert.match(at({ token_bucket: { max_tokens: 1, fill_interval: '0.01s' } })[0]!, /token_bucket\.fill_interval: must be at least 50ms/);
  assert.deepEqual(at({ token_bucket: { max_tokens: 1, fill_interval: '2s' }, descriptors: [{ entries: [{ key: 'k', value: 'v' }], token_bucket: { max_tokens: 1, fill_interval: '3s' } }] }), [
    `${f}.descriptors[0].token_bucket.fill_interval: 3000ms is not a multiple of token_bucket.fill_interval (2000ms)`,
  ]);
  const dup = { entries: [{ key: 'k', value: 'v' }], token_bucket: oneAMinute };
  assert.deepEqual(at({ descriptors: [dup, dup] }), [`${f}.descriptors[1].entries: duplicate descriptor k=v`]);
  assert.match(at({ descriptors: [{ entries: [{ key: 'k', value: '' }], token_bucket: oneAMinute }] })[0]!, /descriptors\[0\]\.entries\[0\]\.value: must not be empty/);
  assert.match(at({ enable_x_ratelimit_headers: 'DRAFT_VERSION_99' })[0]!, /enable_x_ratelimit_headers/);
  const eleven = Array.from({ length: 11 }, (_v, i) => ({ header: { key: `x-h${i}`, value: 'v' } }));
  assert.deepEqual(at({ response_headers_to_add: eleven }), [`${f}.response_headers_to_add: lists 11 headers; at most 10 are allowed`]);
  // per route: the bucket is required
  const route = { routes: [{ match: { prefix: '/' }, route: { cluster: 'a' }, typed_per_filter_config: { 'envoy.filters.http.local_ratelimit': { '@type': LRL, stat_prefix: 'r' } } }] };
  const errs = configErrors([lrl({})], route);
  assert.equal(errs.length, 1);
  assert.match(`${errs[0]!.path}: ${errs[0]!.message}`, /typed_per_filter_config\["envoy\.filters\.http\.local_ratelimit"\]\.token_bucket: is required in a per-route config/);
});
