// Tests for the API analyze stage: Istio codes for unknown hosts/subsets/gateways, mesh host conflicts, subsets selecting no workload, schema errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze as analyzeAll, formatMessage, type Workload } from '../../src/api/analyze.js';
import { admitResources } from '../../src/api/admission.js';
import { parseResources } from '../../src/api/parse.js';
import type { MeshResource } from '../../src/api/types.js';
import { ALL, DESTINATION_RULES, SERVICES } from './bookinfo.js';

/** The analyzer's judgements of the mesh; TRL0004 (fields apply refuses as unsupported) is tested on its own below. */
function analyze(...args: Parameters<typeof analyzeAll>): ReturnType<typeof analyzeAll> {
  return analyzeAll(...args).filter((m) => m.code !== 'TRL0004');
}

/** Bookinfo (whose DestinationRules set tls ISTIO_MUTUAL, served now) plus a rule with a CRL, which trellis does not check. */
const WITH_CRL = `${ALL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: crl}
spec:
  host: details
  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /ca.pem, caCrl: /crl.pem}}`;

function load(text: string): MeshResource[] {
  const r = parseResources(text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

const BOOKINFO_WORKLOADS: Workload[] = ['productpage', 'details', 'ratings'].map((app): Workload => ({ namespace: 'default', labels: { app, version: 'v1' } }))
  .concat(['v1', 'v2', 'v3'].map((version) => ({ namespace: 'default', labels: { app: 'reviews', version } })))
  .concat([{ namespace: 'default', labels: { app: 'ratings', version: 'v2' } }, { namespace: 'istio-system', labels: { app: 'ingressgateway', istio: 'ingressgateway' } }]);

test('the Bookinfo config analyzes clean with its workloads, tls ISTIO_MUTUAL included', () => {
  const msgs = analyzeAll(load(ALL), BOOKINFO_WORKLOADS);
  assert.deepEqual(msgs.map(formatMessage), []);
  assert.equal(admitResources(ALL).ok, true);
});

test('TRL0004: what apply refuses as unsupported, analyze reports, field by field (one admission path)', () => {
  const msgs = analyzeAll(load(WITH_CRL), BOOKINFO_WORKLOADS);
  const refused = admitResources(WITH_CRL);
  assert.equal(refused.ok, false);
  if (refused.ok) return;
  assert.ok(refused.errors.length > 0);
  assert.deepEqual(
    msgs.filter((m) => m.code === 'TRL0004').map((m) => `${m.resource}: ${m.path}`),
    refused.errors.map((e) => e.path),
  );
  assert.match(formatMessage(msgs.find((m) => m.code === 'TRL0004')!), /^Error \[TRL0004\] \(DestinationRule default\/crl\) caCrl is not supported by trellis yet \(certificate revocation lists are not checked\)/);
});

test('IST0101: unknown destination host, formatted like istioctl', () => {
  const msgs = analyze(load(`${SERVICES}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: ratingz}`));
  assert.deepEqual(msgs.map(formatMessage), ['Error [IST0101] (VirtualService default/reviews) Referenced host not found: "ratingz"']);
  assert.equal(msgs[0]!.path, 'spec.http[0].route[0].destination.host');
});

test('hosts resolve: short names in the VirtualService namespace, name.ns, FQDN and ServiceEntry wildcards', () => {
  const msgs = analyze(load(`${SERVICES}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: prod}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: prod}
spec:
  hosts: [front.prod.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews.default}
      weight: 25
    - destination: {host: ratings.default.svc.cluster.local}
      weight: 25
    - destination: {host: api.example.com}
      weight: 25
    - destination: {host: reviews}
      weight: 25`));
  assert.deepEqual(msgs.map(formatMessage), ['Error [IST0101] (VirtualService prod/front) Referenced host not found: "reviews"']);
});

test('IST0101: subset not in any DestinationRule, gateway not found; IST0132 host not on gateway', () => {
  const msgs = analyze(load(`${SERVICES}
---
${DESTINATION_RULES}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["bookinfo.com"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews, wrong.com]
  gateways: [gw, missing-gw, mesh]
  http:
  - route:
    - destination: {host: reviews, subset: v4}`));
  const lines = msgs.map(formatMessage);
  assert.ok(lines.includes('Error [IST0101] (VirtualService default/reviews) Referenced host+subset in destinationrule not found: "reviews+v4"'), lines.join('\n'));
  assert.ok(lines.includes('Error [IST0101] (VirtualService default/reviews) Referenced gateway not found: "missing-gw"'), lines.join('\n'));
  assert.ok(lines.includes('Warning [IST0132] (VirtualService default/reviews) one or more host [reviews wrong.com] defined in VirtualService default/reviews not found in Gateway default/gw.'), lines.join('\n'));
  assert.equal(lines.length, 3, lines.join('\n'));
});

test('IST0109: two VirtualServices for one host on the mesh gateway, each reported', () => {
  const vs = (name: string, host: string): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  http: [{route: [{destination: {host: reviews}}]}]`;
  const msgs = analyze(load([SERVICES, vs('a', 'reviews'), vs('b', 'reviews.default.svc.cluster.local')].join('\n---\n')));
  assert.deepEqual(msgs.map((m) => `${m.code} ${m.resource}`), ['IST0109 VirtualService default/a', 'IST0109 VirtualService default/b']);
  assert.match(msgs[0]!.message, /The VirtualServices default\/a,default\/b associated with mesh gateway define the same host reviews\.default\.svc\.cluster\.local/);
});

test('IST0173: a subset whose labels match no workload; IST0174: DestinationRule for an unknown host; conflicting rules', () => {
  const msgs = analyze(
    load(`${SERVICES}
---
${DESTINATION_RULES}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reveiws}
spec:
  host: reveiws
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-2}
spec:
  host: reviews.default.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: RANDOM}}`),
    BOOKINFO_WORKLOADS.filter((w) => w.labels.version !== 'v3'),
  );
  const lines = msgs.map(formatMessage);
  assert.ok(lines.includes('Error [IST0173] (DestinationRule default/reviews) The Subset v3 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).'), lines.join('\n'));
  assert.ok(lines.includes('Warning [IST0174] (DestinationRule default/reveiws) The host reveiws defined in the DestinationRule does not match any services in the mesh.'), lines.join('\n'));
  assert.equal(msgs.filter((m) => m.code === 'TRL0001').length, 2, lines.join('\n'));
  assert.equal(msgs.length, 4, lines.join('\n'));
});

test('without workload information subset selectors are not judged', () => {
  const msgs = analyze(load(`${SERVICES}\n---\n${DESTINATION_RULES}`));
  assert.deepEqual(msgs, []);
});

test('IST0106 wraps validation errors; invalid resources are left out of other checks', () => {
  const msgs = analyze(load(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad}
spec:
  hosts: [nowhere]
  http: [{route: [{destination: {host: nowhere}, weight: 10}, {destination: {host: nowhere}, weight: 10}]}]`));
  assert.deepEqual(msgs.map(formatMessage), ['Error [IST0106] (VirtualService default/bad) Schema validation error: spec.http[0].route[1].weight: weights must sum to 100, got 20']);
});

test('IST0112 when the destination service has several ports and no port is chosen; IST0101 for a port it lacks', () => {
  const msgs = analyze(load(`apiVersion: v1
kind: Service
metadata: {name: multi}
spec:
  ports: [{port: 80, name: http}, {port: 8080, name: http-alt}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: m}
spec:
  hosts: [multi]
  http:
  - route: [{destination: {host: multi}}]
  - route: [{destination: {host: multi, port: {number: 9090}}}]`));
  assert.deepEqual(msgs.map((m) => m.code), ['IST0112', 'IST0101']);
  assert.match(msgs[1]!.message, /Referenced host:port not found: "multi:9090"/);
});

test('a Gateway whose selector matches no workload', () => {
  const msgs = analyze(
    load(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: egressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]`),
    BOOKINFO_WORKLOADS,
  );
  assert.deepEqual(msgs.map(formatMessage), ['Error [IST0101] (Gateway default/gw) Referenced selector not found: "istio=egressgateway"']);
});
