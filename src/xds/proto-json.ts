// xDS transport: converts between proto3-JSON-style objects (snake_case) and protobufjs messages, driven by reflection.
//
// Why not protobufjs' own fromObject/toObject: they know nothing of the proto3 JSON forms of the
// well-known types ("1.5s" durations, bare wrapper values, Struct as plain JSON, Any with '@type'),
// silently zero a Duration given as a string, and iterate map keys in insertion order (encoding must be
// deterministic so versions are a hash of the bytes). This walker is strict on input: an unknown field,
// enum name or '@type' throws an XdsCodecError naming the path, because that is a translator bug.
import protobuf from 'protobufjs';
import { lookupType } from './protos.js';
import type { Scalar } from './wire/descriptor-json.js';
import { describe, isObj, scalarValue } from './wire/encode-values.js';
import { WireError } from './wire/reader.js';

export type Json = Record<string, unknown>;

/** How google.protobuf.Any fields appear: `json` = `{'@type', ...fields}`; `raw` = `{type_url, value: bytes}`. */
export type AnyMode = 'json' | 'raw';

export class XdsCodecError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'XdsCodecError';
  }
}

const WRAPPERS = new Set(
  ['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map(
    (n) => `.google.protobuf.${n}`,
  ),
);
const ANY = '.google.protobuf.Any';
const DURATION = '.google.protobuf.Duration';
const TIMESTAMP = '.google.protobuf.Timestamp';
const STRUCT = '.google.protobuf.Struct';
const VALUE = '.google.protobuf.Value';
const LIST_VALUE = '.google.protobuf.ListValue';
const FIELD_MASK = '.google.protobuf.FieldMask';
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

// ReflectionObject#fullName walks the parent chain on every read; the hot paths ask once per type.
const fullNames = new WeakMap<protobuf.Type, string>();
function fullNameOf(type: protobuf.Type): string {
  let n = fullNames.get(type);
  if (n === undefined) fullNames.set(type, (n = type.fullName));
  return n;
}


function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function jsonName(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

// Field lookup by proto name and by its camelCase JSON name, built once per message type.
const fieldMaps = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldMap(type: protobuf.Type): Map<string, protobuf.Field> {
  let m = fieldMaps.get(type);
  if (m === undefined) {
    m = new Map();
    for (const f of type.fieldsArray) {
      m.set(f.name, f);
      m.set(jsonName(f.name), f);
    }
    fieldMaps.set(type, m);
  }
  return m;
}

// ---------------------------------------------------------------- JSON -> protobufjs plain object (for Type.encode)

/** Converts a proto-JSON object into the plain object protobufjs' generated encoder reads. */
export function fromJson(type: protobuf.Type, json: unknown, path = ''): Json {
  const wkt = wktFromJson(type, json, path);
  if (wkt !== undefined) return wkt;
  if (!isObj(json)) throw new XdsCodecError(path, `expected an object for ${type.name}, got ${describe(json)}`);
  const fields = fieldMap(type);
  const out: Json = {};
  for (const k of Object.keys(json)) {
    if (k === '@type') continue; // the Any wrapper consumed it
    const v = json[k];
    if (v === null || v === undefined) continue; // proto3 JSON: null = default
    const f = fields.get(k);
    if (f === undefined) throw new XdsCodecError(join(path, k), `unknown field "${k}" in ${type.fullName.slice(1)}`);
    if (out[f.name] !== undefined) throw new XdsCodecError(join(path, k), `field given twice (${f.name} / ${jsonName(f.name)})`);
    const c = fieldFromJson(f, v, join(path, f.name));
    // Canonical proto3 bytes leave out default scalars (oneof members keep them: presence matters there),
    // so "1s" and {seconds: 1, nanos: 0} encode the same and versions only move on real changes.
    if (f.partOf === null && !f.repeated && !f.map && !(f.resolvedType instanceof protobuf.Type) && isDefault(c, f.type)) continue;
    out[f.name] = c;
  }
  return out;
}

/** 64-bit integers travel as decimal strings, so '0' is their zero; for a string field '0' is a value like any other. */
const INT64_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function isDefault(v: unknown, type: string): boolean {
  return v === 0 || v === false || v === '' || (v === '0' && INT64_TYPES.has(type)) || (v instanceof Uint8Array && v.length === 0);
}

/** Drops zero members of a well-known type's object form (same reason as in fromJson); `type` is the members' scalar type. */
function dropZeros(o: Json, type = 'int64'): Json {
  for (const k of Object.keys(o)) if (isDefault(o[k], type)) delete o[k];
  return o;
}

function fieldFromJson(f: protobuf.Field, v: unknown, path: string): unknown {
  if (f.map) {
    if (!isObj(v)) throw new XdsCodecError(path, `expected a map, got ${describe(v)}`);
    const out: Json = {};
    for (const k of Object.keys(v).sort()) {
      if (v[k] === null || v[k] === undefined) continue;
      out[k] = valueFromJson(f, v[k], `${path}[${JSON.stringify(k)}]`);
    }
    return out;
  }
  if (f.repeated) {
    if (!Array.isArray(v)) throw new XdsCodecError(path, `expected a list, got ${describe(v)}`);
    return v.map((item: unknown, i) => valueFromJson(f, item, `${path}[${i}]`));
  }
  return valueFromJson(f, v, path);
}

function valueFromJson(f: protobuf.Field, v: unknown, path: string): unknown {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return fromJson(rt, v, path);
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && rt.values[v] !== undefined) return rt.values[v];
    throw new XdsCodecError(path, `unknown ${rt.name} value ${JSON.stringify(v)}; expected one of ${Object.keys(rt.values).join(', ')}`);
  }
  return scalarFromJson(f.type, v, path);
}

