// E2E: one request through three services (A -> B -> C), each behind its own `trellis proxy` sidecar
// (inbound + outbound listeners), joins into ONE trace at an OTLP/HTTP receiver and at a Zipkin v2 receiver.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { hcmListener, request, startProxy, startUpstream, staticCluster, waitFor, type RunningProxy, type Upstream } from './harness.js';

interface Received {
  traceId: string;
  id: string;
  parentId?: string;
  kind: string;
  service: string;
  tags: Record<string, string>;
}

/** A tiny collector: OTLP/HTTP JSON on /v1/traces and Zipkin v2 JSON on /api/v2/spans. */
async function startCollector(): Promise<{ port: number; spans: Received[]; close(): Promise<void> }> {
  const spans: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as unknown;
      if (req.url === '/v1/traces') {
        const rs = (body as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[] }).resourceSpans;
        for (const r of rs) {
          const service = r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of r.scopeSpans)
            for (const s of ss.spans) {
              const tags: Record<string, string> = {};
              for (const a of s.attributes as { key: string; value: { stringValue: string } }[]) tags[a.key] = a.value.stringValue;
              spans.push({ traceId: s.traceId as string, id: s.spanId as string, parentId: s.parentSpanId as string | undefined, kind: s.kind === 2 ? 'SERVER' : 'CLIENT', service, tags });
            }
        }
      } else if (req.url === '/api/v2/spans') {
        for (const s of body as Record<string, unknown>[]) {
          spans.push({
            traceId: s.traceId as string,
            id: s.id as string,
            parentId: s.parentId as string | undefined,
            kind: s.kind as string,
            service: (s.localEndpoint as { serviceName: string }).serviceName,
            tags: s.tags as Record<string, string>,
          });
        }
      }
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    spans,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const FORWARDED = ['traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'b3', 'x-request-id'];

/** An instrumented app: copies the trace headers onto its own call to `next` (when it has one). */
function app(name: string, next: () => number | undefined, propagate: () => boolean): Promise<Upstream> {
  return startUpstream(name, (req, res) => {
    const port = next();
    if (port === undefined) {
      res.end(name);
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    if (propagate()) for (const h of FORWARDED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    request(port, { path: '/next', host: 'next', headers }).then(
      (r) => res.end(`${name}>${r.body}`),
      () => res.writeHead(502).end(),
    );
  });
}

type Provider = 'otel' | 'zipkin';

function providerConfig(kind: Provider): object {
  return kind === 'otel'
    ? {
        name: 'envoy.tracers.opentelemetry',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
          http_service: { http_uri: { uri: 'http://collector/v1/traces', cluster: 'collector', timeout: '2s' } },
          service_name: 'SERVICE',
        },
      }
    : {
        name: 'envoy.tracers.zipkin',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
          collector_cluster: 'collector',
          collector_endpoint: '/api/v2/spans',
          collector_endpoint_version: 'HTTP_JSON',
        },
      };
}

/** A sidecar: inbound listener to the local app, optional outbound listener to the next sidecar's inbound port. */
function sidecar(kind: Provider, service: string, collector: number, appPort: number, nextInbound: number | undefined): object {
  const provider = providerConfig(kind);
  const withName = JSON.parse(JSON.stringify(provider).replace('SERVICE', service)) as object;
  // otel names its provider on each HCM; zipkin takes the bootstrap's tracing.http, as Envoy's zipkin example does
  const tracing = kind === 'otel' ? { provider: withName } : {};
  const route = (cluster: string): object => ({ virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] });
  const listeners = [hcmListener('inbound', { routeConfig: route('app'), hcm: { tracing }, listener: { traffic_direction: 'INBOUND' } })];
  const clusters = [staticCluster('app', [appPort]), staticCluster('collector', [collector])];
  if (nextInbound !== undefined) {
    listeners.push(hcmListener('outbound', { routeConfig: route('next'), hcm: { tracing }, listener: { traffic_direction: 'OUTBOUND' } }));
    clusters.push(staticCluster('next', [nextInbound]));
  }
  const prefix = kind === 'otel' ? 'tracing.opentelemetry' : 'tracing.zipkin';
  return {
    node: { id: `${service}-sidecar`, cluster: service, metadata: { NAMESPACE: 'default', MESH_ID: 'mesh1', LABELS: { app: service, version: 'v1' } } },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    ...(kind === 'zipkin' ? { tracing: { http: provider } } : {}),
    layered_runtime: { layers: [{ name: 'static', static_layer: { [`${prefix}.flush_interval_ms`]: 50, [`${prefix}.min_flush_spans`]: 100 } }] },
    static_resources: { listeners, clusters },
  };
}

