// xDS wire codec: encodes a proto3-JSON-style object (snake_case fields, enums by name or number) into protobuf bytes, driven by the wire descriptor.
//
// Written for the proxy's ADS requests, with proto-json.ts's fromJson rules and protobufjs' byte layout (fields in
// number order, map keys sorted, default scalars left out unless in a oneof), so both codecs give the same bytes;
// test/xds/wire/encode.test.ts checks that. An unknown field, enum name or wrong value type throws a WireError.
import type { WireField, WireMessage } from './descriptor.js';
import { MAX_DEPTH, WIRE_BYTES } from './reader.js';
import { wireTypeOf } from './scalars.js';
import { WireWriter } from './writer.js';
import { describe, fail, isDefault, isObj, join, keyOrder, scalarValue, writeScalar, type ScalarValue } from './encode-values.js';
import { wellKnownFromJson, writeJsonStructure } from './encode-well-known.js';

export function encodeMessage(m: WireMessage, json: unknown): Uint8Array {
  const w = new WireWriter();
  writeMessage(w, m, json, '', 0);
  return w.finish();
}

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

