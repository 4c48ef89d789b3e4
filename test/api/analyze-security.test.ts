// API: analyze on AuthorizationPolicies — why a CUSTOM policy fails closed (TRL0005), selectors without workloads (IST0127),
// DENY rules that only name HTTP attributes (TRL0006), and two CUSTOM providers on one workload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, formatMessage } from '../../src/api/analyze.js';
import { parseMeshConfig } from '../../src/api/mesh-config.js';
import { parseResources } from '../../src/api/parse.js';

const yaml = `
apiVersion: v1
kind: Service
metadata: {name: ext-authz, namespace: foo}
spec: {ports: [{name: http, port: 8000}], selector: {app: ext-authz}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: good, namespace: foo}
spec: {selector: {matchLabels: {app: httpbin}}, action: CUSTOM, provider: {name: ext-http}, rules: [{to: [{operation: {paths: ["/headers"]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: missing, namespace: foo}
spec: {selector: {matchLabels: {app: httpbin}}, action: CUSTOM, provider: {name: nope}, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-get, namespace: foo}
spec: {action: DENY, rules: [{to: [{operation: {methods: ["GET"]}}]}, {to: [{operation: {methods: ["GET"], ports: ["8000"]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: nobody, namespace: foo}
spec: {selector: {matchLabels: {app: ghost}}}
`;

test('CUSTOM providers are checked against the mesh config; HTTP-only DENY rules and empty selectors are flagged', () => {
  const rs = parseResources(yaml);
  assert.ok(rs.ok);
  if (!rs.ok) return;
  const mesh = parseMeshConfig('extensionProviders: [{name: ext-http, envoyExtAuthzHttp: {service: ext-authz.foo.svc.cluster.local, port: 8000}}]', 'm.yaml');
  assert.ok(mesh.ok);
  const msgs = analyze(rs.value, [{ namespace: 'foo', labels: { app: 'httpbin' }, name: 'httpbin-1' }], mesh.ok ? mesh.value : undefined).map(formatMessage);
  assert.deepEqual(msgs, [
    'Error [TRL0005] (AuthorizationPolicy foo/good) cannot be translated for workload foo/httpbin-1: only one CUSTOM provider may apply to a workload, found ext-http, nope; it denies every request',
    'Error [TRL0005] (AuthorizationPolicy foo/missing) cannot be translated (provider "nope" is not defined in the mesh config\'s extensionProviders): the workloads it selects deny every request',
    'Error [TRL0005] (AuthorizationPolicy foo/missing) cannot be translated for workload foo/httpbin-1: only one CUSTOM provider may apply to a workload, found ext-http, nope; it denies every request',
    'Warning [TRL0006] (AuthorizationPolicy foo/deny-get) configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
    'Warning [IST0127] (AuthorizationPolicy foo/nobody) No matching workloads for this resource with the following labels: app=ghost',
  ]);
  // without a mesh config (offline, no --mesh-config) providers cannot be judged
  assert.ok(!analyze(rs.value).some((m) => m.message.includes('not defined in the mesh config')));
});
