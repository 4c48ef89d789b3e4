// xDS wire codec: decodes protobuf bytes straight into proto3-JSON-style objects (snake_case, enums by name, Any with '@type'), driven by the wire descriptor.
//
// The output is what proto-json.ts's toJson makes of a protobufjs decode (the control plane's codec), field for
// field and in the same order, so the proxy's config stage sees the same objects whichever decoded them;
// test/xds/wire/decode.test.ts checks that property against protobufjs.
import type { WireDescriptor, WireField, WireMessage } from './descriptor.js';
import { MAX_DEPTH, WIRE_BYTES, WIRE_END_GROUP, WIRE_VARINT, WireError, WireReader } from './reader.js';
import { defaultScalar, readScalar, scalarToJson, wireTypeOf, type RawScalar } from './scalars.js';
import { setKey } from '../../common/set-key.js';
import { wellKnownToJson, type WellKnownContext } from './well-known.js';

export type Json = Record<string, unknown>;

/** How google.protobuf.Any appears: `json` = `{'@type', ...fields}`; `raw` = `{type_url, value: bytes}` (left packed). */
export type AnyMode = 'json' | 'raw';

/**
 * Per field (by index): undefined (absent), a value, a list (repeated) or a Map (map fields). Message values are
 * already JSON; scalars and enums are raw until the message is finished.
 */
type Slots = unknown[];

type DecodeContext = WellKnownContext;

export function decodeMessage(descriptor: WireDescriptor, m: WireMessage, bytes: Uint8Array, anyMode: AnyMode = 'json'): unknown {
  return readMessage(contextFor(descriptor, anyMode), new WireReader(bytes), m, 0);
}

/** An Any's content is read in json mode; `depth` carries on, so Anys nested in Anys are bounded too. */
function contextFor(descriptor: WireDescriptor, anyMode: AnyMode): DecodeContext {
  let json: DecodeContext | undefined;
  const ctx: DecodeContext = {
    descriptor,
    anyMode,
    decodeInner: (inner, bytes, depth) => readMessage((json ??= anyMode === 'json' ? ctx : contextFor(descriptor, 'json')), new WireReader(bytes), inner, depth),
  };
  return ctx;
}

function readMessage(ctx: DecodeContext, r: WireReader, m: WireMessage, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new WireError(`${m.fullName}: messages nested deeper than ${MAX_DEPTH}`);
  const slots: Slots = new Array<unknown>(m.fields.length);
  while (r.pos < r.limit) {
    const tag = r.varint32();
    const wt = tag & 7;
    const f = m.byId.get(tag >>> 3);
    if (f === undefined) {
      if (wt === WIRE_END_GROUP) throw new WireError(`${m.fullName}: unexpected end-group tag`);
      r.skip(wt, depth);
    } else if (f.map) {
      readMapEntry(ctx, r, m, f, wt, slots, depth);
    } else if (f.repeated) {
      let list = slots[f.index] as unknown[] | undefined;
      if (list === undefined) slots[f.index] = list = [];
      if (wt === WIRE_BYTES && f.message === undefined && f.scalar !== 'string' && f.scalar !== 'bytes') {
        // packed numbers (accepted whether or not the field is declared packed, as protobuf requires)
        const end = r.delimited();
        const saved = r.limit;
        r.limit = end;
        const elemWt = f.enum !== undefined ? WIRE_VARINT : wireTypeOf(f.scalar!);
        while (r.pos < end) list.push(readValue(ctx, r, m, f, elemWt, depth));
        r.limit = saved;
      } else {
        list.push(readValue(ctx, r, m, f, wt, depth));
      }
    } else {
      slots[f.index] = readValue(ctx, r, m, f, wt, depth);
    }
  }
  return finish(ctx, m, slots, depth);
}

/** One value of field `f`: a finished sub-message, or an enum number / scalar as read. */
function readValue(ctx: DecodeContext, r: WireReader, m: WireMessage, f: WireField, wt: number, depth: number): unknown {
  if (f.message !== undefined) {
    expectWireType(m, f, wt, WIRE_BYTES);
    return readSubMessage(ctx, r, f.message, depth);
  }
  if (f.enum !== undefined) {
    expectWireType(m, f, wt, WIRE_VARINT);
    return r.varint32() | 0;
  }
  expectWireType(m, f, wt, wireTypeOf(f.scalar!));
  return readScalar(r, f.scalar!);
}

function readSubMessage(ctx: DecodeContext, r: WireReader, sub: WireMessage, depth: number): unknown {
  const end = r.delimited();
  const saved = r.limit;
  r.limit = end;
  const v = readMessage(ctx, r, sub, depth + 1);
  r.limit = saved;
  r.pos = end;
  return v;
}

function expectWireType(m: WireMessage, f: WireField, wt: number, want: number): void {
  if (wt !== want) throw new WireError(`${m.fullName}.${f.name}: wire type ${wt}, expected ${want}`);
}

/** A map entry is a message {1: key, 2: value}; a missing key or value is its type's default. */
function readMapEntry(ctx: DecodeContext, r: WireReader, m: WireMessage, f: WireField, wt: number, slots: Slots, depth: number): void {
  expectWireType(m, f, wt, WIRE_BYTES);
  const end = r.delimited();
  const saved = r.limit;
  r.limit = end;
  const keyType = f.keyType!;
  let key: RawScalar = defaultScalar(keyType);
  let value: unknown;
  while (r.pos < end) {
    const tag = r.varint32();
    const id = tag >>> 3;
    if (id === 1) {
      expectWireType(m, f, tag & 7, wireTypeOf(keyType));
      key = readScalar(r, keyType);
    } else if (id === 2) {
      value = readValue(ctx, r, m, f, tag & 7, depth);
    } else {
      r.skip(tag & 7, depth);
    }
  }
  r.limit = saved;
  if (value === undefined) value = f.message !== undefined ? finish(ctx, f.message, [], depth) : f.enum !== undefined ? 0 : defaultScalar(f.scalar!);
  let map = slots[f.index] as Map<string, unknown> | undefined;
  if (map === undefined) slots[f.index] = map = new Map();
  map.set(String(key), value);
}

/** A field's value as JSON: sub-messages are JSON already; enums by name (the number if unnamed); scalars per proto3 JSON. */
function fieldValueToJson(f: WireField, v: unknown): unknown {
  if (f.message !== undefined) return v;
  if (f.enum !== undefined) return f.enum.names.get(v as number) ?? v;
  return scalarToJson(f.scalar!, v as RawScalar);
}

function finish(ctx: DecodeContext, m: WireMessage, slots: Slots, depth: number): unknown {
  const wk = wellKnownToJson(ctx, m, slots, depth);
  if (wk !== undefined) return wk.json;
  const out: Json = {};
  for (const f of m.fields) {
    const v = slots[f.index];
    if (v === undefined) continue;
    if (f.map) {
      const map = v as Map<string, unknown>;
      if (map.size === 0) continue;
      const o: Json = {};
      for (const k of [...map.keys()].sort()) setKey(o, k, fieldValueToJson(f, map.get(k)));
      out[f.name] = o;
    } else if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[f.name] = list.map((item) => fieldValueToJson(f, item));
    } else {
      out[f.name] = fieldValueToJson(f, v);
    }
  }
  return out;
}
