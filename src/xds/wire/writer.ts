// xDS wire codec: writes the protobuf wire format into a growing buffer (varints, fixed-width numbers, length-delimited bytes).
import { ownedBytes } from '../../common/owned-bytes.js';

export class WireWriter {
  private buf = Buffer.allocUnsafe(128);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  tag(id: number, wireType: number): void {
    this.uint32((id << 3) | wireType);
  }

  uint32(v: number): void {
    this.room(5);
    let n = v >>> 0;
    while (n > 0x7f) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.len++] = n;
  }

  /** Any 64-bit pattern as an unsigned varint (negative int32/int64 values take ten bytes). */
  uint64(v: bigint): void {
    this.room(10);
    let n = BigInt.asUintN(64, v);
    while (n > 0x7fn) {
      this.buf[this.len++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.len++] = Number(n);
  }

  int32(v: number): void {
    if (v >= 0) this.uint32(v);
    else this.uint64(BigInt(v));
  }

  fixed32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
  }

  fixed64(v: bigint): void {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.len);
    this.len += 8;
  }

  float(v: number): void {
    this.room(4);
    this.buf.writeFloatLE(v, this.len);
    this.len += 4;
  }

  double(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }

  /** Length prefix, then the bytes. */
  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** A copy in memory of its own (see ownedBytes): for bytes that are cached rather than sent and dropped. */
  finishOwned(): Uint8Array {
    return ownedBytes(this.buf.subarray(0, this.len));
  }
}
