// E2E (issue #9): a trace through three services (a -> b -> c), each with a `trellis proxy --control-plane` sidecar,
// configured by a real `trellis control` from the mesh config's opentelemetry provider and a Telemetry (100 %
// sampling), arrives at an OTLP/HTTP receiver (a ServiceEntry) as ONE trace with chained client/server spans.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { request, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
  service: string;
  attributes: { key: string; value: { stringValue: string } }[];
}

const service = (name: string): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 9080}]
---
`;

const FORWARDED = ['traceparent', 'tracestate', 'x-request-id'];

describe('mesh tracing: one trace across three sidecars (OTLP/HTTP)', () => {
  let control: Control;
  let dir: string;
  let collector: http.Server;
  const spans: OtlpSpan[] = [];
  const apps: Upstream[] = [];
  const sidecars: Sidecar[] = [];
  const outbound: Record<string, number> = {};

  before(async () => {
    collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
          for (const r of body.resourceSpans) {
            const svc = r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
            for (const ss of r.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service: svc });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const collectorPort = (collector.address() as { port: number }).port;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-mesh-tracing-'));
    const meshFile = path.join(dir, 'mesh.yaml');
    fs.writeFileSync(
      meshFile,
      `rootNamespace: istio-system
extensionProviders:
- name: otel
  opentelemetry:
    service: otel.observability.svc.cluster.local
    port: 4318
    http: {path: /v1/traces, timeout: 2s}
`,
    );
    control = await startControl({ extraArgs: ['--mesh-config', meshFile] });
    const yaml = `${service('a')}${service('b')}${service('c')}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: otel, namespace: observability}
spec:
  hosts: [otel.observability.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 4318, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${collectorPort}}}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - providers: [{name: otel}]
    randomSamplingPercentage: 100
`;
    const applied = await applyYaml(control, yaml);
    assert.equal(applied.code, 0, applied.stderr);
    // each app forwards the trace headers on its call to the next service, through its own sidecar
    const next: Record<string, string | undefined> = { a: 'b', b: 'c', c: undefined };
    for (const name of ['a', 'b', 'c']) {
      apps.push(
        await startUpstream(name, (req, res) => {
          const to = next[name];
          if (to === undefined) return void res.end(name);
          const headers: http.OutgoingHttpHeaders = {};
          for (const h of FORWARDED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
          request(outbound[name]!, { path: '/', host: `${to}.default.svc.cluster.local:9080`, headers }).then(
            (r) => res.writeHead(r.status).end(`${name}>${r.body}`),
            () => res.writeHead(502).end(),
          );
        }),
      );
    }
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const s = await startSidecar(control, { service: name, labels: `app=${name},version=v1`, servicePort: 9080, appPort: apps[i]!.port }).catch((e: Error) => {
        throw new Error(`${e.message}\ncontrol:\n${control.out()}`);
      });
      sidecars.push(s);
      outbound[name] = s.outboundPort;
    }
  });

  after(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
    await control?.stop();
    await Promise.all(apps.map((a) => a.close()));
    await new Promise<void>((r) => collector?.close(() => r()));
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a -> b -> c through the sidecars makes one trace with chained parents', async () => {
    // the first calls may race the push of every cluster: retry until the whole chain answers
    const r = await waitFor(async () => {
      const x = await request(sidecars[0]!.inboundPort!, { path: '/', host: 'a.default.svc.cluster.local:9080' });
      return x.status === 200 ? x : undefined;
    }, 15000, 'a>b>c to answer');
    assert.equal(r!.body, 'a>b>c');
    // spans of earlier attempts (before every cluster arrived) may be there too: look for the full trace
    const all = await waitFor(() => {
      const traces = new Map<string, OtlpSpan[]>();
      for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
      return [...traces.values()].find((t) => t.length >= 5);
    }, 15000, 'a trace of five spans (exported on the 5 s flush interval)');
    const byId = new Map(all!.map((s) => [s.spanId, s]));
    const kinds = all!.map((s) => `${s.service}/${s.kind === 2 ? 'SERVER' : 'CLIENT'}`).sort();
    assert.deepEqual(kinds, ['a.default/CLIENT', 'a.default/SERVER', 'b.default/CLIENT', 'b.default/SERVER', 'c.default/SERVER']);
    const find = (k: string): OtlpSpan => all!.find((s) => `${s.service}/${s.kind === 2 ? 'SERVER' : 'CLIENT'}` === k)!;
    // parent links: a server <- a client <- b server <- b client <- c server
    assert.equal(find('a.default/CLIENT').parentSpanId, find('a.default/SERVER').spanId);
    assert.equal(find('b.default/SERVER').parentSpanId, find('a.default/CLIENT').spanId);
    assert.equal(find('b.default/CLIENT').parentSpanId, find('b.default/SERVER').spanId);
    assert.equal(find('c.default/SERVER').parentSpanId, find('b.default/CLIENT').spanId);
    assert.ok(byId.size === 5);
    const tags = Object.fromEntries(find('c.default/SERVER').attributes.map((a) => [a.key, a.value.stringValue]));
    assert.equal(tags['istio.canonical_service'], 'c');
    assert.equal(tags['istio.namespace'], 'default');
    assert.equal(tags['istio.canonical_revision'], 'v1');
    assert.equal(tags['http.status_code'], '200');
  });
});
