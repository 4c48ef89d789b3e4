// HTTP filters (grpc_web): the application/grpc-web-text body codecs — base64 request decoding, per-frame base64 response encoding.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Character code -> 6-bit value; -1 for anything else ('=' is handled apart). */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
const PAD = 61; // '='

/**
 * Decodes one 4-character base64 group into `out` at `at`; returns the bytes written, or -1 when the group is not
 * valid base64 (a bad character, or '=' anywhere but at the end of the group).
 */
function decodeGroup(src: Buffer, i: number, out: Buffer, at: number): number {
  const c0 = src[i];
  const c1 = src[i + 1];
  const c2 = src[i + 2];
  const c3 = src[i + 3];
  const v0 = c0 < 128 ? VALUE[c0] : -1;
  const v1 = c1 < 128 ? VALUE[c1] : -1;
  if (v0 < 0 || v1 < 0) return -1;
  out[at] = (v0 << 2) | (v1 >> 4);
  if (c2 === PAD) {
    if (c3 !== PAD || (v1 & 0x0f) !== 0) return -1;
    return 1;
  }
  const v2 = c2 < 128 ? VALUE[c2] : -1;
  if (v2 < 0) return -1;
  out[at + 1] = ((v1 & 0x0f) << 4) | (v2 >> 2);
  if (c3 === PAD) {
    if ((v2 & 0x03) !== 0) return -1;
    return 2;
  }
  const v3 = c3 < 128 ? VALUE[c3] : -1;
  if (v3 < 0) return -1;
  out[at + 2] = ((v2 & 0x03) << 6) | v3;
  return 3;
}

/**
 * Decodes a grpc-web-text request body as it arrives: whole 4-character groups are decoded, up to 3 characters wait
 * for the next chunk. Each group may end in padding, so separately padded messages can follow each other.
 */
export class Base64StreamDecoder {
  private carry: Buffer = Buffer.alloc(0);

  /** The bytes decodable so far; undefined when the text is not base64 (the request is refused). */
  push(chunk: Buffer): Buffer | undefined {
    const src = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const whole = src.length - (src.length % 4);
    const out = Buffer.allocUnsafe((whole / 4) * 3);
    let n = 0;
    for (let i = 0; i < whole; i += 4) {
      const w = decodeGroup(src, i, out, n);
      if (w < 0) return undefined;
      n += w;
    }
    this.carry = src.subarray(whole);
    return out.subarray(0, n);
  }

  /** Characters waiting for a complete group (0–3). */
  get pending(): number {
    return this.carry.length;
  }
}

/**
 * Base64-encodes a gRPC response as gRPC-Web text: each frame (5-byte header + message) is encoded on its own, padded
 * at its end, as Envoy does — but streamed in 3-byte steps, so a large frame is never held whole.
 */
export class FrameBase64Encoder {
  /** Bytes left in the current frame (header included); 0 between frames. */
  private left = 0;
  /** Header bytes of the next frame seen so far (to learn its length). */
  private head = Buffer.alloc(0);
  /** Up to 2 bytes of the current frame that do not yet fill a base64 group. */
  private rest = Buffer.alloc(0);

  /** The text for as much of the stream as can be encoded now. */
  push(chunk: Buffer): string {
    let out = '';
    let pending: Buffer[] = this.rest.length > 0 ? [this.rest] : [];
    this.rest = Buffer.alloc(0);
    let i = 0;
    while (i < chunk.length) {
      if (this.left === 0) {
        // learning the next frame's length from its 5-byte header
        const need = 5 - this.head.length;
        const take = chunk.subarray(i, i + need);
        this.head = this.head.length === 0 ? Buffer.from(take) : Buffer.concat([this.head, take]);
        i += take.length;
        if (this.head.length < 5) {
          pending.push(take);
          break;
        }
        this.left = 5 + this.head.readUInt32BE(1) - this.head.length;
        pending.push(take);
        this.head = Buffer.alloc(0);
        if (this.left === 0) {
          out += Buffer.concat(pending).toString('base64');
          pending = [];
        }
        continue;
      }
      const take = chunk.subarray(i, i + this.left);
      i += take.length;
      this.left -= take.length;
      pending.push(take);
      if (this.left === 0) {
        // end of a frame: encode it all, padding included
        out += Buffer.concat(pending).toString('base64');
        pending = [];
      }
    }
    if (pending.length > 0) {
      const buf = Buffer.concat(pending);
      const whole = buf.length - (buf.length % 3);
      out += buf.subarray(0, whole).toString('base64');
      this.rest = Buffer.from(buf.subarray(whole));
    }
    return out;
  }

  /** The stream ended: whatever is left of an unfinished frame, padded. */
  end(): string {
    const r = this.rest;
    this.rest = Buffer.alloc(0);
    return r.length === 0 ? '' : r.toString('base64');
  }
}

/** The body of a trailer frame: `name:value\r\n` per trailer value, in order. */
export function trailerBlock(trailers: Record<string, string | string[] | undefined>): Buffer {
  let s = '';
  for (const name in trailers) {
    const v = trailers[name];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) s += `${name}:${one}\r\n`;
  }
  return Buffer.from(s, 'latin1');
}

/** A gRPC-Web trailer frame: flag 0x80, big-endian length, the trailer block. */
export function trailerFrame(trailers: Record<string, string | string[] | undefined>): Buffer {
  const block = trailerBlock(trailers);
  const head = Buffer.alloc(5);
  head[0] = 0x80;
  head.writeUInt32BE(block.length, 1);
  return Buffer.concat([head, block]);
}
