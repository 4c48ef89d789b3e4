// Network filters: the socket a terminal filter reads when non-terminal filters watch or hold the bytes —
// reads pass the filters' onData in order, writes are shown to their onWrite; backpressure is kept.
import { Duplex } from 'node:stream';
import type { NetworkFilter } from './api.js';

const EMPTY = Buffer.alloc(0);

export class FilteredSocket extends Duplex {
  /** Bytes held at filter `heldAt` (it returned 'stop'), with whether the stream ended after them. */
  private held: Buffer[] = [];
  private heldAt = -1;
  private heldEnd = false;

  constructor(
    private readonly raw: Duplex,
    private readonly filters: readonly NetworkFilter[],
  ) {
    super({ allowHalfOpen: true });
    raw.on('data', (chunk: Buffer) => this.runOnData(0, chunk, false));
    raw.on('end', () => this.runOnData(0, EMPTY, true));
    raw.on('error', (err) => this.destroy(err));
    raw.on('close', () => this.destroy());
    raw.on('drain', () => this.emit('drain'));
  }

  private runOnData(from: number, chunk: Buffer, end: boolean): void {
    if (this.heldAt >= 0 && from <= this.heldAt) {
      this.held.push(chunk);
      if (end) this.heldEnd = true;
      return;
    }
    const fs = this.filters;
    for (let i = from; i < fs.length; i++) {
      const f = fs[i].onData;
      if (f === undefined) continue;
      const r = f.call(fs[i], chunk, end);
      if (r === 'stop') {
        this.heldAt = i;
        this.held.push(chunk);
        if (end) this.heldEnd = true;
        this.raw.pause();
        return;
      }
      if (r !== 'continue') chunk = r;
    }
    if (chunk.length > 0 && !this.push(chunk)) this.raw.pause();
    if (end) this.push(null);
  }

  /** Filter `index` continues: its held bytes go on to the filters after it. */
  continueFrom(index: number): void {
    if (this.heldAt !== index) return;
    this.heldAt = -1;
    const held = this.held;
    const end = this.heldEnd;
    this.held = [];
    this.heldEnd = false;
    const data = held.length === 1 ? held[0] : Buffer.concat(held);
    this.runOnData(index + 1, data, end);
    if (this.heldAt < 0) this.raw.resume();
  }

  override _read(): void {
    if (this.heldAt < 0) this.raw.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const fs = this.filters;
    for (let i = fs.length - 1; i >= 0; i--) fs[i].onWrite?.(chunk, false);
    this.raw.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const fs = this.filters;
    for (let i = fs.length - 1; i >= 0; i--) fs[i].onWrite?.(EMPTY, true);
    this.raw.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.raw.destroy(err ?? undefined);
    cb(err);
  }

  // What terminal filters and node:http2 ask of a net.Socket.
  setNoDelay(noDelay?: boolean): this {
    (this.raw as Duplex & { setNoDelay?: (v?: boolean) => void }).setNoDelay?.(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    (this.raw as Duplex & { setKeepAlive?: (e?: boolean, d?: number) => void }).setKeepAlive?.(enable, delay);
    return this;
  }
  setTimeout(ms: number, cb?: () => void): this {
    (this.raw as Duplex & { setTimeout?: (ms: number, cb?: () => void) => void }).setTimeout?.(ms, cb);
    return this;
  }
  get remoteAddress(): string | undefined {
    return (this.raw as Duplex & { remoteAddress?: string }).remoteAddress;
  }
  get remotePort(): number | undefined {
    return (this.raw as Duplex & { remotePort?: number }).remotePort;
  }
  get localAddress(): string | undefined {
    return (this.raw as Duplex & { localAddress?: string }).localAddress;
  }
  get localPort(): number | undefined {
    return (this.raw as Duplex & { localPort?: number }).localPort;
  }
}
