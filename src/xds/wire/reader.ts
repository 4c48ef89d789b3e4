// xDS wire codec: reads the protobuf wire format (varints, fixed-width numbers, length-delimited bytes) from a byte range, bounds-checked.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** Nesting deeper than this is refused (protobufjs' limit too), so a hostile message cannot exhaust the stack. */
export const MAX_DEPTH = 100;

export class WireError extends Error {
  constructor(message: string) {
    super(`xds: ${message}`);
    this.name = 'WireError';
  }
}

const TWO_32 = 4294967296;

export class WireReader {
  pos = 0;
  /** Reads stop here: the end of the message being read (set and restored around each nested message). */
  limit: number;
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(readonly buf: Uint8Array) {
    this.limit = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw new WireError(`message truncated at byte ${this.pos} (needs ${n} more, has ${this.limit - this.pos})`);
  }

  /** A varint's low 32 bits, unsigned (a longer varint is read to its end, as protobuf's int32 needs). */
  varint32(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      if (shift < 32) value |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) return value >>> 0;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A varint as unsigned 64 bits: a number while that is exact, else a bigint. */
  varint64(): number | bigint {
    const start = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if (b < 0x80) return value; // at most 49 bits: exact
      mul *= 128;
    }
    this.pos = start;
    let big = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      big |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return BigInt.asUintN(64, big);
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  fixed32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64 bits, little-endian: a number while exact, else a bigint. */
  fixed64(): number | bigint {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  float(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end offset of a length-delimited value starting here (the reader is left at its first byte). */
  delimited(): number {
    const len = this.varint32();
    this.need(len);
    return this.pos + len;
  }

  /** A view of the bytes (no copy), as protobufjs gives them. */
  bytes(): Uint8Array {
    const end = this.delimited();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  string(): string {
    const end = this.delimited();
    const v = this.text.toString('utf8', this.pos, end);
    this.pos = end;
    return v;
  }

  /** Skips a value of an unknown field (a group up to its end tag). */
  skip(wireType: number, depth: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_BYTES:
        this.pos = this.delimited();
        return;
      case WIRE_START_GROUP:
        if (depth >= MAX_DEPTH) throw new WireError('groups nested too deep');
        for (;;) {
          const t = this.varint32();
          if ((t & 7) === WIRE_END_GROUP) return;
          this.skip(t & 7, depth + 1);
        }
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }
}
