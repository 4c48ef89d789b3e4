// Translate tests: sidecar RDS from Istio's bookinfo VirtualServices (weights, header match, fault, retries, timeout, mirror, rewrites).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { rdsGenerator } from '../../../src/control/translate/rds.js';
import { ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/control/translate/generator.js';
import { vhdsGenerator } from '../../../src/control/translate/vhds.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

const R = 'reviews.default.svc.cluster.local';

function vhost(vsYaml: string, host = R, port = 9080, proxy = proxyNode()): Record<string, unknown> {
  const snap = snapshotFromYaml(BOOKINFO + vsYaml, BOOKINFO_INSTANCES);
  const out = rdsGenerator.build(proxy, snap);
  assertProxyAccepts(ROUTE_TYPE, out);
  const vhs = get(byName(out, 'outbound').resource, 'virtual_hosts') as { name: string }[];
  return byName(vhs, `${host}:${port}`) as Record<string, unknown>;
}

const routes = (vh: Record<string, unknown>): Record<string, unknown>[] => vh.routes as Record<string, unknown>[];

describe('sidecar RDS', () => {
  it('without a VirtualService: every Host form, one default route with Istio defaults', () => {
    const vh = vhost('');
    assert.deepEqual(vh.domains, [
      R, `${R}:9080`, 'reviews.default.svc', 'reviews.default.svc:9080', 'reviews.default', 'reviews.default:9080', 'reviews', 'reviews:9080',
    ]);
    const [r] = routes(vh);
    assert.deepEqual(get(r, 'match'), { prefix: '/' });
    assert.equal(get(r, 'route', 'cluster'), `outbound|9080||${R}`);
    assert.equal(get(r, 'route', 'timeout'), '0s');
    assert.equal(get(r, 'route', 'retry_policy', 'retry_on'), 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    assert.equal(get(r, 'route', 'retry_policy', 'num_retries'), 2);
    assert.equal(get(r, 'route', 'retry_policy', 'host_selection_retry_max_attempts'), 5);
    assert.deepEqual(get(r, 'route', 'retry_policy', 'retriable_status_codes'), [503]);
  });

  it('a proxy in another namespace does not get the bare short name', () => {
    const vh = vhost('', R, 9080, proxyNode({ namespace: 'other' }));
    assert.ok(!(vh.domains as string[]).includes('reviews'));
    assert.ok((vh.domains as string[]).includes('reviews.default'));
  });

  const cases: { name: string; vs: string; check: (vh: Record<string, unknown>) => void }[] = [
    {
      name: 'canary 90/10 by subsets → weighted_clusters with Istio cluster names',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
`,
      check: (vh) => {
        assert.deepEqual(get(routes(vh)[0], 'route', 'weighted_clusters'), {
          clusters: [
            { name: `outbound|9080|v1|${R}`, weight: 90 },
            { name: `outbound|9080|v2|${R}`, weight: 10 },
          ],
        });
      },
    },
    {
      name: 'header match end-user: jason → v2, everyone else → v1',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`,
      check: (vh) => {
        const [a, b] = routes(vh);
        assert.deepEqual(get(a, 'match'), { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] });
        // what proxy-config's VIRTUAL SERVICE column shows, as Istio records it
        for (const r of [a, b]) assert.equal(get(r, 'metadata', 'filter_metadata', 'istio', 'config'), '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews');
        assert.equal(get(a, 'route', 'cluster'), `outbound|9080|v2|${R}`);
        assert.deepEqual(get(b, 'match'), { prefix: '/' });
        assert.equal(get(b, 'route', 'cluster'), `outbound|9080|v1|${R}`);
      },
    },
    {
      name: 'fault delay 7s for jason, abort 500 at 50%',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {delay: {percentage: {value: 100.0}, fixedDelay: 7s}}
    route: [{destination: {host: reviews, subset: v1}}]
  - fault: {abort: {percentage: {value: 50}, httpStatus: 500}}
    route: [{destination: {host: reviews, subset: v1}}]
`,
      check: (vh) => {
        const [a, b] = routes(vh);
        assert.deepEqual(get(a, 'typed_per_filter_config', 'envoy.filters.http.fault'), {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          delay: { fixed_delay: '7s', percentage: { numerator: 1000000, denominator: 'MILLION' } },
        });
        assert.deepEqual(get(b, 'typed_per_filter_config', 'envoy.filters.http.fault', 'abort'), { http_status: 500, percentage: { numerator: 500000, denominator: 'MILLION' } });
      },
    },
    {
      name: 'corsPolicy → per-route CorsPolicy of envoy.filters.http.cors (accepted by the proxy), next to fault',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - corsPolicy:
      allowOrigins: [{exact: "https://a.example"}, {prefix: "https://dev."}, {regex: "https://.*\\\\.b\\\\.example"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-custom, authorization]
      exposeHeaders: [x-exposed]
      maxAge: 24h
      allowCredentials: true
    fault: {abort: {percentage: {value: 1}, httpStatus: 503}}
    route: [{destination: {host: reviews, subset: v1}}]
`,
      check: (vh) => {
        const [a] = routes(vh);
        assert.deepEqual(get(a, 'typed_per_filter_config', 'envoy.filters.http.cors'), {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
          allow_origin_string_match: [{ exact: 'https://a.example' }, { prefix: 'https://dev.' }, { safe_regex: { regex: 'https://.*\\.b\\.example' } }],
          allow_methods: 'GET,POST',
          allow_headers: 'x-custom,authorization',
          expose_headers: 'x-exposed',
          max_age: '86400',
          allow_credentials: true,
        });
        assert.ok(get(a, 'typed_per_filter_config', 'envoy.filters.http.fault') !== undefined);
      },
    },
    {
      name: 'corsPolicy.unmatchedPreflights IGNORE → forward_not_matching_preflights false, kept even with no origin allowed',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /a}}]
    corsPolicy: {allowOrigins: [{exact: "https://a.example"}], unmatchedPreflights: IGNORE}
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /b}}]
    corsPolicy: {allowMethods: [GET], unmatchedPreflights: IGNORE}
    route: [{destination: {host: reviews, subset: v1}}]
  - corsPolicy: {allowOrigins: [{exact: "https://a.example"}], unmatchedPreflights: FORWARD}
    route: [{destination: {host: reviews, subset: v1}}]
