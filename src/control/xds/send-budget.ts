// Serving: a byte budget for responses on their way out — bounds the control plane's memory while many streams sync.
import type { Writable } from 'node:stream';

interface Waiting {
  size: number;
  send: (done: () => void) => void;
}

/**
 * grpc-js copies every response into a frame of its own and holds that copy until HTTP/2 has sent it, so a thousand
 * streams each answered a 5 MB EDS at once hold 5 GB. A response goes out only while the bytes in flight (written,
 * not yet sent) fit the budget; the others wait in order, as the encoded response they share (no copy). One
 * response always goes, however large, and a response that a peer does not read within `stallMs` stops counting:
 * a stuck client delays the others by that much at most, never for good.
 */
export class SendBudget {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];

  constructor(
    readonly limitBytes: number,
    private readonly stallMs: number,
  ) {}

  /** Runs `send` now (true) or once the budget allows (false); `send` calls its `done` when the bytes are sent. */
  submit(size: number, send: (done: () => void) => void): boolean {
    if (this.waiting.length === 0 && this.fits(size)) {
      this.start(size, send);
      return true;
    }
    this.waiting.push({ size, send });
    return false;
  }

  /** Bytes written and not yet sent (for tests and metrics). */
  get bytesInFlight(): number {
    return this.inFlight;
  }

  private fits(size: number): boolean {
    return this.inFlight === 0 || this.inFlight + size <= this.limitBytes;
  }

  private start(size: number, send: (done: () => void) => void): void {
    this.inFlight += size;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(stall);
      this.inFlight -= size;
      this.pump();
    };
    const stall = setTimeout(release, this.stallMs);
    stall.unref();
    send(release);
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.size)) {
      const next = this.waiting.shift()!;
      this.start(next.size, next.send);
    }
  }
}

/**
 * One stream's writes through the budget, in order. `write` says false while a response waits for budget or the
 * stream's own buffer is full; `drained` resolves once neither holds (or the stream closed).
 */
export class BudgetedStream {
  private queued = 0;
  private closed = false;
  private readonly flights = new Set<() => void>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly budget: SendBudget,
    private readonly out: Writable,
  ) {}

  write(bytes: Buffer): boolean {
    this.queued++;
    const now = this.budget.submit(bytes.length, (done) => {
      this.queued--;
      if (this.closed) {
        done();
      } else {
        const sent = (): void => {
          this.flights.delete(sent);
          done();
        };
        this.flights.add(sent);
        this.out.write(bytes, sent);
      }
      this.wake();
    });
    return now && !this.out.writableNeedDrain;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.closed && (this.queued > 0 || this.out.writableNeedDrain)) return;
        this.waiters.delete(check);
        this.out.off('drain', check);
        resolve();
      };
      this.waiters.add(check);
      this.out.on('drain', check);
      check();
    });
  }

  /** The stream ended: what it had in flight no longer counts, and what waits for budget is dropped when its turn comes. */
  close(): void {
    this.closed = true;
    for (const sent of [...this.flights]) sent();
    this.wake();
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
