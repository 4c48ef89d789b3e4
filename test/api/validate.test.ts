// Tests for the API validate stage: Istio's Bookinfo config is clean; each rule violation yields its path and reason; all errors at once with lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources } from '../../src/api/load.js';
import { parseResources } from '../../src/api/parse.js';
import { validateResource } from '../../src/api/validate.js';
import { formatErrors } from '../../src/common/result.js';
import type { ApiError } from '../../src/api/errors.js';
import type { MeshResource } from '../../src/api/types.js';
import { ALL, REVIEWS_50_V3 } from './bookinfo.js';

function one(yaml: string): MeshResource {
  const r = parseResources(yaml);
  assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  return r.value[0]!;
}

/** Validate a spec (as YAML under `spec:`) of `kind` and return `path: message` lines. */
function errorsOf(kind: string, spec: string, apiVersion = 'networking.istio.io/v1'): string[] {
  const r = one(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\nspec:\n${spec.replace(/^/gm, '  ')}`);
  return validateResource(r).map((e) => `${e.field}: ${e.reason}`);
}

function expectError(lines: string[], path: string, reason: string | RegExp): void {
  const hit = lines.some((l) => l.startsWith(`${path}: `) && (typeof reason === 'string' ? l.slice(path.length + 2) === reason : reason.test(l)));
  assert.ok(hit, `expected ${path}: ${String(reason)}\ngot:\n${lines.join('\n')}`);
}

test('Istio Bookinfo samples (canary, weighted, fault, retries, subsets, gateway, service entry) validate clean', () => {
  for (const text of [ALL, REVIEWS_50_V3]) {
    const r = loadResources(text, 'bookinfo.yaml');
    assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  }
});

test('regexes are RE2: its syntax passes, what JS takes but RE2 refuses fails, rewrites are checked too', () => {
  const lines = errorsOf(
    'VirtualService',
    `hosts: [a]
http:
- match:
  - uri: {regex: "(?i)/api/(?P<version>v[0-9]+)/.*\\\\z"}
    headers:
      x-a: {regex: "\\\\pL+"}
      x-b: {regex: "(?<n>a)\\\\k<n>"}
      x-c: {regex: "\\\\u0041"}
  rewrite:
    uriRegexRewrite: {match: "^/api/(v[0-9]+)/(.*)$", rewrite: "/\\\\3/\\\\1"}
  route:
  - destination: {host: a}`,
  );
  expectError(lines, 'spec.http[0].match[0].headers.x-b.regex', /^spec\.http\[0\]\.match\[0\]\.headers\.x-b\.regex: invalid RE2 regex "\(\?<n>a\)\\\\k<n>": invalid escape sequence/);
  expectError(lines, 'spec.http[0].match[0].headers.x-c.regex', /invalid RE2 regex/);
  expectError(lines, 'spec.http[0].rewrite.uriRegexRewrite.rewrite', 'substitution refers to group \\3 but the regex has 2');
  assert.equal(lines.length, 3, lines.join('\n'));
});

test('weights must sum to 100 — with resource, path and reason in the message', () => {
  const r = one(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v2}
      weight: 40`);
  const errs = validateResource(r);
  assert.equal(formatErrors(errs), 'VirtualService default/reviews: spec.http[0].route[1].weight: weights must sum to 100, got 90');
});

test('weights: all absent is fine; a single destination needs none', () => {
  assert.deepEqual(errorsOf('VirtualService', 'hosts: [a]\nhttp:\n- route:\n  - destination: {host: a}\n  - destination: {host: b}'), []);
  assert.deepEqual(errorsOf('VirtualService', 'hosts: [a]\ntcp:\n- route:\n  - destination: {host: a}\n    weight: 30'), []);
  expectError(errorsOf('VirtualService', 'hosts: [a]\ntcp:\n- route:\n  - destination: {host: a}\n    weight: 30\n  - destination: {host: b}'), 'spec.tcp[0].route[1].weight', 'weights must sum to 100, got 30');
});

test('unknown fields are rejected by name, at any depth', () => {
  const lines = errorsOf('VirtualService', 'hosts: [a]\nhttp:\n- route:\n  - destination: {host: a, subnet: v1}\n  retry: {attempts: 3}');
  expectError(lines, 'spec.http[0].route[0].destination.subnet', 'unknown field "subnet" in Destination');
  expectError(lines, 'spec.http[0].retry', 'unknown field "retry" in HTTPRoute');
});

