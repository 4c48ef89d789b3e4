// Serving: debounces push requests (quiet period + max delay) and merges them into one batch.
import type { PushOptions } from './types.js';

export interface PendingPush {
  opts: PushOptions;
  /** performance.now() of the push() call: convergence time is measured from the earliest merged one. */
  at: number;
}

/**
 * Istio's debounce: fire once no push arrived for `quietMs`, or `maxMs` after the first one, whichever
 * comes first (so a steady stream of changes still goes out). quietMs 0 fires on the next tick.
 */
export class Debouncer {
  private pending: PendingPush[] = [];
  private timer: NodeJS.Timeout | undefined;
  private first = 0;

  constructor(
    private readonly quietMs: number,
    private readonly maxMs: number,
    private readonly fire: (batch: PendingPush[]) => void,
  ) {}

  add(opts: PushOptions): void {
    const now = performance.now();
    if (this.pending.length === 0) this.first = now;
    // an unfiltered all-types push swallows everything pending: nothing else can add to it
    if (opts.proxies === undefined && opts.types === undefined) this.pending = [{ opts, at: Math.min(now, this.pending[0]?.at ?? now) }];
    else if (!(this.pending.length === 1 && this.pending[0].opts.proxies === undefined && this.pending[0].opts.types === undefined)) {
      this.pending.push({ opts, at: now });
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.first + this.maxMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Fires now if anything is pending. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.fire(batch);
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
