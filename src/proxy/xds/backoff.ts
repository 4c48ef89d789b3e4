// xDS client: jittered exponential backoff for reconnecting to the control plane.

export interface BackoffOptions {
  /** First delay, ms (Envoy's ADS retry starts at 500 ms; we start lower so a restarted control plane is found fast). */
  baseMs?: number;
  /** Upper bound of any delay, ms. */
  maxMs?: number;
  random?: () => number;
}

/**
 * Delay n (n = 0, 1, …) is drawn uniformly from [ceiling/2, ceiling] with ceiling = min(max, base·2ⁿ):
 * the jitter spreads a fleet of proxies reconnecting to a restarted control plane, the lower half-bound
 * keeps a single proxy from hammering it.
 */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 250;
    this.maxMs = opts.maxMs ?? 5000;
    this.random = opts.random ?? Math.random;
  }

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** A stream that delivered a response is healthy: the next failure starts over from the base delay. */
  reset(): void {
    this.attempt = 0;
  }
}