/** proto3 JSON scalar rules, shared with the proxy's wire codec; protobufjs takes 64-bit values as decimal strings. */
function scalarFromJson(t: string, v: unknown, path: string): unknown {
  try {
    const s = scalarValue(t as Scalar, v, path);
    return typeof s === 'bigint' ? s.toString() : s;
  } catch (e) {
    if (e instanceof WireError) throw new XdsCodecError(path, `expected ${t}, got ${describe(v)}`);
    throw e;
  }
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

function durationFromString(s: string, path: string): Json {
  const m = DURATION_RE.exec(s.trim());
  if (m === null) throw new XdsCodecError(path, `expected a duration like "1.5s", got ${JSON.stringify(s)}`);
  const sign = m[1] === '-' ? -1 : 1;
  return dropZeros({ seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) });
}

/** Well-known types' JSON forms; undefined when `type` is an ordinary message. */
function wktFromJson(type: protobuf.Type, v: unknown, path: string): Json | undefined {
  const name = fullNameOf(type);
  if (name === DURATION) {
    if (typeof v === 'string') return durationFromString(v, path);
    return undefined; // {seconds, nanos}: the ordinary path
  }
  if (name === TIMESTAMP) {
    if (typeof v !== 'string') return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new XdsCodecError(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
    return dropZeros({ seconds: Math.floor(ms / 1000), nanos: (ms - Math.floor(ms / 1000) * 1000) * 1e6 });
  }
  if (WRAPPERS.has(name)) {
    const inner = isObj(v) && Object.keys(v).length === 1 && 'value' in v ? v.value : v;
    const f = type.fields.value;
    return dropZeros({ value: scalarFromJson(f.type, inner, path) }, f.type);
  }
  if (name === STRUCT) {
    if (!isObj(v)) throw new XdsCodecError(path, `expected an object (Struct), got ${describe(v)}`);
    const fields: Json = {};
    for (const k of Object.keys(v).sort()) fields[k] = valueToProto(v[k]);
    return { fields };
  }
  if (name === VALUE) return valueToProto(v);
  if (name === LIST_VALUE) {
    if (!Array.isArray(v)) throw new XdsCodecError(path, `expected a list (ListValue), got ${describe(v)}`);
    return { values: v.map(valueToProto) };
  }
  if (name === FIELD_MASK && typeof v === 'string') return { paths: v === '' ? [] : v.split(',') };
  if (name === ANY) return anyFromJson(v, path);
  return undefined;
}

// google.protobuf.Value's field names: protobufjs' built-in struct.proto spells them in camelCase, a
// parsed struct.proto with keepCase in snake_case; read them off the loaded type once.
interface ValueNames {
  null: string;
  num: string;
  str: string;
  bool: string;
  struct: string;
  list: string;
}
let valueNames: ValueNames | undefined;
function vn(): ValueNames {
  if (valueNames === undefined) {
    const f = lookupType(VALUE)?.fields ?? {};
    const pick = (snake: string): string => (f[snake] !== undefined ? snake : jsonName(snake));
    valueNames = {
      null: pick('null_value'),
      num: pick('number_value'),
      str: pick('string_value'),
      bool: pick('bool_value'),
      struct: pick('struct_value'),
      list: pick('list_value'),
    };
  }
  return valueNames;
}

function valueToProto(v: unknown): Json {
  const n = vn();
  if (v === null || v === undefined) return { [n.null]: 0 };
  if (typeof v === 'number') return { [n.num]: v };
  if (typeof v === 'string') return { [n.str]: v };
  if (typeof v === 'boolean') return { [n.bool]: v };
  if (Array.isArray(v)) return { [n.list]: { values: v.map(valueToProto) } };
  const fields: Json = {};
  const o = v as Json;
  for (const k of Object.keys(o).sort()) fields[k] = valueToProto(o[k]);
  return { [n.struct]: { fields } };
}

function anyFromJson(v: unknown, path: string): Json {
  if (!isObj(v)) throw new XdsCodecError(path, `expected an object with "@type", got ${describe(v)}`);
  const url = v['@type'];
  if (url === undefined && typeof v.type_url === 'string') {
    // already packed: {type_url, value: bytes}
    return { type_url: v.type_url, value: scalarFromJson('bytes', v.value ?? new Uint8Array(0), join(path, 'value')) };
  }
  if (typeof url !== 'string' || url === '') throw new XdsCodecError(join(path, '@type'), 'is required');
  if (typeof v['@value'] === 'string') return { type_url: url, value: Buffer.from(v['@value'], 'base64') }; // opaque (see anyToJson)
  const inner = lookupType(url);
  if (inner === undefined) throw new XdsCodecError(join(path, '@type'), `message type ${url} is not known to trellis`);
  // proto3 JSON puts a well-known type's special form under "value"
  const body = isSpecialJson(inner) ? v.value : v;
  return { type_url: url, value: inner.encode(fromJson(inner, body, path)).finish() };
}

function isSpecialJson(t: protobuf.Type): boolean {
  const n = fullNameOf(t);
  return n === DURATION || n === TIMESTAMP || WRAPPERS.has(n) || n === STRUCT || n === VALUE || n === LIST_VALUE || n === FIELD_MASK;
}

// ---------------------------------------------------------------- decoded message -> JSON

type Message = Record<string, unknown>;

/** Converts a decoded protobufjs message into proto-JSON (snake_case, enums by name, Any with '@type'). */
export function toJson(type: protobuf.Type, msg: Message, anyMode: AnyMode = 'json'): unknown {
  const name = fullNameOf(type);
  if (name === ANY) return anyToJson(msg, anyMode);
  if (WRAPPERS.has(name)) return scalarToJson(type.fields.value, msg.value ?? defaultScalar(type.fields.value.type));
  if (name === STRUCT) return structToJson(msg);
  if (name === VALUE) return protoValueToJson(msg);
  if (name === LIST_VALUE) return ((msg.values as Message[] | undefined) ?? []).map(protoValueToJson);
  if (name === TIMESTAMP) {
    const ms = Number(longToJson(msg.seconds ?? 0)) * 1000 + Math.floor(Number(msg.nanos ?? 0) / 1e6);
    return new Date(ms).toISOString();
  }
  if (name === DURATION) return { seconds: Number(longToJson(msg.seconds ?? 0)), nanos: Number(msg.nanos ?? 0) };
  const out: Json = {};
  for (const f of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, f.name)) continue;
    const v = msg[f.name];
    if (v === null || v === undefined) continue;
    if (f.map) {
      const o = v as Message;
      const keys = Object.keys(o);
      if (keys.length === 0) continue;
      const m: Json = {};
      for (const k of keys.sort()) m[k] = valueToJson(f, o[k], anyMode);
      out[f.name] = m;
    } else if (f.repeated) {
      const a = v as unknown[];
      if (a.length === 0) continue;
      out[f.name] = a.map((item) => valueToJson(f, item, anyMode));
    } else {
      out[f.name] = valueToJson(f, v, anyMode);
    }
  }
  return out;
}

