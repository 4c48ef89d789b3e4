// Tests for the API analyze stage on L4: tcp/tls destinations and gateways (IST0101), Sidecar egress ports a connected sidecar holds (TRL0002), unroutable egress listeners (TRL0003).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, formatMessage, type Workload } from '../../src/api/analyze.js';
import { parseResources } from '../../src/api/parse.js';
import type { MeshResource } from '../../src/api/types.js';

function load(text: string): MeshResource[] {
  const r = parseResources(text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.value;
}

const SERVICES = `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: default}
spec: {ports: [{name: tcp, port: 9000}]}
`;

test('IST0101 for tcp and tls routes: unknown destination host and unknown gateway in a match', () => {
  const msgs = analyze(load(`${SERVICES}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  tcp:
  - match: [{gateways: [nope]}]
    route: [{destination: {host: echo}}]
  - route: [{destination: {host: ekko}}]`));
  assert.deepEqual(msgs.map(formatMessage), [
    'Error [IST0101] (VirtualService default/echo) Referenced gateway not found: "nope"',
    'Error [IST0101] (VirtualService default/echo) Referenced host not found: "ekko"',
  ]);
  assert.deepEqual(msgs.map((m) => m.path), ['spec.tcp[0].match[0].gateways[0]', 'spec.tcp[1].route[0].destination.host']);
});

const SIDECAR = `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: client, namespace: default}
spec:
  workloadSelector: {labels: {app: client}}
  egress:
  - port: {number: 9000, protocol: TCP}
    hosts: ["./echo.default.svc.cluster.local"]
  - port: {number: 9001, protocol: TCP}
    hosts: ["./*"]
  - port: {number: 9002, protocol: HTTP}
    hosts: ["./nothing.default.svc.cluster.local"]
  - hosts: ["./*"]
`;

test('TRL0003: a TCP egress listener importing several services, any egress listener importing none', () => {
  const msgs = analyze(load(SERVICES + SIDECAR));
  assert.deepEqual(msgs.map((m) => [m.code, m.path]), [
    ['TRL0003', 'spec.egress[1].hosts'],
    ['TRL0003', 'spec.egress[2].hosts'],
  ]);
  assert.match(msgs[0]!.message, /imports 2 services on that port \[echo\.default\.svc\.cluster\.local other\.default\.svc\.cluster\.local\]/);
});

test('TRL0002: an egress port that a connected sidecar the Sidecar applies to already holds', () => {
  const workloads: Workload[] = [
    { namespace: 'default', name: 'client-1', labels: { app: 'client' }, ports: { outbound: 9000, admin: 15000 } },
    { namespace: 'default', name: 'server-1', labels: { app: 'server' }, ports: { app: 9000 } },
  ];
  const msgs = analyze(load(SERVICES + SIDECAR), workloads).filter((m) => m.code === 'TRL0002');
  assert.deepEqual(msgs.map(formatMessage), [
    'Error [TRL0002] (Sidecar default/client) Port 9000 of this egress listener is the outbound port of the sidecar of default/client-1; that sidecar does not get the listener.',
  ]);
  assert.equal(msgs[0]!.path, 'spec.egress[0].port.number');
});
