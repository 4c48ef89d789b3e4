// Translate tests: VirtualService delegation — root entries replaced by the delegate's routes (matches merged as Istio does) for sidecars, gateways and proxyless clients.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { rdsGenerator } from '../../../src/control/translate/rds.js';
import { ROUTE_TYPE } from '../../../src/control/translate/generator.js';
import { typesToPush } from '../../../src/control/snapshot/changes.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

const R = 'reviews.default.svc.cluster.local';
const cluster = (subset: string, host = R): string => `outbound|9080|${subset}|${host}`;

type Route = Record<string, unknown>;

function routesOf(yaml: string, host = R, proxy = proxyNode()): Route[] {
  const snap = snapshotFromYaml(BOOKINFO + yaml, BOOKINFO_INSTANCES);
  const out = rdsGenerator.build(proxy, snap);
  assertProxyAccepts(ROUTE_TYPE, out);
  const vhs = get(byName(out, 'outbound').resource, 'virtual_hosts') as { name: string; routes: Route[] }[];
  return byName(vhs, `${host}:9080`).routes;
}

/** [match, cluster] per route, the shape most assertions need. */
const summary = (rs: Route[]): [unknown, unknown][] => rs.map((r) => [get(r, 'match'), get(r, 'route', 'cluster')]);

const ROOT = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-root}
spec:
  hosts: [reviews]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    delegate: {name: reviews-api}
  - route: [{destination: {host: reviews, subset: v3}}]
`;

const DELEGATE = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-api}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /api/v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: elsewhere
    match: [{uri: {prefix: /other}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`;

describe('VirtualService delegation (sidecar RDS)', () => {
  it('the delegate entry becomes the delegate routes, in order, matches merged; a conflicting delegate route is dropped', () => {
    const rs = routesOf(ROOT + DELEGATE);
    assert.deepEqual(summary(rs), [
      [{ prefix: '/api/v2' }, cluster('v2')],
      // no match of its own: the root's block applies
      [{ prefix: '/api' }, cluster('v1')],
      [{ prefix: '/' }, cluster('v3')],
    ]);
    assert.deepEqual(rs.map((r) => r.name), ['api-v2', 'api', '']);
  });

  it('without the delegate (or not exported to the root namespace) only that entry is dropped', () => {
    assert.deepEqual(summary(routesOf(ROOT)), [[{ prefix: '/' }, cluster('v3')]]);
    const hidden = DELEGATE.replace('metadata: {name: reviews-api}', 'metadata: {name: reviews-api, namespace: team}').replace('spec:\n', 'spec:\n  exportTo: ["."]\n');
    const root = ROOT.replace('delegate: {name: reviews-api}', 'delegate: {name: reviews-api, namespace: team}');
    assert.deepEqual(summary(routesOf(root + hidden)), [[{ prefix: '/' }, cluster('v3')]]);
    const shared = hidden.replace('exportTo: ["."]', 'exportTo: [default]');
    assert.equal(summary(routesOf(root + shared)).length, 3);
  });

  it('a VirtualService with hosts is never a delegate; the delegate itself gives no virtual host of its own', () => {
    const withHosts = DELEGATE.replace('spec:\n', 'spec:\n  hosts: [ratings]\n');
    assert.deepEqual(summary(routesOf(ROOT + withHosts)), [[{ prefix: '/' }, cluster('v3')]]);
    const snap = snapshotFromYaml(BOOKINFO + ROOT + DELEGATE, BOOKINFO_INSTANCES);
    const vhs = get(rdsGenerator.build(proxyNode(), snap)[0]?.resource, 'virtual_hosts') as { name: string; routes: Route[] }[];
    const ratings = byName(vhs, 'ratings.default.svc.cluster.local:9080');
    assert.equal(ratings.routes[0]?.name, 'default');
  });

  it('short hosts resolve in the namespace of the VirtualService that wrote them', () => {
    const team = `
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: team}
spec: {ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-api, namespace: team}
spec:
  http:
  - route: [{destination: {host: reviews}}]
`;
    const root = ROOT.replace('delegate: {name: reviews-api}', 'delegate: {name: reviews-api, namespace: team}');
    assert.deepEqual(summary(routesOf(root + team))[0], [{ prefix: '/api' }, 'outbound|9080||reviews.team.svc.cluster.local']);
  });

  it('the root entry lends timeout, headers and corsPolicy to delegate routes that do not set them', () => {
    const root = ROOT.replace(
      'delegate: {name: reviews-api}',
      'delegate: {name: reviews-api}\n    timeout: 3s\n    headers: {request: {set: {x-root: "1"}}}\n    corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}',
    );
    const del = DELEGATE.replace("  - route: [{destination: {host: reviews, subset: v1}}]", '  - route: [{destination: {host: reviews, subset: v1}}]\n    timeout: 1s');
    const rs = routesOf(root + del);
    assert.equal(get(rs[0], 'route', 'timeout'), '3s');
    assert.equal(get(rs[1], 'route', 'timeout'), '1s');
    assert.deepEqual(get(rs[0], 'request_headers_to_add', 0, 'header'), { key: 'x-root', value: '1' });
    assert.deepEqual(get(rs[0], 'typed_per_filter_config', 'envoy.filters.http.cors', 'allow_origin_string_match'), [{ exact: 'https://a.example' }]);
    assert.equal(get(rs[2], 'route', 'timeout'), '0s', 'the root\'s own later routes are untouched');
  });

  it('header conditions of both sides hold together; several root blocks pair with each delegate block', () => {
    const root = ROOT.replace('match: [{uri: {prefix: /api}}]', 'match: [{uri: {prefix: /api}, headers: {x-team: {exact: a}}}, {uri: {prefix: /api/v2/beta}}]');
    const rs = routesOf(root + DELEGATE);
    assert.deepEqual(summary(rs), [
      [{ prefix: '/api/v2', headers: [{ name: 'x-team', string_match: { exact: 'a' } }] }, cluster('v2')],
      // /api/v2 does not lie under /api/v2/beta: only the first root block pairs with it
      [{ prefix: '/api', headers: [{ name: 'x-team', string_match: { exact: 'a' } }] }, cluster('v1')],
      [{ prefix: '/api/v2/beta' }, cluster('v1')],
      [{ prefix: '/' }, cluster('v3')],
    ]);
  });
});