function valueToJson(f: protobuf.Field, v: unknown, anyMode: AnyMode): unknown {
  const rt = f.resolvedType;
  if (rt instanceof protobuf.Type) return toJson(rt, v as Message, anyMode);
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? v;
  return scalarToJson(f, v);
}

function scalarToJson(f: protobuf.Field, v: unknown): unknown {
  if (LONG_TYPES.has(f.type)) return longToJson(v);
  if (f.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  if ((f.type === 'double' || f.type === 'float') && typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function defaultScalar(t: string): unknown {
  if (t === 'string') return '';
  if (t === 'bool') return false;
  if (t === 'bytes') return new Uint8Array(0);
  return 0;
}

/** 64-bit integers: a number while exact, else the decimal string (proto3 JSON's form). */
function longToJson(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const s = String(v); // long.js' toString honours `unsigned`
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

function structToJson(msg: Message): Json {
  const out: Json = {};
  const fields = (msg.fields as Record<string, Message> | undefined) ?? {};
  for (const k of Object.keys(fields).sort()) out[k] = protoValueToJson(fields[k]);
  return out;
}

function protoValueToJson(v: Message): unknown {
  const n = vn();
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(v, k) && v[k] !== null && v[k] !== undefined;
  if (has(n.num)) return v[n.num];
  if (has(n.str)) return v[n.str];
  if (has(n.bool)) return v[n.bool];
  if (has(n.struct)) return structToJson(v[n.struct] as Message);
  if (has(n.list)) return (((v[n.list] as Message).values as Message[] | undefined) ?? []).map(protoValueToJson);
  return null;
}

function anyToJson(msg: Message, anyMode: AnyMode): Json {
  const url = typeof msg.type_url === 'string' ? msg.type_url : '';
  const value = msg.value instanceof Uint8Array ? msg.value : new Uint8Array(0);
  if (anyMode === 'raw') return { type_url: url, value };
  const inner = lookupType(url);
  // A type we have not loaded stays opaque (base64 under '@value') so it re-encodes byte for byte.
  if (inner === undefined) return { '@type': url, '@value': Buffer.from(value).toString('base64') };
  const body = toJson(inner, inner.decode(value) as unknown as Message, 'json');
  if (isSpecialJson(inner)) return { '@type': url, value: body };
  return { '@type': url, ...(body as Json) };
}

