// xDS wire codec: JSON values as the encoder takes them — scalars converted with proto3 JSON's rules and written, map key order, errors that name the path.
import type { Scalar } from './descriptor-json.js';
import { WireError } from './reader.js';
import type { WireWriter } from './writer.js';

export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function fail(path: string, message: string): never {
  throw new WireError(`${path || '(root)'}: ${message}`);
}

export const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

/**
 * Map and Struct keys in the order the control plane's codec writes them: sorted, then as a JS object orders them
 * (integer-like keys first, ascending), so both codecs give the same bytes.
 */
export function keyOrder(o: Json): string[] {
  const keys = Object.keys(o).sort();
  const isIndex = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
  const indexes = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return indexes.length === 0 ? keys : [...indexes, ...keys.filter((k) => !isIndex(k))];
}

/** A scalar ready to write: 64-bit integers as bigint, bytes as Uint8Array. */
export type ScalarValue = number | bigint | boolean | string | Uint8Array;

const INTS: ReadonlySet<string> = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

export function scalarValue(t: Scalar, v: unknown, path: string): ScalarValue {
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

export function isDefault(v: ScalarValue): boolean {
  return v === 0 || v === 0n || v === false || v === '' || (v instanceof Uint8Array && v.length === 0);
}

export function writeScalar(w: WireWriter, t: Scalar, v: ScalarValue): void {
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