const GATEWAY = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: [bookinfo.example]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    delegate: {name: reviews-api}
`;

describe('VirtualService delegation (gateway and proxyless)', () => {
  it('a gateway root expands its delegate into http.<port>', () => {
    const snap = snapshotFromYaml(BOOKINFO + GATEWAY + DELEGATE, BOOKINFO_INSTANCES);
    const rds = rdsGenerator.build(proxyNode({ type: 'router', labels: { istio: 'ingressgateway' } }), snap);
    assertProxyAccepts(ROUTE_TYPE, rds);
    const vhs = get(byName(rds, 'http.8080').resource, 'virtual_hosts') as { name: string; routes: Route[] }[];
    assert.deepEqual(vhs.map((v) => v.name), ['bookinfo.example:8080']);
    assert.deepEqual(summary(vhs[0]!.routes), [
      [{ prefix: '/api/v2' }, cluster('v2')],
      [{ prefix: '/api' }, cluster('v1')],
    ]);
  });

  it('a proxyless client gets the same merged routes for its target', () => {
    const snap = snapshotFromYaml(BOOKINFO + ROOT + DELEGATE, BOOKINFO_INSTANCES);
    const rds = rdsGenerator.build(proxyNode({ type: 'proxyless' }), snap, ['reviews:9080']);
    const routes = get(rds[0]?.resource, 'virtual_hosts', 0, 'routes') as Route[];
    assert.deepEqual(summary(routes).map(([, c]) => c), [cluster('v2'), cluster('v1'), cluster('v3')]);
  });
});

describe('VirtualService delegation (pushes)', () => {
  it('editing only the delegate changes the root host\'s routes, and a VirtualService change pushes RDS', () => {
    const before = summary(routesOf(ROOT + DELEGATE));
    const after = summary(routesOf(ROOT + DELEGATE.replace('prefix: /api/v2', 'prefix: /api/v3')));
    assert.notDeepEqual(before, after);
    assert.deepEqual(after[0], [{ prefix: '/api/v3' }, cluster('v2')]);
    assert.ok(typesToPush(new Set(['VirtualService'])).includes(ROUTE_TYPE));
  });
});