test('hosts: wildcards only as a leading label; "*" not on the mesh gateway; destination host "*" invalid', () => {
  const lines = errorsOf('VirtualService', 'hosts: ["foo.*.com", "*", "*.ok.com", "bad_host"]\nhttp:\n- route:\n  - destination: {host: "*"}');
  expectError(lines, 'spec.hosts[0]', /wildcard is only allowed as the leading label/);
  expectError(lines, 'spec.hosts[1]', 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
  expectError(lines, 'spec.hosts[3]', /"bad_host" is not a valid DNS label/);
  expectError(lines, 'spec.http[0].route[0].destination.host', 'invalid destination host *');
  assert.ok(!lines.some((l) => l.startsWith('spec.hosts[2]')));
});

test('durations, regexes, retryOn, percentages, status codes', () => {
  const lines = errorsOf(
    'VirtualService',
    `hosts: [a]
http:
- match:
  - uri: {regex: "([a-z"}
    headers:
      x-user: {regex: "(?!bot).*"}
  route:
  - destination: {host: a}
  timeout: 10 seconds
  retries: {attempts: 3, perTryTimeout: 0.5ms, retryOn: "5xx,reset,teapot,503"}
  fault:
    delay: {fixedDelay: 1s, percentage: {value: 120}}
    abort: {httpStatus: 999}
  mirror: {host: b}
  mirrorPercentage: {value: -1}`,
  );
  expectError(lines, 'spec.http[0].match[0].uri.regex', /invalid RE2 regex "\(\[a-z": missing closing \]/);
  expectError(lines, 'spec.http[0].match[0].headers.x-user.regex', /invalid RE2 regex .*look-around/);
  expectError(lines, 'spec.http[0].timeout', 'invalid duration "10 seconds" (expected e.g. "1s", "100ms", "1.5s")');
  expectError(lines, 'spec.http[0].retries.perTryTimeout', 'duration "0.5ms" must be at least 1ms');
  expectError(lines, 'spec.http[0].retries.retryOn', '"teapot" is not a valid retryOn policy');
  expectError(lines, 'spec.http[0].fault.delay.percentage.value', 'must be at most 100, got 120');
  expectError(lines, 'spec.http[0].fault.abort.httpStatus', 'httpStatus must be in the range 200-599, got 999');
  expectError(lines, 'spec.http[0].mirrorPercentage.value', 'must be at least 0, got -1');
  assert.equal(lines.length, 8, lines.join('\n'));
});

test('mutually exclusive fields and required fields', () => {
  const lines = errorsOf(
    'VirtualService',
    `hosts: [a]
http:
- route:
  - destination: {host: a}
  redirect: {uri: /x}
- match:
  - uri: {exact: /a, prefix: /b}
  rewrite: {uri: /c}
- route:
  - weight: 100`,
  );
  expectError(lines, 'spec.http[0]', 'only one of route, redirect, directResponse, delegate may be set, got route and redirect');
  expectError(lines, 'spec.http[1].match[0].uri', 'only one of exact, prefix, regex may be set, got exact and prefix');
  expectError(lines, 'spec.http[1]', 'HTTP route, redirect, direct response or delegate is required');
  expectError(lines, 'spec.http[2].route[0].destination', 'required field is missing');
});

