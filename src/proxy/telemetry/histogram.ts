// Telemetry: fixed-bucket latency histograms (Envoy's default bounds) and quantile estimates from buckets.
import type { Histogram } from './stats.js';
import type { HistogramSnapshot, SnapshotSegment } from './stats-snapshot.js';

/** Envoy's default histogram bucket upper bounds, in milliseconds. */
export const BUCKET_BOUNDS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
]);

/** Envoy's supported quantiles for /stats, as fractions. */
export const QUANTILES: readonly number[] = Object.freeze([0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1]);

/** Unfrozen typed copy for the hot path (frozen arrays are slower to index in V8). */
const BOUNDS = Float64Array.from(BUCKET_BOUNDS);
const NB = BOUNDS.length;

export class HistogramImpl implements Histogram {
  /** One slot per bound plus the overflow slot. */
  readonly buckets = new Float64Array(BUCKET_BOUNDS.length + 1);
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly segments: readonly SnapshotSegment[]) {}

  record(v: number): void {
    // Binary search for the first bound >= v (Prometheus 'le' semantics); 19 bounds -> ~5 compares.
    let lo = 0;
    let hi = NB;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= BOUNDS[mid]) hi = mid;
      else lo = mid + 1;
    }
    this.buckets[lo]++;
    this.sum += v;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  snapshot(): HistogramSnapshot {
    const empty = this.count === 0;
    return {
      segments: [...this.segments],
      buckets: Array.from(this.buckets),
      sum: this.sum,
      count: this.count,
      min: empty ? 0 : this.min,
      max: empty ? 0 : this.max,
    };
  }
}

/**
 * Estimates quantile q (0..1) by linear interpolation inside the bucket holding rank q*count,
 * clamped to the recorded min/max so P0 and P100 are exact. NaN when nothing was recorded.
 */
export function estimateQuantile(h: HistogramSnapshot, q: number): number {
  if (h.count === 0) return NaN;
  if (q <= 0) return h.min;
  if (q >= 1) return h.max;
  const rank = q * h.count;
  let cum = 0;
  for (let i = 0; i < h.buckets.length; i++) {
    const n = h.buckets[i];
    if (n === 0) continue;
    if (cum + n >= rank) {
      const lower = Math.max(i === 0 ? 0 : BUCKET_BOUNDS[i - 1], h.min);
      const upper = Math.min(i < BUCKET_BOUNDS.length ? BUCKET_BOUNDS[i] : h.max, h.max);
      if (upper <= lower) return lower;
      return lower + ((upper - lower) * (rank - cum)) / n;
    }
    cum += n;
  }
  return h.max;
}