async function threeServices(kind: Provider, propagate: () => boolean) {
  const collector = await startCollector();
  const ports: { aOut?: number; bOut?: number } = {};
  const c = await app('c', () => undefined, propagate);
  const b = await app('b', () => ports.bOut, propagate);
  const a = await app('a', () => ports.aOut, propagate);
  const proxies: RunningProxy[] = [];
  const pc = await startProxy(sidecar(kind, 'c', collector.port, c.port, undefined));
  proxies.push(pc);
  const pb = await startProxy(sidecar(kind, 'b', collector.port, b.port, pc.listeners.get('inbound')));
  proxies.push(pb);
  ports.bOut = pb.listeners.get('outbound');
  const pa = await startProxy(sidecar(kind, 'a', collector.port, a.port, pb.listeners.get('inbound')));
  proxies.push(pa);
  ports.aOut = pa.listeners.get('outbound');
  return {
    collector,
    entry: pa.listeners.get('inbound')!,
    proxies,
    async close() {
      await Promise.all(proxies.map((p) => p.stop()));
      await Promise.all([a.close(), b.close(), c.close(), collector.close()]);
    },
  };
}

/** Checks that the spans form one trace whose parent links chain client and server spans across a, b and c. */
function assertOneTrace(spans: Received[], kind: Provider): void {
  const traces = new Set(spans.map((s) => s.traceId));
  assert.equal(traces.size, 1, `one trace, got ${traces.size}: ${JSON.stringify(spans, null, 1)}`);
  assert.deepEqual(new Set(spans.map((s) => s.tags.node_id)), new Set(['a-sidecar', 'b-sidecar', 'c-sidecar']));
  const byKey = new Map(spans.map((s) => [`${s.service}/${s.kind}`, s]));
  const aIn = byKey.get('a/SERVER')!;
  const aOut = byKey.get('a/CLIENT')!;
  const bIn = byKey.get('b/SERVER')!;
  const bOut = byKey.get('b/CLIENT')!;
  const cIn = byKey.get('c/SERVER')!;
  for (const s of [aIn, aOut, bIn, bOut, cIn]) assert.ok(s !== undefined, `five spans: ${JSON.stringify(spans, null, 1)}`);
  assert.equal(aIn.parentId, undefined, 'the first server span is the root');
  assert.equal(aOut.parentId, aIn.id);
  if (kind === 'otel') {
    assert.equal(bIn.parentId, aOut.id);
    assert.equal(bOut.parentId, bIn.id);
    assert.equal(cIn.parentId, bOut.id);
  } else {
    // Zipkin's shared span context (Envoy's default): the server reports under its caller's client span id
    assert.equal(bIn.id, aOut.id);
    assert.equal(bIn.parentId, aIn.id);
    assert.equal(bOut.parentId, bIn.id);
    assert.equal(cIn.id, bOut.id);
  }
  assert.equal(cIn.tags['istio.canonical_service'], 'c');
  assert.equal(cIn.tags['istio.namespace'], 'default');
  assert.equal(cIn.tags['istio.mesh_id'], 'mesh1');
  assert.equal(aIn.tags['http.method'], 'GET');
  assert.equal(aIn.tags['http.status_code'], '200');
  assert.equal(aIn.tags.component, 'proxy');
  assert.equal(aOut.tags.upstream_cluster, 'next');
  assert.ok(aIn.tags['guid:x-request-id'].length === 36);
}

for (const kind of ['otel', 'zipkin'] as const) {
  describe(`tracing e2e (${kind})`, () => {
    let propagate = true;
    let mesh: Awaited<ReturnType<typeof threeServices>> | undefined;
    after(async () => mesh?.close());

    it('a request through three sidecars makes one trace', async () => {
      mesh = await threeServices(kind, () => propagate);
      const r = await request(mesh.entry, { path: '/start', host: 'a' });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'a>b>c');
      const spans = (await waitFor(() => (mesh!.collector.spans.length >= 5 ? mesh!.collector.spans.slice() : undefined), 8000, 'five spans'))!;
      assertOneTrace(spans, kind);
    });

    it('apps that drop the trace headers break the trace (the check above is meaningful)', async () => {
      propagate = false;
      mesh!.collector.spans.length = 0;
      const r = await request(mesh!.entry, { path: '/start', host: 'a' });
      assert.equal(r.status, 200);
      const spans = (await waitFor(() => (mesh!.collector.spans.length >= 5 ? mesh!.collector.spans.slice() : undefined), 8000, 'five spans'))!;
      assert.ok(new Set(spans.map((s) => s.traceId)).size >= 3, 'each hop starts its own trace');
    });
  });
}