`,
      check: (vh) => {
        const [a, b, c] = routes(vh).map((r) => get(r, 'typed_per_filter_config', 'envoy.filters.http.cors') as Record<string, unknown>);
        assert.equal(a?.forward_not_matching_preflights, false);
        assert.deepEqual(b?.allow_origin_string_match, []);
        assert.equal(b?.forward_not_matching_preflights, false);
        assert.ok(c !== undefined && !('forward_not_matching_preflights' in c), 'FORWARD is Envoy\'s default: not written');
      },
    },
    {
      name: 'retries, per-try timeout and a route timeout',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
    timeout: 0.5s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,503"}
`,
      check: (vh) => {
        const a = get(routes(vh)[0], 'route') as Record<string, unknown>;
        assert.equal(a.timeout, '0.500s');
        assert.deepEqual(a.retry_policy, {
          retry_on: 'gateway-error,connect-failure,retriable-status-codes',
          num_retries: 3,
          per_try_timeout: '2s',
          retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
          host_selection_retry_max_attempts: 5,
          retriable_status_codes: [503],
        });
      },
    },
    {
      name: 'attempts: 0 disables retries',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}], retries: {attempts: 0}}]
`,
      check: (vh) => assert.equal(get(routes(vh)[0], 'route', 'retry_policy'), undefined),
    },
    {
      name: 'mirror 50% to v2 (and mirrors list)',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}, weight: 100}]
    mirror: {host: reviews, subset: v2}
    mirrorPercentage: {value: 50.0}
    mirrors: [{destination: {host: ratings}}]
`,
      check: (vh) => {
        assert.deepEqual(get(routes(vh)[0], 'route', 'request_mirror_policies'), [
          { cluster: `outbound|9080|v2|${R}`, runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } } },
          { cluster: 'outbound|9080||ratings.default.svc.cluster.local' },
        ]);
        assert.equal(get(routes(vh)[0], 'route', 'cluster'), `outbound|9080|v1|${R}`);
      },
    },
    {
      name: 'uri/method/query/authority matches, rewrite, header edits; OR of match blocks; stop after catch-all',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - name: api
    match:
    - {name: a, uri: {prefix: /api/}, method: {exact: GET}, ignoreUriCase: true}
    - {name: b, uri: {regex: "/v[0-9]+/.*"}, queryParams: {debug: {exact: "1"}}, authority: {prefix: reviews}}
    rewrite: {uri: /, authority: backend}
    headers:
      request: {set: {X-A: "1"}, add: {x-b: "2"}, remove: [x-c]}
      response: {remove: [server]}
    route: [{destination: {host: reviews, subset: v3}, headers: {response: {set: {x-v: v3}}}}]
  - route: [{destination: {host: reviews, subset: v1}}]
  - route: [{destination: {host: reviews, subset: v2}}]
`,
      check: (vh) => {
        const rs = routes(vh);
        assert.equal(rs.length, 3, 'two routes for the OR, one catch-all, nothing after it');
        assert.equal(rs[0]?.name, 'api.a');
        assert.deepEqual(rs[0]?.match, { prefix: '/api/', case_sensitive: false, headers: [{ name: ':method', string_match: { exact: 'GET' } }] });
        assert.deepEqual(rs[1]?.match, {
          safe_regex: { regex: '/v[0-9]+/.*' },
          headers: [{ name: ':authority', string_match: { prefix: 'reviews' } }],
          query_parameters: [{ name: 'debug', string_match: { exact: '1' } }],
        });
        assert.equal(get(rs[0], 'route', 'prefix_rewrite'), '/');
        assert.equal(get(rs[0], 'route', 'host_rewrite_literal'), 'backend');
        assert.deepEqual(rs[0]?.request_headers_to_add, [
          { header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          { header: { key: 'x-b', value: '2' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
        ]);
        assert.deepEqual(rs[0]?.request_headers_to_remove, ['x-c']);
        assert.deepEqual(rs[0]?.response_headers_to_add, [{ header: { key: 'x-v', value: 'v3' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
        assert.deepEqual(rs[0]?.response_headers_to_remove, ['server']);
        assert.equal(get(rs[2], 'route', 'cluster'), `outbound|9080|v1|${R}`);
      },
    },
    {
      name: 'redirect and direct response',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new, authority: example.com, redirectCode: 302}
  - match: [{uri: {exact: /health}}]
    directResponse: {status: 200, body: {string: ok}}
  - match: [{headers: {x-gone: {}}}]
    directResponse: {status: 410}
`,
      check: (vh) => {
        const [a, b, c] = routes(vh);
        assert.deepEqual(get(a, 'redirect'), { host_redirect: 'example.com', path_redirect: '/new', response_code: 'FOUND' });
        assert.deepEqual(get(b, 'direct_response'), { status: 200, body: { inline_string: 'ok' } });
        assert.deepEqual(get(c, 'match', 'headers'), [{ name: 'x-gone', present_match: true }]);
      },
    },
    {
      name: 'sourceLabels and port narrow which match blocks apply',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: productpage}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{port: 1234}]
    route: [{destination: {host: reviews, subset: v3}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`,
      check: (vh) => {
        assert.deepEqual(routes(vh).map((r) => get(r, 'route', 'cluster')), [`outbound|9080|v1|${R}`]);
      },
    },
    {
      name: 'DestinationRule consistentHash → route hash_policy',
      vs: `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings.default.svc.cluster.local
  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 10s}}}}
