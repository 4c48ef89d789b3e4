// Unit: cli/explain — the request as the router sees it, Istio's names read back, and the one-line answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest, verdict } from '../../../src/cli/explain/command.js';
import { istioSource, type ClusterView, type OutboundTrace } from '../../../src/cli/explain/outbound.js';
import { policyLabel } from '../../../src/cli/explain/inbound.js';

test('the request: method optional, authority from the URL or a Host header, headers lower-cased', () => {
  const a = parseRequest('http://reviews:9080/r/0?x=1', undefined, ['End-User: jason']);
  assert.deepEqual(a.req, { authority: 'reviews:9080', path: '/r/0?x=1', method: 'GET', headers: { 'end-user': 'jason', host: 'reviews:9080' }, scheme: 'http' });
  assert.equal(a.port, 9080);
  const b = parseRequest('post', 'reviews/x', ['host: other']);
  assert.equal(b.req.method, 'POST');
  assert.equal(b.req.authority, 'other');
  assert.equal(b.port, 80);
  assert.throws(() => parseRequest('FETCH', 'http://x/', []), /"FETCH" is not an HTTP method/);
  assert.throws(() => parseRequest('http://x/', undefined, ['nocolon']), /-H "nocolon" is not "name: value"/);
});

test("Istio's names: config metadata and RBAC policy names", () => {
  assert.equal(istioSource({ filter_metadata: { istio: { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews' } } }), 'VirtualService default/reviews');
  assert.equal(istioSource({}), undefined);
  assert.equal(policyLabel('ns[default]-policy[deny-x]-rule[2]'), 'AuthorizationPolicy default/deny-x rule 2');
  assert.equal(policyLabel('custom-name'), 'custom-name');
});

const cluster = (c: Partial<ClusterView>): ClusterView => ({ name: 'outbound|9080|v1|reviews.default.svc.cluster.local', found: true, subset: 'v1', service: 'reviews.default.svc.cluster.local:9080', identities: [], limits: [], outlierDetection: false, endpoints: [{ address: '127.0.0.1', port: 1, health: 'HEALTHY', weight: 1, mtls: true }], ...c });
const routed = (clusters: ClusterView[], raw: Record<string, unknown> = {}): OutboundTrace => ({
  listener: { name: 'outbound', address: '127.0.0.1', port: 15001 },
  routeConfig: 'outbound',
  virtualHost: { name: 'reviews', domains: ['reviews'] },
  steps: [{ index: 0, name: '', source: 'VirtualService default/reviews' }],
  route: { step: { index: 0, name: '', source: 'VirtualService default/reviews' }, raw, action: 'route' },
  clusters,
});

test('the one-line answer names the first reason a request fails, else where it goes', () => {
  assert.match(verdict({ steps: [], clusters: [] }, []), /no listener/);
  assert.match(verdict({ ...routed([]), virtualHost: undefined, route: undefined }, []), /^✗ 404 \(NR\): no virtual host/);
  assert.match(verdict({ ...routed([]), route: undefined, steps: [{ index: 0, name: 'a', mismatch: 'path "/x" is not path "/y"' }] }, []), /^✗ 404 \(NR\): no route .*\(path "\/x" is not path "\/y"\)/);
  assert.match(verdict(routed([cluster({ found: false, subset: 'v4' })]), []), /^✗ 503 \(NC\).*defines subset v4/);
  assert.match(verdict(routed([cluster({ endpoints: [] })]), []), /^✗ 503 \(UH\).*subset v1 has no endpoints/);
  const abort = { typed_per_filter_config: { 'envoy.filters.http.fault': { abort: { http_status: 503, percentage: { numerator: 100 } } } } };
  assert.match(verdict(routed([cluster({})], abort), []), /^✗ 503: fault injection by VirtualService default\/reviews/);
  const denied = { proxy: 'reviews-v1-abcde.default', endpoint: '127.0.0.1:1', inbound: { steps: [{ filter: 'rbac', action: 'DENY' as const, dryRun: false, policies: [{ policy: 'AuthorizationPolicy default/deny rule 0', matched: true }], outcome: 'denied' as const }], allowed: false, notes: [] } };
  assert.equal(verdict(routed([cluster({})]), [denied]), '✗ 403 (RBAC: access denied) at reviews-v1-abcde.default: denied by AuthorizationPolicy default/deny rule 0');
  const strict = { proxy: 'p', endpoint: '127.0.0.1:1', inbound: { steps: [], allowed: false, notes: [], refused: 'the caller sends plaintext but this sidecar accepts only mTLS' } };
  assert.match(verdict(routed([cluster({})]), [strict]), /^✗ reset: p: the caller sends plaintext/);
  assert.equal(verdict(routed([cluster({})]), []), '→ reviews.default.svc.cluster.local:9080 subset v1 by VirtualService default/reviews');
});
