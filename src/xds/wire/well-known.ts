// xDS wire codec: proto3 JSON of the well-known types (Any, Duration, Timestamp, wrappers, Struct/Value/ListValue) from decoded fields.
//
// The forms match proto-json.ts's toJson: Duration stays {seconds, nanos}; a wrapper is its bare value; Struct is a
// plain object with sorted keys; Any is {'@type', ...fields}, or {'@type', '@value': base64} for a type the
// descriptor lacks (so it re-encodes byte for byte), or left packed in 'raw' mode.
import type { WireDescriptor, WireMessage } from './descriptor.js';
import { defaultScalar, longToJson, scalarToJson, type RawScalar } from './scalars.js';
import { setKey } from '../../common/set-key.js';

const PB = 'google.protobuf.';
const WRAPPERS: ReadonlySet<string> = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => PB + n),
);
/** Types whose JSON is not an object of fields: inside an Any they go under "value". */
const SPECIAL: ReadonlySet<string> = new Set([...WRAPPERS, ...['Duration', 'Timestamp', 'Struct', 'Value', 'ListValue', 'FieldMask'].map((n) => PB + n)]);

export interface WellKnownContext {
  descriptor: WireDescriptor;
  anyMode: 'json' | 'raw';
  /** Decodes an Any's content (json mode) at nesting `depth`. */
  decodeInner(inner: WireMessage, bytes: Uint8Array, depth: number): unknown;
}

/** The JSON of a well-known type from its decoded fields; undefined for any other message. */
export function wellKnownToJson(ctx: WellKnownContext, m: WireMessage, slots: unknown[], depth: number): { json: unknown } | undefined {
  const name = m.fullName;
  if (!name.startsWith(PB)) return undefined;
  const slot = (id: number): unknown => {
    const f = m.byId.get(id);
    return f === undefined ? undefined : slots[f.index];
  };
  if (name === `${PB}Any`) return { json: anyToJson(ctx, slot(1), slot(2), depth) };
  if (WRAPPERS.has(name)) {
    const t = m.byId.get(1)!.scalar!;
    return { json: scalarToJson(t, (slot(1) as RawScalar | undefined) ?? defaultScalar(t)) };
  }
  if (name === `${PB}Struct`) return { json: structToJson(slot(1) as Map<string, unknown> | undefined) };
  if (name === `${PB}Value`) return { json: valueToJson(slots, m) };
  if (name === `${PB}ListValue`) return { json: (slot(1) as unknown[] | undefined) ?? [] };
  if (name === `${PB}Timestamp`) {
    const ms = Number(longToJson((slot(1) as RawScalar | undefined) ?? 0)) * 1000 + Math.floor(Number(slot(2) ?? 0) / 1e6);
    return { json: new Date(ms).toISOString() };
  }
  if (name === `${PB}Duration`) return { json: { seconds: Number(longToJson((slot(1) as RawScalar | undefined) ?? 0)), nanos: Number(slot(2) ?? 0) } };
  return undefined;
}

/** Struct values are finished Value JSON already; keys sorted. */
function structToJson(fields: Map<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined) return out;
  for (const k of [...fields.keys()].sort()) setKey(out, k, fields.get(k));
  return out;
}

/** The set kind of a Value, in protobufjs' order of preference should several be set; none (or null_value) = null. */
function valueToJson(slots: unknown[], m: WireMessage): unknown {
  for (const id of [2, 3, 4, 5, 6]) {
    const f = m.byId.get(id);
    const v = f === undefined ? undefined : slots[f.index];
    if (v !== undefined) return v;
  }
  return null;
}

function anyToJson(ctx: WellKnownContext, typeUrl: unknown, value: unknown, depth: number): Record<string, unknown> {
  const url = typeof typeUrl === 'string' ? typeUrl : '';
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(0);
  if (ctx.anyMode === 'raw') return { type_url: url, value: bytes };
  const inner = ctx.descriptor.lookup(url.slice(url.lastIndexOf('/') + 1));
  if (inner === undefined) return { '@type': url, '@value': Buffer.from(bytes).toString('base64') };
  const body = ctx.decodeInner(inner, bytes, depth + 1);
  if (SPECIAL.has(inner.fullName)) return { '@type': url, value: body };
  return { '@type': url, ...(body as Record<string, unknown>) };
}
