// xDS wire codec: encodes a proto3-JSON-style object (snake_case fields, enums by name or number) into protobuf bytes, driven by the wire descriptor.
//
// Written for the proxy's ADS requests, with proto-json.ts's fromJson rules and protobufjs' byte layout (fields in
// number order, map keys sorted, default scalars left out unless in a oneof), so both codecs give the same bytes;
// test/xds/wire/encode.test.ts checks that. An unknown field, enum name or wrong value type throws a WireError.
import type { Scalar } from './descriptor-json.js';
import type { WireField, WireMessage } from './descriptor.js';
import { MAX_DEPTH, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, WireError } from './reader.js';
import { wireTypeOf } from './scalars.js';
import { WireWriter } from './writer.js';

type Json = Record<string, unknown>;

export function encodeMessage(m: WireMessage, json: unknown): Uint8Array {
  const w = new WireWriter();
  writeMessage(w, m, json, '', 0);
  return w.finish();
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function fail(path: string, message: string): never {
  throw new WireError(`${path || '(root)'}: ${message}`);
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

// fields in number order, as protobuf writes them; computed once per message
const byNumber = new WeakMap<WireMessage, WireField[]>();
function fieldsByNumber(m: WireMessage): WireField[] {
  let fs = byNumber.get(m);
  if (fs === undefined) byNumber.set(m, (fs = [...m.fields].sort((a, b) => a.id - b.id)));
  return fs;
}

function writeMessage(w: WireWriter, m: WireMessage, json: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH}`);
  if (writeJsonStructure(w, m.fullName, json, path, depth)) return;
  const wk = wellKnownFromJson(m, json, path);
  if (wk !== undefined) json = wk;
  if (!isObj(json)) fail(path, `expected an object for ${m.fullName}, got ${describe(json)}`);
  for (const k of Object.keys(json)) {
    if (k === '@type') continue; // the Any wrapper consumed it
    if (!m.byName.has(k) && json[k] !== undefined && json[k] !== null) fail(join(path, k), `unknown field "${k}" in ${m.fullName}`);
  }
  for (const f of fieldsByNumber(m)) {
    const v = json[f.name];
    if (v === null || v === undefined) continue;
    const at = join(path, f.name);
    if (f.map) writeMap(w, f, v, at, depth);
    else if (f.repeated) writeRepeated(w, f, v, at, depth);
    else if (f.message !== undefined) writeSubMessage(w, f.id, f.message, v, at, depth);
    else {
      const c = f.enum !== undefined ? enumNumber(f, v, at) : scalarValue(f.scalar!, v, at);
      // canonical proto3 bytes leave default scalars out; a oneof member keeps it (its presence is the value)
      if (!f.oneof && isDefault(c)) continue;
      writeTagged(w, f, c);
    }
  }
}

/**
 * Map and Struct keys in the order the control plane's codec writes them: sorted, then as a JS object orders them
 * (integer-like keys first, ascending), so both codecs give the same bytes.
 */
function keyOrder(o: Json): string[] {
  const keys = Object.keys(o).sort();
  const isIndex = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
  const indexes = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return indexes.length === 0 ? keys : [...indexes, ...keys.filter((k) => !isIndex(k))];
}

function writeSubMessage(w: WireWriter, id: number, m: WireMessage, v: unknown, path: string, depth: number): void {
  const sub = new WireWriter();
  writeMessage(sub, m, v, path, depth + 1);
  w.tag(id, WIRE_BYTES);
  w.bytes(sub.finish());
}

function writeRepeated(w: WireWriter, f: WireField, v: unknown, path: string, depth: number): void {
  if (!Array.isArray(v)) fail(path, `expected a list, got ${describe(v)}`);
  if (v.length === 0) return;
  if (f.message !== undefined) {
    v.forEach((item: unknown, i) => writeSubMessage(w, f.id, f.message!, item, `${path}[${i}]`, depth));
    return;
  }
  const values = v.map((item: unknown, i) => (f.enum !== undefined ? enumNumber(f, item, `${path}[${i}]`) : scalarValue(f.scalar!, item, `${path}[${i}]`)));
  if (f.packed) {
    const inner = new WireWriter();
    for (const c of values) writeScalar(inner, f.enum !== undefined ? 'int32' : f.scalar!, c);
    w.tag(f.id, WIRE_BYTES);
    w.bytes(inner.finish());
  } else {
    for (const c of values) writeTagged(w, f, c);
  }
}

function writeMap(w: WireWriter, f: WireField, v: unknown, path: string, depth: number): void {
  if (!isObj(v)) fail(path, `expected a map, got ${describe(v)}`);
  const keyType = f.keyType!;
  for (const k of keyOrder(v)) {
    const item = v[k];
    if (item === null || item === undefined) continue;
    const at = `${path}[${JSON.stringify(k)}]`;
    const entry = new WireWriter();
    entry.tag(1, wireTypeOf(keyType));
    writeScalar(entry, keyType, scalarValue(keyType, keyType === 'string' ? k : keyType === 'bool' ? k === 'true' : Number(k), at));
    if (f.message !== undefined) {
      writeSubMessage(entry, 2, f.message, item, at, depth);
    } else {
      const t = f.enum !== undefined ? 'int32' : f.scalar!;
      entry.tag(2, wireTypeOf(t));
      writeScalar(entry, t, f.enum !== undefined ? enumNumber(f, item, at) : scalarValue(t, item, at));
    }
    w.tag(f.id, WIRE_BYTES);
    w.bytes(entry.finish());
  }
}

function writeTagged(w: WireWriter, f: WireField, c: ScalarValue): void {
  const t = f.enum !== undefined ? 'int32' : f.scalar!;
  w.tag(f.id, wireTypeOf(t));
  writeScalar(w, t, c);
}

function enumNumber(f: WireField, v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  const n = typeof v === 'string' ? f.enum!.values.get(v) : undefined;
  if (n === undefined) fail(path, `unknown ${f.enum!.fullName} value ${JSON.stringify(v)}; expected one of ${[...f.enum!.values.keys()].join(', ')}`);
  return n;
}

/** A scalar ready to write: 64-bit integers as bigint, bytes as Uint8Array. */
type ScalarValue = number | bigint | boolean | string | Uint8Array;

const INTS: ReadonlySet<string> = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

function scalarValue(t: Scalar, v: unknown, path: string): ScalarValue {
  switch (t) {
    case 'string':
      if (typeof v === 'string') return v;
      break;
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      break;
    case 'bytes':
      if (v instanceof Uint8Array) return v;
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      break;
    case 'double':
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity' || Number.isFinite(Number(v)))) return Number(v);
      break;
    default:
      if (INTS.has(t)) {
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (typeof n === 'number' && Number.isInteger(n)) return n;
      } else {
        // 64-bit: a number, a bigint or a decimal string
        if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
        if (typeof v === 'bigint') return v;
        if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
      }
  }
  fail(path, `expected ${t}, got ${describe(v)}`);
}

function isDefault(v: ScalarValue): boolean {
  return v === 0 || v === 0n || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

function writeScalar(w: WireWriter, t: Scalar, v: ScalarValue): void {
  switch (t) {
    case 'double':
      return w.double(v as number);
    case 'float':
      return w.float(v as number);
    case 'int32':
      return w.int32(v as number);
    case 'uint32':
      return w.uint32(v as number);
    case 'sint32': {
      const n = v as number;
      return w.uint32(((n << 1) ^ (n >> 31)) >>> 0);
    }
    case 'fixed32':
    case 'sfixed32':
      return w.fixed32(v as number);
    case 'int64':
    case 'uint64':
      return w.uint64(v as bigint);
    case 'sint64': {
      const n = BigInt.asIntN(64, v as bigint);
      return w.uint64((n << 1n) ^ (n >> 63n));
    }
    case 'fixed64':
    case 'sfixed64':
      return w.fixed64(v as bigint);
    case 'bool':
      return w.uint32(v ? 1 : 0);
    case 'string':
      return w.string(v as string);
    case 'bytes':
      return w.bytes(v as Uint8Array);
  }
}

// ---------------------------------------------------------------- well-known types' JSON forms

const PB = 'google.protobuf.';
const WRAPPERS: ReadonlySet<string> = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => PB + n),
);
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Any, Struct, Value and ListValue, written by field number (the spec fixes them; protobufjs' own copy of
 * struct.proto names them in camelCase). Returns false for any other type.
 */
function writeJsonStructure(w: WireWriter, name: string, v: unknown, path: string, depth: number): boolean {
  if (name === `${PB}Struct`) {
    if (!isObj(v)) fail(path, `expected an object (Struct), got ${describe(v)}`);
    writeStruct(w, v, path, depth);
  } else if (name === `${PB}Any`) writeAny(w, v, path);
  else if (name === `${PB}Value`) writeValue(w, v, path, depth);
  else if (name === `${PB}ListValue`) {
    if (!Array.isArray(v)) fail(path, `expected a list (ListValue), got ${describe(v)}`);
    writeList(w, v, path, depth);
  } else return false;
  return true;
}

/** Any, packed as {type_url, value}: both fields are written even when empty (as the control plane's codec does). */
function writeAny(w: WireWriter, v: unknown, path: string): void {
  if (!isObj(v) || typeof v.type_url !== 'string') {
    fail(path, isObj(v) && '@type' in v ? 'an Any in its JSON form ("@type") is not encoded by the proxy; give {type_url, value}' : `expected an Any as {type_url, value}, got ${describe(v)}`);
  }
  w.tag(1, WIRE_BYTES);
  w.string(v.type_url);
  w.tag(2, WIRE_BYTES);
  w.bytes(scalarValue('bytes', v.value ?? new Uint8Array(0), join(path, 'value')) as Uint8Array);
}

/** Struct: map<string, Value> fields = 1; every key is written (undefined as null_value), sorted. */
function writeStruct(w: WireWriter, o: Json, path: string, depth: number): void {
  for (const k of keyOrder(o)) {
    const entry = new WireWriter();
    entry.tag(1, WIRE_BYTES);
    entry.string(k);
    entry.tag(2, WIRE_BYTES);
    entry.bytes(nested((sub) => writeValue(sub, o[k], `${path}[${JSON.stringify(k)}]`, depth + 1)));
    w.tag(1, WIRE_BYTES);
    w.bytes(entry.finish());
  }
}

/** Value: oneof null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5, list_value = 6. */
function writeValue(w: WireWriter, v: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) fail(path, `nested deeper than ${MAX_DEPTH}`);
  if (v === null || v === undefined) {
    w.tag(1, WIRE_VARINT);
    w.uint32(0);
  } else if (typeof v === 'number') {
    w.tag(2, WIRE_FIXED64);
    w.double(v);
  } else if (typeof v === 'string') {
    w.tag(3, WIRE_BYTES);
    w.string(v);
  } else if (typeof v === 'boolean') {
    w.tag(4, WIRE_VARINT);
    w.uint32(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    w.tag(6, WIRE_BYTES);
    w.bytes(nested((sub) => writeList(sub, v, path, depth + 1)));
  } else if (isObj(v)) {
    w.tag(5, WIRE_BYTES);
    w.bytes(nested((sub) => writeStruct(sub, v, path, depth + 1)));
  } else fail(path, `a Value cannot hold ${describe(v)}`);
}

/** ListValue: repeated Value values = 1. */
function writeList(w: WireWriter, list: readonly unknown[], path: string, depth: number): void {
  list.forEach((item, i) => {
    w.tag(1, WIRE_BYTES);
    w.bytes(nested((sub) => writeValue(sub, item, `${path}[${i}]`, depth + 1)));
  });
}

function nested(write: (w: WireWriter) => void): Uint8Array {
  const sub = new WireWriter();
  write(sub);
  return sub.finish();
}

/** The ordinary-message form of a well-known type given in its JSON form; undefined when `v` is already that (or `m` is not one). */
function wellKnownFromJson(m: WireMessage, v: unknown, path: string): Json | undefined {
  const name = m.fullName;
  if (!name.startsWith(PB)) return undefined;
  if (WRAPPERS.has(name)) {
    return { value: isObj(v) && Object.keys(v).length === 1 && 'value' in v ? v.value : v };
  }
  if (name === `${PB}Duration` && typeof v === 'string') {
    const d = DURATION_RE.exec(v.trim());
    if (d === null) fail(path, `expected a duration like "1.5s", got ${JSON.stringify(v)}`);
    const sign = d[1] === '-' ? -1 : 1;
    return { seconds: sign * Number(d[2]), nanos: sign * Number((d[3] ?? '').padEnd(9, '0')) };
  }
  if (name === `${PB}Timestamp` && typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) fail(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
    const seconds = Math.floor(ms / 1000);
    return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
  }
  return undefined;
}
