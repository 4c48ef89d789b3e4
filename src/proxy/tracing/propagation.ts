// Tracing: trace-context codecs on the request path — W3C traceparent/tracestate, B3 multi and single header.
// Every parser here reads untrusted headers: anything malformed yields undefined (a new trace), never a throw.
import type { HeaderMap } from '../router/types.js';

/** A parent (or our own) span context as it travels in headers. Ids are lower-case hex. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  parentId?: string;
  /** undefined = the sender left the decision to us. */
  sampled: boolean | undefined;
  /** W3C tracestate, passed through unchanged. */
  tracestate?: string;
}

const HEX = /^[0-9a-f]+$/;

function isHexId(s: string, len: number): boolean {
  return s.length === len && HEX.test(s) && !/^0+$/.test(s);
}

function single(h: HeaderMap, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : undefined; // repeated headers are ambiguous: ignored
}

/** W3C Trace Context `traceparent` (and `tracestate`). */
export function parseTraceparent(h: HeaderMap): SpanContext | undefined {
  const v = single(h, 'traceparent');
  if (v === undefined || v.length < 55 || v.length > 512) return undefined;
  const tp = v.trim();
  const version = tp.slice(0, 2);
  if (!/^[0-9a-f]{2}$/.test(version) || version === 'ff') return undefined;
  // version 00 is exactly 55 characters; later versions may append fields after a '-'
  if (tp.length !== 55 && (version === '00' || tp[55] !== '-')) return undefined;
  if (tp[2] !== '-' || tp[35] !== '-' || tp[52] !== '-') return undefined;
  const traceId = tp.slice(3, 35);
  const spanId = tp.slice(36, 52);
  const flags = tp.slice(53, 55);
  if (!isHexId(traceId, 32) || !isHexId(spanId, 16) || !/^[0-9a-f]{2}$/.test(flags)) return undefined;
  const out: SpanContext = { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
  const ts = h.tracestate;
  const state = Array.isArray(ts) ? ts.join(',') : ts;
  if (state !== undefined && state.length > 0 && state.length <= 512 && !/[\r\n\0]/.test(state)) out.tracestate = state;
  return out;
}

export function injectTraceparent(h: HeaderMap, c: SpanContext): void {
  h.traceparent = `00-${c.traceId}-${c.spanId}-${c.sampled === true ? '01' : '00'}`;
  if (c.tracestate !== undefined) h.tracestate = c.tracestate;
  else if (h.tracestate !== undefined) delete h.tracestate;
}

function b3Sampled(v: string | undefined): boolean | undefined | null {
  if (v === undefined) return undefined;
  switch (v) {
    case '1':
    case 'true':
    case 'd': // debug implies sampled
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return null; // malformed
  }
}

function b3TraceId(v: string): string | undefined {
  const t = v.toLowerCase();
  return isHexId(t, 32) || isHexId(t, 16) ? t : undefined;
}

/** B3 multi-header (x-b3-*), or the single `b3` header when no x-b3-traceid is present. */
export function parseB3(h: HeaderMap): SpanContext | undefined {
  const tid = single(h, 'x-b3-traceid');
  if (tid !== undefined) {
    const traceId = b3TraceId(tid);
    const spanId = single(h, 'x-b3-spanid')?.toLowerCase();
    if (traceId === undefined || spanId === undefined || !isHexId(spanId, 16)) return undefined;
    const flags = single(h, 'x-b3-flags');
    let sampled = flags === '1' ? true : b3Sampled(single(h, 'x-b3-sampled'));
    if (sampled === null) sampled = undefined;
    const out: SpanContext = { traceId, spanId, sampled };
    const parent = single(h, 'x-b3-parentspanid')?.toLowerCase();
    if (parent !== undefined) {
      if (!isHexId(parent, 16)) return undefined;
      out.parentId = parent;
    }
    return out;
  }
  const b3 = single(h, 'b3');
  if (b3 === undefined || b3.length > 128) return undefined;
  const parts = b3.split('-');
  if (parts.length < 2 || parts.length > 4) return undefined; // a lone sampling flag carries no parent
  const traceId = b3TraceId(parts[0]);
  const spanId = parts[1].toLowerCase();
  if (traceId === undefined || !isHexId(spanId, 16)) return undefined;
  const sampled = b3Sampled(parts[2]);
  if (sampled === null) return undefined;
  const out: SpanContext = { traceId, spanId, sampled };
  if (parts.length === 4) {
    const parent = parts[3].toLowerCase();
    if (!isHexId(parent, 16)) return undefined;
    out.parentId = parent;
  }
  return out;
}

/** The sampling flag of a lone `b3: 0|1|d` (or x-b3-sampled without ids): a decision without a parent. */
export function b3SamplingOnly(h: HeaderMap): boolean | undefined {
  const b3 = single(h, 'b3');
  if (b3 !== undefined && !b3.includes('-')) return b3Sampled(b3) ?? undefined;
  if (single(h, 'x-b3-traceid') === undefined) return b3Sampled(single(h, 'x-b3-sampled')) ?? undefined;
  return undefined;
}

/** Envoy's Zipkin tracer emits B3 multi-header; a stale single `b3` would contradict it. */
export function injectB3(h: HeaderMap, c: SpanContext): void {
  h['x-b3-traceid'] = c.traceId;
  h['x-b3-spanid'] = c.spanId;
  if (c.parentId !== undefined) h['x-b3-parentspanid'] = c.parentId;
  else if (h['x-b3-parentspanid'] !== undefined) delete h['x-b3-parentspanid'];
  h['x-b3-sampled'] = c.sampled === true ? '1' : '0';
  // deleting only what is there keeps the header object's shape (and its fast property access)
  if (h['x-b3-flags'] !== undefined) delete h['x-b3-flags'];
  if (h.b3 !== undefined) delete h.b3;
}
