// HTTP filters: header_to_metadata's PROTOBUF_VALUE — a serialized google.protobuf.Value (binary wire format) read
// into the JSON value it stands for; undefined when the bytes do not parse, as Envoy then adds nothing.

export type JsonValue = null | number | string | boolean | JsonValue[] | { [k: string]: JsonValue };

/** protobuf's default recursion limit: deeper nesting fails to parse instead of exhausting the stack. */
const MAX_DEPTH = 100;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number (values past 2^53 lose precision, which only enum and bool fields here could carry). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  }

  /** A length-delimited field's bounds. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new Error('truncated bytes');
    this.pos = start + len;
    return [start, start + len];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        // groups (3, 4) and unknown wire types: not something a Value can carry
        throw new Error(`wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.end - this.pos < n) throw new Error('truncated');
    this.pos += n;
  }
}

function expect(actual: number, wanted: number): void {
  if (actual !== wanted) throw new Error('wrong wire type');
}

function readValue(r: Reader, end: number, depth: number): JsonValue {
  if (depth > MAX_DEPTH) throw new Error('too deep');
  // a Value with no kind set reads as null; the last kind on the wire wins (proto3 oneof)
  let v: JsonValue = null;
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    switch (field) {
      case 1: // null_value
        expect(wt, 0);
        r.varint();
        v = null;
        break;
      case 2: // number_value
        expect(wt, 1);
        r.advance(8);
        v = r.buf.readDoubleLE(r.pos - 8);
        break;
      case 3: {
        // string_value
        expect(wt, 2);
        const [s, e] = r.bytes();
        v = utf8.decode(r.buf.subarray(s, e));
        break;
      }
      case 4: // bool_value
        expect(wt, 0);
        v = r.varint() !== 0;
        break;
      case 5: {
        // struct_value
        expect(wt, 2);
        const [s, e] = r.bytes();
        v = readStruct(new Reader(r.buf, s, e), e, depth + 1);
        break;
      }
      case 6: {
        // list_value
        expect(wt, 2);
        const [s, e] = r.bytes();
        v = readList(new Reader(r.buf, s, e), e, depth + 1);
        break;
      }
      default:
        if (field === 0) throw new Error('field 0');
        r.skip(wt);
    }
  }
  if (r.pos !== end) throw new Error('overrun');
  return v;
}

function readStruct(r: Reader, end: number, depth: number): { [k: string]: JsonValue } {
  if (depth > MAX_DEPTH) throw new Error('too deep');
  const out: { [k: string]: JsonValue } = {};
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field !== 1) {
      if (field === 0) throw new Error('field 0');
      r.skip(wt);
      continue;
    }
    expect(wt, 2);
    const [s, e] = r.bytes();
    const entry = new Reader(r.buf, s, e);
    let key = '';
    let value: JsonValue = null;
    while (entry.pos < e) {
      const t = entry.varint();
      const f = Math.floor(t / 8);
      const w = t & 7;
      if (f === 1) {
        expect(w, 2);
        const [ks, ke] = entry.bytes();
        key = utf8.decode(r.buf.subarray(ks, ke));
      } else if (f === 2) {
        expect(w, 2);
        const [vs, ve] = entry.bytes();
        value = readValue(new Reader(r.buf, vs, ve), ve, depth + 1);
      } else {
        if (f === 0) throw new Error('field 0');
        entry.skip(w);
      }
    }
    // a repeated key: the last entry wins, as protobuf map parsing does
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readList(r: Reader, end: number, depth: number): JsonValue[] {
  if (depth > MAX_DEPTH) throw new Error('too deep');
  const out: JsonValue[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field !== 1) {
      if (field === 0) throw new Error('field 0');
      r.skip(wt);
      continue;
    }
    expect(wt, 2);
    const [s, e] = r.bytes();
    out.push(readValue(new Reader(r.buf, s, e), e, depth + 1));
  }
  return out;
}

/** The JSON value of a serialized google.protobuf.Value, or undefined when it is not one. */
export function decodeProtobufValue(bytes: Buffer): JsonValue | undefined {
  try {
    return readValue(new Reader(bytes, 0, bytes.length), bytes.length, 0);
  } catch {
    return undefined;
  }
}
