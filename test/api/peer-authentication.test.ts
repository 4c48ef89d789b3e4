// API: PeerAuthentication (security.istio.io v1 and v1beta1) — accepted as Istio writes it (the Mutual TLS Migration
// task's YAML), stored as v1, validated as Istio's webhook does; CLI names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitResources } from '../../src/api/admission.js';
import { loadResources } from '../../src/api/load.js';
import { ORIGINAL_API_VERSION_ANNOTATION } from '../../src/api/types.js';
import { groupOf, resolveKind } from '../../src/cli/kinds.js';

// Istio's "Mutual TLS Migration" task, as written there
const MIGRATION = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "foo"
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: STRICT
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: "httpbin"
  namespace: "bar"
spec:
  selector:
    matchLabels:
      app: httpbin
  mtls:
    mode: STRICT
  portLevelMtls:
    8080:
      mode: DISABLE
`;

test('the migration task YAML is admitted as written; v1beta1 is stored as v1 with the original noted', () => {
  const r = admitResources(MIGRATION);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  assert.deepEqual(r.value.map((x) => x.apiVersion), ['security.istio.io/v1', 'security.istio.io/v1', 'security.istio.io/v1']);
  assert.equal(r.value[2]!.metadata.annotations?.[ORIGINAL_API_VERSION_ANNOTATION], 'security.istio.io/v1beta1');
  assert.equal(r.value[0]!.metadata.annotations, undefined);
});

test("refused as Istio refuses: the wrong group, unknown modes and fields, portLevelMtls without a selector, ports that aren't", () => {
  const r = loadResources(`apiVersion: networking.istio.io/v1
kind: PeerAuthentication
metadata: {name: a}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: b}
spec:
  mtls: {mode: STRICTER}
  portLevelMtls: {8080: {mode: DISABLE}, http: {mode: STRICT}, 70000: {mode: STRICT}}
  selectors: {}`);
  assert.ok(!r.ok);
  const text = r.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
  assert.match(text, /unsupported apiVersion "networking.istio.io\/v1" for kind PeerAuthentication \(accepted: security.istio.io\/v1, security.istio.io\/v1beta1\)/);
  assert.match(text, /PeerAuthentication default\/b: spec.mtls.mode: /);
  assert.match(text, /spec.selectors: /);
  assert.match(text, /spec.portLevelMtls: portLevelMtls requires a workload selector/);
  assert.match(text, /spec.portLevelMtls.http: port must be a number in 1..65535, got "http"/);
  assert.match(text, /spec.portLevelMtls\["70000"\]: port must be a number/);
});

test('CLI: pa, peerauthentications and peerauthentication.security.istio.io name the kind', () => {
  for (const n of ['pa', 'PeerAuthentication', 'peerauthentications', 'peerauthentication.security.istio.io']) assert.equal(resolveKind(n), 'PeerAuthentication');
  assert.equal(groupOf('PeerAuthentication'), 'security.istio.io');
  assert.equal(groupOf('Sidecar'), 'networking.istio.io');
});
