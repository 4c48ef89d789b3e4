// Tests for the API stage of VirtualService delegation: Istio's root/delegate validation rules, IST0101 for unusable delegate references, accepted at apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, formatMessage } from '../../src/api/analyze.js';
import { loadResources } from '../../src/api/load.js';
import { parseResources } from '../../src/api/parse.js';
import { unsupportedFields } from '../../src/api/unsupported.js';
import { validateResource } from '../../src/api/validate.js';
import { formatErrors } from '../../src/common/result.js';
import type { MeshResource } from '../../src/api/types.js';

function load(text: string): MeshResource[] {
  const r = parseResources(text);
  assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  return r.value;
}

const lines = (r: MeshResource): string[] => validateResource(r).map((e) => `${e.field}: ${e.reason}`);

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec: {ports: [{name: http, port: 9080}]}
`;

const ROOT = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /api}}]
    delegate: {name: api}
    corsPolicy: {allowOrigins: [{exact: "https://a.example"}], unmatchedPreflights: IGNORE}
`;

const DELEGATE = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  http:
  - match: [{uri: {prefix: /api/v2}}]
    route: [{destination: {host: reviews}}]
`;

test('a root with delegate and a hostless delegate load, and nothing of them is refused as unsupported', () => {
  const r = loadResources(SERVICE + ROOT + DELEGATE);
  assert.ok(r.ok, r.ok ? '' : formatErrors(r.errors));
  assert.deepEqual(r.value.flatMap(unsupportedFields), []);
  assert.deepEqual(analyze(r.value).map(formatMessage), []);
});

test('a delegating entry may not also route, redirect or answer directly (Istio: root HTTP route must not specify route)', () => {
  const [vs] = load(ROOT.replace('delegate: {name: api}', 'delegate: {name: api}\n    route: [{destination: {host: reviews}}]'));
  assert.ok(
    lines(vs!).includes('spec.http[0]: only one of route, redirect, directResponse, delegate may be set, got route and delegate'),
    lines(vs!).join('\n'),
  );
  const [dr] = load(ROOT.replace('delegate: {name: api}', 'delegate: {name: api}\n    directResponse: {status: 204}'));
  assert.ok(lines(dr!).some((l) => l.startsWith('spec.http[0]: only one of route, redirect, directResponse, delegate')), lines(dr!).join('\n'));
});

test('a hostless VirtualService is a delegate: no gateways, no tcp/tls, no delegate of its own (one level only)', () => {
  const [vs] = load(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  gateways: [gw]
  http: [{delegate: {name: deeper}}]
  tcp: [{route: [{destination: {host: reviews}}]}]`);
  const got = lines(vs!);
  for (const want of [
    'spec.gateways: a delegate VirtualService (one without hosts) must not set gateways',
    'spec: a delegate VirtualService supports only http routes',
    'spec.http[0].delegate: a delegate VirtualService cannot delegate again',
  ]) {
    assert.ok(got.includes(want), `missing ${want}\ngot:\n${got.join('\n')}`);
  }
});

test('regex matches are refused on both sides of a delegation (Istio cannot merge them), not elsewhere', () => {
  const [root] = load(ROOT.replace('{uri: {prefix: /api}}', '{uri: {regex: "/api.*"}, headers: {x-a: {regex: "a+"}}}'));
  const got = lines(root!);
  assert.ok(got.includes('spec.http[0].match[0].uri.regex: regex match is not supported in routes that delegate or are delegated to'), got.join('\n'));
  assert.ok(got.includes('spec.http[0].match[0].headers.x-a.regex: regex match is not supported in routes that delegate or are delegated to'), got.join('\n'));
  const [del] = load(DELEGATE.replace('{uri: {prefix: /api/v2}}', '{queryParams: {q: {regex: "x"}}}'));
  assert.ok(lines(del!).some((l) => l.endsWith('.queryParams.q.regex: regex match is not supported in routes that delegate or are delegated to')), lines(del!).join('\n'));
  const [plain] = load(DELEGATE.replace('spec:\n', 'spec:\n  hosts: [reviews]\n').replace('{uri: {prefix: /api/v2}}', '{uri: {regex: "/api.*"}}'));
  assert.deepEqual(lines(plain!), []);
});

test('IST0101 for a delegate reference translation would drop: missing, has hosts, or not exported to the root namespace', () => {
  const missing = analyze(load(SERVICE + ROOT));
  assert.deepEqual(missing.map(formatMessage), ['Error [IST0101] (VirtualService default/root) Referenced delegate VirtualService not found: "default/api" (no such VirtualService)']);
  assert.equal(missing[0]!.path, 'spec.http[0].delegate');

  const withHosts = analyze(load(SERVICE + ROOT + DELEGATE.replace('spec:\n', 'spec:\n  hosts: [other.example]\n')));
  assert.ok(withHosts.some((m) => m.code === 'IST0101' && /"default\/api" \(it has hosts, so it is not a delegate\)/.test(m.message)), withHosts.map(formatMessage).join('\n'));

  const elsewhere = DELEGATE.replace('metadata: {name: api}', 'metadata: {name: api, namespace: team}');
  const privateDelegate = analyze(load(SERVICE + ROOT.replace('delegate: {name: api}', 'delegate: {name: api, namespace: team}') + elsewhere.replace('spec:\n', 'spec:\n  exportTo: ["."]\n')));
  assert.deepEqual(
    privateDelegate.filter((m) => m.message.includes('delegate')).map(formatMessage),
    ['Error [IST0101] (VirtualService default/root) Referenced delegate VirtualService not found: "team/api" (it is not exported to namespace "default")'],
  );
  const shared = analyze(load(SERVICE + ROOT.replace('delegate: {name: api}', 'delegate: {name: api, namespace: team}') + elsewhere));
  assert.deepEqual(shared.filter((m) => m.message.includes('delegate')), []);
});
