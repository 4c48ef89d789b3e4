// Shared: xxHash64 (per the public XXH64 spec), used by route hash policies and ring-hash/maglev load balancers.

const M64 = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

// Strings are encoded into one reusable scratch buffer so hashing a header value allocates nothing per call.
const encoder = new TextEncoder();
let scratch = new Uint8Array(256);
let scratchView = new DataView(scratch.buffer);

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64;
}

function round(acc: bigint, lane: bigint): bigint {
  acc = (acc + lane * P2) & M64;
  acc = rotl(acc, 31n);
  return (acc * P1) & M64;
}

function mergeRound(acc: bigint, v: bigint): bigint {
  acc ^= round(0n, v);
  return (acc * P1 + P4) & M64;
}

function hashBytes(view: DataView, bytes: Uint8Array, len: number, seed: bigint): bigint {
  let p = 0;
  let acc: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & M64;
    let v2 = (seed + P2) & M64;
    let v3 = seed;
    let v4 = (seed - P1) & M64;
    const limit = len - 32;
    while (p <= limit) {
      v1 = round(v1, view.getBigUint64(p, true));
      v2 = round(v2, view.getBigUint64(p + 8, true));
      v3 = round(v3, view.getBigUint64(p + 16, true));
      v4 = round(v4, view.getBigUint64(p + 24, true));
      p += 32;
    }
    acc = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    acc = mergeRound(acc, v1);
    acc = mergeRound(acc, v2);
    acc = mergeRound(acc, v3);
    acc = mergeRound(acc, v4);
  } else {
    acc = (seed + P5) & M64;
  }
  acc = (acc + BigInt(len)) & M64;
  while (p + 8 <= len) {
    acc ^= round(0n, view.getBigUint64(p, true));
    acc = (rotl(acc, 27n) * P1 + P4) & M64;
    p += 8;
  }
  if (p + 4 <= len) {
    acc ^= (BigInt(view.getUint32(p, true)) * P1) & M64;
    acc = (rotl(acc, 23n) * P2 + P3) & M64;
    p += 4;
  }
  while (p < len) {
    acc ^= (BigInt(bytes[p]!) * P5) & M64;
    acc = (rotl(acc, 11n) * P1) & M64;
    p++;
  }
  acc ^= acc >> 33n;
  acc = (acc * P2) & M64;
  acc ^= acc >> 29n;
  acc = (acc * P3) & M64;
  acc ^= acc >> 32n;
  return acc;
}

/** xxHash64 of `data` (strings hashed as UTF-8) as an unsigned 64-bit bigint. */
export function xxhash64(data: string | Uint8Array, seed: bigint = 0n): bigint {
  const s = seed & M64;
  if (typeof data !== 'string') {
    return hashBytes(new DataView(data.buffer, data.byteOffset, data.byteLength), data, data.byteLength, s);
  }
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const need = data.length * 3;
  if (need > scratch.length) {
    scratch = new Uint8Array(Math.max(need, scratch.length * 2));
    scratchView = new DataView(scratch.buffer);
  }
  const { written } = encoder.encodeInto(data, scratch);
  return hashBytes(scratchView, scratch, written, s);
}
