// Tests for the API parse stage: multi-document YAML/JSON/List input, apiVersion normalization, envelope errors with document and line.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments, parseResources } from '../../src/api/parse.js';
import { loadResources } from '../../src/api/load.js';
import { ORIGINAL_API_VERSION_ANNOTATION, resourceKey, parseResourceKey, type Deployment } from '../../src/api/types.js';
import type { ApiError } from '../../src/api/errors.js';
import { ALL, WORKLOADS } from './bookinfo.js';

test('bookinfo multi-document YAML parses, namespaces default, versions normalized', () => {
  const r = parseResources(ALL, 'bookinfo.yaml');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const keys = r.value.map(resourceKey);
  assert.ok(keys.includes('Service/default/reviews'));
  assert.ok(keys.includes('DestinationRule/default/reviews'));
  assert.ok(keys.includes('Sidecar/bookinfo/default'));
  const dr = r.value.find((x) => x.kind === 'DestinationRule' && x.metadata.name === 'reviews')!;
  assert.equal(dr.apiVersion, 'networking.istio.io/v1');
  assert.equal(dr.metadata.annotations?.[ORIGINAL_API_VERSION_ANNOTATION], 'networking.istio.io/v1alpha3');
  const vs = r.value.find((x) => x.kind === 'VirtualService')!;
  assert.equal(vs.metadata.annotations, undefined, 'v1 input gets no annotation');
  const svc = r.value.find((x) => x.kind === 'Service')!;
  assert.equal(svc.apiVersion, 'v1');
});

test('JSON documents, JSON arrays and kind: List are accepted', () => {
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'x' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'a' }, spec: { host: 'a' } },
  ] });
  const r = parseResources(json);
  assert.ok(r.ok);
  assert.deepEqual(r.value.map(resourceKey), ['Service/x/a', 'DestinationRule/default/a']);
  const arr = parseResources(JSON.stringify([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' }, spec: {} }]));
  assert.ok(arr.ok);
  assert.equal(arr.value.length, 1);
});

test('empty documents are skipped', () => {
  const r = parseResources('---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n');
  assert.ok(r.ok);
  assert.equal(r.value.length, 1);
});

test('a kind that is neither served nor Istio\'s is unknown', () => {
  const r = parseResources('apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec: {}');
  assert.ok(!r.ok);
  assert.match(r.errors.map((e) => e.message).join('\n'), /unknown kind "Widget" \(accepted: Service, VirtualService/);
});

test('every envelope error names document, field and line; unknown kinds and versions by name', () => {
  const text = [
    'apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata:\n  name: reviews\nspec: {}',
    'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata:\n  name: x',
    'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: Bad_NS\nspecs: {}',
    'a: [1, 2',
  ].join('\n---\n');
  const r = parseResources(text, 'in.yaml');
  assert.ok(!r.ok);
  const errs = r.errors as ApiError[];
  const find = (s: string): ApiError | undefined => errs.find((e) => `${e.path}: ${e.message}`.includes(s));
  const v = find('unsupported apiVersion "networking.istio.io/v2" for kind VirtualService');
  assert.ok(v, errs.map((e) => e.path + ': ' + e.message).join('\n'));
  assert.equal(v.resource, 'VirtualService default/reviews');
  assert.equal(v.field, 'apiVersion');
  assert.equal(v.line, 1);
  assert.equal(v.document, 1);
  assert.ok(find('document 2: kind: EnvoyFilter (networking.istio.io) is an Istio kind trellis does not serve yet'));
  assert.ok(find('metadata.name: required field is missing'));
  assert.ok(find('"Bad_NS" is not a valid namespace'));
  assert.ok(find('unknown field "specs"'));
  const y = errs.find((e) => e.document === 4);
  assert.ok(y && y.reason.startsWith('invalid YAML'));
  assert.ok(y.message.includes('in.yaml:'), y.message);
});

test('duplicate resources in one input are rejected', () => {
  const doc = 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}';
  const r = parseResources(`${doc}\n---\n${doc}`);
  assert.ok(!r.ok);
  assert.match(r.errors[0]!.message, /duplicate resource: also defined in document 1/);
});

test('resource keys round-trip', () => {
  assert.deepEqual(parseResourceKey('VirtualService/default/reviews'), { kind: 'VirtualService', namespace: 'default', name: 'reviews' });
  assert.equal(parseResourceKey('Nope/a/b'), undefined);
});

describe('Kubernetes workload kinds in Istio samples', () => {
  it('keeps ServiceAccount, Namespace and Deployment (the template as given), skips a ConfigMap with its name', () => {
    const { resources, errors, skipped } = parseDocuments(WORKLOADS);
    assert.deepEqual(errors, []);
    assert.deepEqual(resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`), [
      'ServiceAccount/default/bookinfo-reviews', 'Deployment/default/reviews-v2', 'Namespace/default/bookinfo',
    ]);
    assert.deepEqual(skipped, [{ kind: 'ConfigMap', name: 'reviews-settings', namespace: 'default' }]);
    const d = resources[1] as Deployment;
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.spec.template.spec?.serviceAccountName, 'bookinfo-reviews');
    assert.deepEqual(loadResources(WORKLOADS).ok, true, 'the open schema takes the fields trellis does not read');
  });

  it("refuses what Kubernetes refuses: a selector that misses the template's labels, a bad port; an unknown group is still an error", () => {
    const bad = WORKLOADS.replace('matchLabels: { app: reviews, version: v2 }', 'matchLabels: { app: reviews, version: v3 }').replace('containerPort: 9080', 'containerPort: 99999');
    const r = loadResources(bad);
    assert.ok(!r.ok);
    const msgs = (r.errors as ApiError[]).map((e) => `${e.resource}: ${e.field}: ${e.reason}`);
    assert.ok(msgs.some((m) => m.includes('Deployment default/reviews-v2: spec.selector.matchLabels: selector version=v3 does not match')), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.includes('spec.template.spec.containers[0].ports[0].containerPort: must be at most 65535')), msgs.join('\n'));
    const typo = parseDocuments('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
    assert.equal(typo.skipped.length, 0);
    assert.match(typo.errors[0]?.message ?? '', /unknown kind "Widget"/);
  });
});
