// Telemetry: google.protobuf.Struct wire codec for Istio peer metadata — bounded so hostile bytes cannot crash or bloat.
export type StructValue = null | number | string | boolean | StructValue[] | { [k: string]: StructValue };
export type Struct = { [k: string]: StructValue };

/** Caps on what a peer may send us: bytes, nesting, entries per Struct/list. */
export const STRUCT_LIMITS = { maxBytes: 16 * 1024, maxDepth: 8, maxEntries: 256 } as const;

// ---- encoding ----
function varint(out: number[], v: number): void {
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}
function lenField(out: number[], field: number, bytes: Uint8Array | number[]): void {
  varint(out, (field << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}
function encodeValue(v: StructValue): number[] {
  const out: number[] = [];
  if (v === null) {
    varint(out, (1 << 3) | 0);
    varint(out, 0);
  } else if (typeof v === 'number') {
    varint(out, (2 << 3) | 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    for (const x of b) out.push(x);
  } else if (typeof v === 'string') {
    lenField(out, 3, Buffer.from(v, 'utf8'));
  } else if (typeof v === 'boolean') {
    varint(out, (4 << 3) | 0);
    varint(out, v ? 1 : 0);
  } else if (Array.isArray(v)) {
    const list: number[] = [];
    for (const e of v) lenField(list, 1, encodeValue(e));
    lenField(out, 6, list);
  } else {
    lenField(out, 5, encodeStructBytes(v));
  }
  return out;
}
function encodeStructBytes(s: Struct): number[] {
  const out: number[] = [];
  for (const [k, v] of Object.entries(s)) {
    const entry: number[] = [];
    lenField(entry, 1, Buffer.from(k, 'utf8'));
    lenField(entry, 2, encodeValue(v));
    lenField(out, 1, entry);
  }
  return out;
}
export function encodeStruct(s: Struct): Buffer {
  return Buffer.from(encodeStructBytes(s));
}

// ---- decoding ----
class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
    throw new Error('varint too long');
  }
  len(): [number, number] {
    const n = this.varint();
    if (n > this.end - this.pos) throw new Error('length past end');
    const s = this.pos;
    this.pos += n;
    return [s, this.pos];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 5) this.advance(4);
    else if (wire === 2) this.len();
    else throw new Error(`unsupported wire type ${wire}`);
  }
  advance(n: number): void {
    if (n > this.end - this.pos) throw new Error('truncated');
    this.pos += n;
  }
}
const utf8 = new TextDecoder('utf-8', { fatal: false });

function decodeValue(buf: Uint8Array, s: number, e: number, depth: number): StructValue {
  if (depth > STRUCT_LIMITS.maxDepth) throw new Error('struct nested too deep');
  const r = new Reader(buf, s, e);
  let v: StructValue = null;
  while (r.pos < e) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 0) (r.varint(), (v = null));
    else if (field === 2 && wire === 1) {
      r.advance(8);
      v = Buffer.from(buf.buffer, buf.byteOffset + r.pos - 8, 8).readDoubleLE(0);
    } else if (field === 3 && wire === 2) {
      const [a, b] = r.len();
      v = utf8.decode(buf.subarray(a, b));
    } else if (field === 4 && wire === 0) v = r.varint() !== 0;
    else if (field === 5 && wire === 2) {
      const [a, b] = r.len();
      v = decodeStructRange(buf, a, b, depth + 1);
    } else if (field === 6 && wire === 2) {
      const [a, b] = r.len();
      const lr = new Reader(buf, a, b);
      const list: StructValue[] = [];
      while (lr.pos < b) {
        const t = lr.varint();
        if (Math.floor(t / 8) === 1 && (t & 7) === 2) {
          if (list.length >= STRUCT_LIMITS.maxEntries) throw new Error('list too long');
          const [x, y] = lr.len();
          list.push(decodeValue(buf, x, y, depth + 1));
        } else lr.skip(t & 7);
      }
      v = list;
    } else r.skip(wire);
  }
  return v;
}

function decodeStructRange(buf: Uint8Array, s: number, e: number, depth: number): Struct {
  if (depth > STRUCT_LIMITS.maxDepth) throw new Error('struct nested too deep');
  const out: Struct = Object.create(null) as Struct;
  let n = 0;
  const r = new Reader(buf, s, e);
  while (r.pos < e) {
    const tag = r.varint();
    if (Math.floor(tag / 8) !== 1 || (tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    if (++n > STRUCT_LIMITS.maxEntries) throw new Error('struct has too many fields');
    const [a, b] = r.len();
    const er = new Reader(buf, a, b);
    let key = '';
    let val: StructValue = null;
    while (er.pos < b) {
      const t = er.varint();
      const f = Math.floor(t / 8);
      if (f === 1 && (t & 7) === 2) {
        const [x, y] = er.len();
        key = utf8.decode(buf.subarray(x, y));
      } else if (f === 2 && (t & 7) === 2) {
        const [x, y] = er.len();
        val = decodeValue(buf, x, y, depth + 1);
      } else er.skip(t & 7);
    }
    out[key] = val;
  }
  return out;
}

/** Decodes Struct bytes; throws a plain Error on anything malformed or past STRUCT_LIMITS. */
export function decodeStruct(buf: Uint8Array): Struct {
  if (buf.length > STRUCT_LIMITS.maxBytes) throw new Error('struct too large');
  return decodeStructRange(buf, 0, buf.length, 0);
}
