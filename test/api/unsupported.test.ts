// API: fields Trellis cannot honour yet are named at apply time instead of being dropped by translation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources } from '../../src/api/load.js';
import { unsupportedFields } from '../../src/api/unsupported.js';

const yaml = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web]
  http:
  - route: [{ destination: { host: web } }]
    corsPolicy: { allowOrigins: [{ exact: "https://a.example" }] } # translated: not named
  tcp:
  - route: [{ destination: { host: web, port: { number: 5000 } } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: default }
spec:
  host: web
  trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }
  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy: { tls: { mode: DISABLE } }
`;

test('tcp routes and requested upstream TLS are named with their paths; DISABLE is fine', () => {
  const r = loadResources(yaml);
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.errors));
  if (!r.ok) return;
  const found = r.value.flatMap(unsupportedFields).map((e) => e.path);
  assert.deepEqual(found, [
    'VirtualService default/web: spec.tcp',
    'DestinationRule default/web: spec.trafficPolicy.tls',
  ]);
  assert.ok(r.value.flatMap(unsupportedFields).every((e) => / is not supported by trellis yet \(/.test(e.message)));
});
