// HTTP filters (compression): one zlib stream for one direction of one request — input in, output out in order, asynchronously.
import type { ZlibStream } from './zlib-streams.js';

/** Where a pump's results go. Nothing is called after destroy(). */
export interface PumpEvents {
  /** Output, in input order. */
  output(chunk: Buffer): void;
  /** end() was called and every output before it was delivered. */
  finished(): void;
  failed(err: Error): void;
  /** The input queue went back below zlib's high-water mark after write() returned false. */
  drained(): void;
}

/**
 * Wraps a Node zlib transform. Output is taken as it is produced (flowing mode), so the only queue that grows is
 * zlib's input: write() says when it is above the high-water mark and drained() when it is below again.
 */
export class ZlibPump {
  private dead = false;
  private waitingDrain = false;

  constructor(
    private readonly z: ZlibStream,
    /** Flushed after every write (compressors: each chunk goes out at once); undefined = no flush. */
    private readonly flushKind: number | undefined,
    private readonly ev: PumpEvents,
  ) {
    z.on('data', (c: Buffer) => {
      if (!this.dead) ev.output(c);
    });
    z.on('end', () => {
      if (this.dead) return;
      this.dead = true;
      ev.finished();
    });
    z.on('error', (e: Error) => {
      if (this.dead) return;
      this.dead = true;
      z.destroy();
      ev.failed(e);
    });
    z.on('drain', () => {
      if (this.dead || !this.waitingDrain) return;
      this.waitingDrain = false;
      ev.drained();
    });
  }

  /** Queues input (and a flush). False: stop feeding until drained(). */
  write(data: Buffer): boolean {
    if (this.dead) return true;
    if (data.length > 0) {
      this.z.write(data);
      if (this.flushKind !== undefined) this.z.flush(this.flushKind);
    }
    if (this.z.writableNeedDrain) {
      this.waitingDrain = true;
      return false;
    }
    return true;
  }

  /** The last input: finished() follows the last output. */
  end(data?: Buffer): void {
    if (this.dead) return;
    this.waitingDrain = false;
    if (data !== undefined && data.length > 0) this.z.end(data);
    else this.z.end();
  }

  /** Stops at once: no more events, zlib's memory released. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.z.destroy();
  }
}
