// xDS wire codec: the well-known types' JSON forms for the encoder — Any (packed), Struct/Value/ListValue from plain JSON, wrappers, "1.5s" durations, RFC 3339 timestamps.
import { MAX_DEPTH, WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from './reader.js';
import { WireWriter } from './writer.js';
import type { WireMessage } from './descriptor.js';
import { describe, fail, isObj, join, keyOrder, scalarValue, type Json } from './encode-values.js';

const PB = 'google.protobuf.';
const WRAPPERS: ReadonlySet<string> = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => PB + n),
);
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Any, Struct, Value and ListValue, written by field number (the spec fixes them; protobufjs' own copy of
 * struct.proto names them in camelCase). Returns false for any other type.
 */
export function writeJsonStructure(w: WireWriter, name: string, v: unknown, path: string, depth: number): boolean {
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
export function wellKnownFromJson(m: WireMessage, v: unknown, path: string): Json | undefined {
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
