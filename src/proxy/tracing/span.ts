// Tracing: a finished span (what the exporters encode) and the OTLP/HTTP JSON and Zipkin v2 JSON encoders.

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentId?: string;
  name: string;
  kind: 'SERVER' | 'CLIENT';
  /** Epoch microseconds. */
  startUs: number;
  durationUs: number;
  tags: Record<string, string>;
  /** Zipkin: a server span sharing its id with the caller's client span. */
  shared: boolean;
  error: boolean;
}

/** OTLP/HTTP JSON (ExportTraceServiceRequest): ids as hex, times as decimal nanosecond strings, enums as integers. */
export function encodeOtlp(spans: readonly FinishedSpan[], serviceName: string): Buffer {
  const out = spans.map((s) => {
    const o: Record<string, unknown> = {
      traceId: s.traceId.padStart(32, '0'),
      spanId: s.spanId,
      name: s.name,
      kind: s.kind === 'SERVER' ? 2 : 3,
      startTimeUnixNano: `${s.startUs}000`,
      endTimeUnixNano: `${s.startUs + s.durationUs}000`,
      attributes: Object.entries(s.tags).map(([key, v]) => ({ key, value: { stringValue: v } })),
      status: s.error ? { code: 2 } : { code: 0 },
    };
    if (s.parentId !== undefined) o.parentSpanId = s.parentId;
    return o;
  });
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
          scopeSpans: [{ scope: { name: 'envoy' }, spans: out }],
        },
      ],
    }),
  );
}

/** Zipkin v2 JSON list of spans (POST /api/v2/spans). */
export function encodeZipkin(spans: readonly FinishedSpan[], serviceName: string): Buffer {
  const out = spans.map((s) => {
    const o: Record<string, unknown> = {
      traceId: s.traceId,
      id: s.spanId,
      name: s.name,
      kind: s.kind,
      timestamp: s.startUs,
      duration: Math.max(1, s.durationUs),
      localEndpoint: { serviceName },
      tags: s.tags,
    };
    if (s.parentId !== undefined) o.parentId = s.parentId;
    if (s.shared) o.shared = true;
    return o;
  });
  return Buffer.from(JSON.stringify(out));
}
