// Serving: a byte budget for responses on their way out — bounds the control plane's memory while many streams sync.
import type { FramedResponse } from './framed-response.js';
import type { ResponseSink } from './response-sink.js';

/** The slowest reading that still counts against the budget: 1 MiB/s. */
const BYTES_PER_MS = 1024 * 1024 / 1000;

interface Waiting {
  size: number;
  send: (done: () => void) => void;
}

/**
 * Responses are shared between streams, but what the kernel and HTTP/2 hold on the way out is not: a thousand streams
 * each answered a 5 MB EDS at once would queue 5 GB of writes. A response goes out only while the bytes in flight
 * (written, not yet sent) fit the budget; the others wait in order, as the encoded response they share. One response always goes, however large, and a response that its peer does not take within `stallMs` plus
 * a second per MiB stops counting: a stuck client delays the others by that much at most, never for good.
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
    const stall = setTimeout(release, this.stallMs + size / BYTES_PER_MS);
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
 * One stream's writes through the budget, in order and one at a time: the next response is handed on only once the
 * last was sent, so a stream holds at most one copy however slowly its peer reads (a peer that stalls stops holding
 * the budget, but not its place: its later responses wait for it). `write` says false while a response waits (for
 * the stream's turn or for budget) or the stream's own buffer is full; `drained` resolves once none of that holds.
 */
export class BudgetedStream {
  private readonly backlog: FramedResponse[] = [];
  /** Handed to the budget and not started yet. */
  private waiting = false;
  /** The response on its way out: called once it is sent (or the stream closed). */
  private current: (() => void) | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly budget: SendBudget,
    private readonly out: ResponseSink,
  ) {}

  write(response: FramedResponse): boolean {
    if (this.closed) return true;
    this.backlog.push(response);
    this.next();
    return this.idle();
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.closed && !this.idle()) return;
        this.waiters.delete(check);
        this.out.off('drain', check);
        resolve();
      };
      this.waiters.add(check);
      this.out.on('drain', check);
      check();
    });
  }

  /** The stream ended: its response in flight no longer counts, the rest are dropped. */
  close(): void {
    this.closed = true;
    this.backlog.length = 0;
    this.current?.();
    this.wake();
  }

  private idle(): boolean {
    return this.backlog.length === 0 && !this.waiting && !this.out.writableNeedDrain;
  }

  private next(): void {
    if (this.closed || this.waiting || this.current !== undefined || this.backlog.length === 0) return;
    const response = this.backlog.shift()!;
    this.waiting = true;
    this.budget.submit(response.size, (done) => {
      this.waiting = false;
      if (this.closed) {
        done();
        return;
      }
      const sent = (): void => {
        if (this.current !== sent) return;
        this.current = undefined;
        done();
        this.next();
        this.wake();
      };
      this.current = sent;
      this.out.write(response, sent);
      this.wake();
    });
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