test('DestinationRule: subset names, duplicate subsets, LB and locality rules, TLS, ports', () => {
  const lines = errorsOf(
    'DestinationRule',
    `host: reviews
trafficPolicy:
  loadBalancer:
    simple: ROUND_ROBIN
    consistentHash: {httpHeaderName: x-user}
    localityLbSetting:
      distribute:
      - from: us-west/zone1/*
        to: {"us-west/zone1/*": 80, "us-west/zone2/*": 10}
      failover:
      - from: us-east
        to: us-east
  connectionPool:
    tcp: {connectTimeout: 0s}
  outlierDetection: {interval: 1m, maxEjectionPercent: 150}
  tls: {mode: MUTUAL}
  portLevelSettings:
  - port: {number: 70000}
    tls: {mode: ISTIO_MUTUAL, caCertificates: /etc/ca.pem}
subsets:
- name: v1
  labels: {version: v1}
- name: V_2
- name: v1
  trafficPolicy: {}
- name: v3
  trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem, subjectAltNames: [a.example]}}`,
  );
  expectError(lines, 'spec.trafficPolicy.loadBalancer', 'only one of simple, consistentHash may be set, got simple and consistentHash');
  expectError(lines, 'spec.trafficPolicy.loadBalancer.localityLbSetting', "can not simultaneously set 'distribute' and 'failover'");
  expectError(lines, 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to', 'total load balancing weight must sum up to 100, got 90');
  expectError(lines, 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]', 'locality lb failover settings must specify different regions');
  expectError(lines, 'spec.trafficPolicy.connectionPool.tcp.connectTimeout', 'duration "0s" must be at least 1ms');
  expectError(lines, 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', 'must be at most 100, got 150');
  expectError(lines, 'spec.trafficPolicy.tls.clientCertificate', /client certificate required for mutual tls/);
  expectError(lines, 'spec.trafficPolicy.portLevelSettings[0].port.number', 'must be at most 65535, got 70000');
  expectError(lines, 'spec.trafficPolicy.portLevelSettings[0].tls', /cannot specify caCertificates when tls mode is ISTIO_MUTUAL/);
  expectError(lines, 'spec.subsets[1].name', /"V_2" is not a valid DNS-1123 label/);
  expectError(lines, 'spec.subsets[2].name', 'duplicate subset name "v1" (also spec.subsets[0])');
  expectError(lines, 'spec.subsets[2].trafficPolicy', 'traffic policy must have at least one field');
  expectError(lines, 'spec.subsets[3].trafficPolicy.tls.caCertificates', 'cannot specify caCertificates when insecureSkipVerify is true');
  expectError(lines, 'spec.subsets[3].trafficPolicy.tls.subjectAltNames', 'cannot specify subjectAltNames when insecureSkipVerify is true');
});

test('Gateway, ServiceEntry, WorkloadEntry, Sidecar and Service rules', () => {
  const gw = errorsOf('Gateway', 'servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: ["a/b/c"]\n- port: {number: 80, protocol: FTP}\n  hosts: []');
  expectError(gw, 'spec.servers[0].tls', 'server must have TLS settings for HTTPS');
  expectError(gw, 'spec.servers[0].hosts[0]', /must have the form "namespace\/dnsName"/);
  expectError(gw, 'spec.servers[1].port.protocol', /invalid protocol "FTP"/);
  expectError(gw, 'spec.servers[1].hosts', 'server config must contain at least one host');

  const se = errorsOf('ServiceEntry', 'hosts: ["*", 10.0.0.1]\nports:\n- {number: 80, name: http, protocol: HTTP}\n- {number: 80, name: http}\nresolution: STATIC\nendpoints:\n- address: foo.com\n  ports: {grpc: 9000}');
  expectError(se, 'spec.hosts[0]', 'invalid host *');
  expectError(se, 'spec.hosts[1]', /must be a DNS name/);
  expectError(se, 'spec.ports[1].name', 'port name "http" is not unique');
  expectError(se, 'spec.ports[1].number', 'port number 80 is not unique');
  expectError(se, 'spec.endpoints[0].address', /must be an IP address/);
  expectError(se, 'spec.endpoints[0].ports.grpc', 'endpoint port "grpc" is not defined by the service entry');

  const we = errorsOf('WorkloadEntry', 'labels: {app: x}\nlocality: us/*/z');
  expectError(we, 'spec.address', 'address is required');
  expectError(we, 'spec.locality', /must not contain a wildcard/);

  const sc = errorsOf('Sidecar', 'egress:\n- hosts: ["reviews"]\n- port: {number: 9080, protocol: HTTP}\n  hosts: ["./*"]');
  expectError(sc, 'spec.egress[0].hosts[0]', /must have the form "namespace\/dnsName"/);
  expectError(sc, 'spec.egress[0]', 'the egress listener with empty port should be the last listener in the list');

  const svc = errorsOf('Service', 'ports:\n- {port: 80}\n- {port: 70000, name: web, targetPort: -1}\nselector: {"bad key!": x}', 'v1');
  expectError(svc, 'spec.ports[0].name', 'ports must have names when a Service has more than one port');
  expectError(svc, 'spec.ports[1].port', 'must be at most 65535, got 70000');
  expectError(svc, 'spec.selector["bad key!"]', 'invalid label key "bad key!"');
});

test('a multi-document input with several broken documents reports every error, in order, with lines', () => {
  const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 60
    - destination: {host: reviews, subset: v2}
      weight: 60
---
kind: Gateway
metadata: {name: g}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: ratings, namespace: prod}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {simple: FASTEST}
`;
  const r = loadResources(text, 'mesh.yaml');
  assert.ok(!r.ok);
  const errs = r.errors as ApiError[];
  assert.deepEqual(
    errs.map((e) => `${e.path}: ${e.message}`),
    [
      'VirtualService default/reviews: spec.http[0].route[1].weight: weights must sum to 100, got 120 (mesh.yaml:11)',
      'Gateway default/g: apiVersion: required field is missing (mesh.yaml:13)',
      'DestinationRule prod/ratings: spec.trafficPolicy.loadBalancer.simple: invalid value "FASTEST", expected one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST (mesh.yaml:22)',
    ],
  );
});