`,
      check: () => undefined,
    },
  ];
  for (const c of cases) it(c.name, () => c.check(vhost(c.vs)));

  it('consistentHash reaches the default route of the hashed service', () => {
    const vh = vhost(cases[cases.length - 1]?.vs ?? '', 'ratings.default.svc.cluster.local');
    assert.deepEqual(get(routes(vh)[0], 'route', 'hash_policy'), [{ cookie: { name: 'user', ttl: '10s' } }]);
  });

  it('only the primary HTTP port gets port-less domains; TCP ports get no virtual host', () => {
    const snap = snapshotFromYaml(`
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec: {ports: [{name: tcp-db, port: 5432}, {name: http-web, port: 8080}, {name: grpc-api, port: 9090}]}
`);
    const out = rdsGenerator.build(proxyNode(), snap);
    assertProxyAccepts(ROUTE_TYPE, out);
    const vhs = get(out[0]?.resource, 'virtual_hosts') as { name: string; domains: string[] }[];
    assert.deepEqual(vhs.map((v) => v.name), ['multi.default.svc.cluster.local:8080', 'multi.default.svc.cluster.local:9090']);
    assert.ok(vhs[0]?.domains.includes('multi'));
    assert.ok(!vhs[1]?.domains.includes('multi'));
    assert.ok(vhs[1]?.domains.includes('multi:9090'));
  });
});

describe('sidecar VHDS (Delta streams)', () => {
  const VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: 75
    - destination: { host: reviews, subset: v2 }
      weight: 25
`;
  it('the outbound route config points at VHDS and each inline virtual host becomes `outbound/<host:port>`', () => {
    const snap = snapshotFromYaml(BOOKINFO + VS, BOOKINFO_INSTANCES);
    const inline = rdsGenerator.build(proxyNode(), snap);
    const delta = proxyNode({ vhds: true });
    const [rc] = rdsGenerator.build(delta, snap);
    assertProxyAccepts(ROUTE_TYPE, [rc!]);
    assert.deepEqual(rc!.resource.vhds, { config_source: { ads: {}, resource_api_version: 'V3' } });
    assert.equal(rc!.resource.virtual_hosts, undefined);
    const vhds = vhdsGenerator.build(delta, snap, ['outbound']);
    const inlineHosts = get(byName(inline, 'outbound').resource, 'virtual_hosts') as Record<string, unknown>[];
    assert.deepEqual(
      vhds.map((v) => v.name),
      inlineHosts.map((h) => `outbound/${String(h.name)}`),
    );
    // same routes as inline, under the VHDS name
    const reviews = byName(vhds, `outbound/${R}:9080`).resource;
    assert.equal(reviews['@type'], VIRTUAL_HOST_TYPE);
    assert.deepEqual(reviews.routes, (byName(inlineHosts as { name: string }[], `${R}:9080`) as Record<string, unknown>).routes);
    assert.deepEqual(vhdsGenerator.build(delta, snap, ['other-config']), []);
    assert.deepEqual(vhdsGenerator.build(proxyNode(), snap, ['outbound']), [], 'a SotW proxy gets its virtual hosts inline');
  });
});
