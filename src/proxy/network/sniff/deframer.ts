// Protocol sniffers: splits one direction of a byte stream into length-prefixed frames while keeping only each frame's
// header and the first `keep` bytes of its payload — the rest is counted off, so state stays bounded whatever the sizes.

/** How a frame's header gives the size of the payload after it. */
export interface FrameFormat {
  /** 1–8 bytes read before the payload size is known. */
  readonly headerBytes: number;
  /** Payload bytes following the header; throws SniffError when the header is malformed. */
  payloadBytes(header: Buffer): number;
}

/** The bytes do not follow the protocol: sniffing stops (the connection is not affected). */
export class SniffError extends Error {}

/** Called once per complete frame; `header` and `prefix` are only valid during the call. */
export type FrameHandler = (header: Buffer, prefix: Buffer, payloadBytes: number) => void;

export class Deframer {
  private readonly header = Buffer.alloc(8);
  private headerHave = 0;
  private readonly prefix: Buffer;
  private prefixHave = 0;
  /** Payload bytes still to come in the current frame; -1 while reading a header. */
  private payloadLeft = -1;
  private payloadTotal = 0;

  /** The format of the next frame; a handler may change it (e.g. Postgres' untyped startup message). */
  format: FrameFormat;

  constructor(
    format: FrameFormat,
    keep: number,
    private readonly onFrame: FrameHandler,
  ) {
    this.format = format;
    this.prefix = Buffer.alloc(keep);
  }

  push(chunk: Buffer): void {
    let i = 0;
    for (;;) {
      if (this.payloadLeft < 0) {
        const want = this.format.headerBytes;
        const n = Math.min(want - this.headerHave, chunk.length - i);
        chunk.copy(this.header, this.headerHave, i, i + n);
        this.headerHave += n;
        i += n;
        if (this.headerHave < want) return;
        const size = this.format.payloadBytes(this.header.subarray(0, want));
        if (!Number.isSafeInteger(size) || size < 0) throw new SniffError(`bad frame size ${size}`);
        this.payloadTotal = size;
        this.payloadLeft = size;
        this.prefixHave = 0;
      }
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        const keep = Math.min(n, this.prefix.length - this.prefixHave);
        if (keep > 0) {
          chunk.copy(this.prefix, this.prefixHave, i, i + keep);
          this.prefixHave += keep;
        }
        this.payloadLeft -= n;
        i += n;
        if (this.payloadLeft > 0) return;
      }
      const header = this.header.subarray(0, this.format.headerBytes);
      this.payloadLeft = -1;
      this.headerHave = 0;
      this.onFrame(header, this.prefix.subarray(0, this.prefixHave), this.payloadTotal);
      if (i >= chunk.length) return;
    }
  }
}
