// xDS wire codec: scalar values as read off the wire and as proto3 JSON writes them (64-bit integers, bytes, non-finite floats).
import type { Scalar } from './descriptor-json.js';
import { WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, type WireReader } from './reader.js';

/** A scalar as read: 64-bit integers are a number while exact, else a bigint. */
export type RawScalar = number | bigint | boolean | string | Uint8Array;

export function wireTypeOf(t: Scalar): number {
  switch (t) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return WIRE_FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return WIRE_FIXED32;
    case 'string':
    case 'bytes':
      return WIRE_BYTES;
    default:
      return WIRE_VARINT;
  }
}

function signed64(v: number | bigint): number | bigint {
  // a number from the reader is below 2^53, so already non-negative and exact
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) : v;
}

function zigzag64(v: number | bigint): number | bigint {
  if (typeof v === 'bigint') return (v >> 1n) ^ -(v & 1n);
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

export function readScalar(r: WireReader, t: Scalar): RawScalar {
  switch (t) {
    case 'double':
      return r.double();
    case 'float':
      return r.float();
    case 'int32':
      return r.varint32() | 0;
    case 'uint32':
      return r.varint32();
    case 'sint32': {
      const n = r.varint32();
      return (n >>> 1) ^ -(n & 1);
    }
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.fixed32() | 0;
    case 'int64':
      return signed64(r.varint64());
    case 'uint64':
      return r.varint64();
    case 'sint64':
      return zigzag64(r.varint64());
    case 'fixed64':
      return r.fixed64();
    case 'sfixed64':
      return signed64(r.fixed64());
    case 'bool':
      return r.varint32() !== 0;
    case 'string':
      return r.string();
    case 'bytes':
      return r.bytes();
  }
}

export function defaultScalar(t: Scalar): RawScalar {
  if (t === 'string') return '';
  if (t === 'bool') return false;
  if (t === 'bytes') return new Uint8Array(0);
  return 0;
}

const LONGS: ReadonlySet<Scalar> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** 64-bit integers: a number while exact, else the decimal string (proto3 JSON's form). */
export function longToJson(v: RawScalar): number | string {
  if (typeof v === 'number') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

/** proto3 JSON of a scalar: 64-bit integers as above, bytes as base64, NaN/±Infinity as strings. */
export function scalarToJson(t: Scalar, v: RawScalar): unknown {
  if (LONGS.has(t)) return longToJson(v);
  if (t === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  if ((t === 'double' || t === 'float') && typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}
