// xDS client: gRPC message framing on an HTTP/2 stream — each message is a 5-byte prefix (compressed flag, big-endian length) then its bytes.

export class GrpcFrameError extends Error {}

/** One message with its length prefix (never compressed: the proxy asks for identity encoding). */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/**
 * Cuts a stream of DATA chunks into messages. Chunks are kept as they come and joined once a whole message is
 * there, so a large response split into many chunks is copied once, not once per chunk.
 */
export class GrpcFrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the message whose prefix was read; undefined while waiting for a prefix. */
  private length: number | undefined;

  /** The messages completed by `chunk`; throws GrpcFrameError for a compressed or malformed prefix. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.length === undefined) {
        if (this.buffered < 5) break;
        const prefix = this.take(5);
        if (prefix[0] !== 0) throw new GrpcFrameError(prefix[0] === 1 ? 'a compressed message (the proxy asked for identity encoding)' : `a message prefix with flags ${prefix[0]}`);
        this.length = prefix.readUInt32BE(1);
      }
      if (this.buffered < this.length) break;
      out.push(this.take(this.length));
      this.length = undefined;
    }
    return out;
  }

  /** Bytes received of a message not yet complete (non-zero at the end of a stream = a truncated message). */
  get pending(): number {
    return this.buffered + (this.length !== undefined ? 5 : 0);
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0]!;
      if (c.length <= need) {
        parts.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        parts.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    return Buffer.concat(parts, n);
  }
}
