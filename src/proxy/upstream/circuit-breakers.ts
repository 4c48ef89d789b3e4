// Upstream clusters: circuit breakers for the DEFAULT priority (connections, pending, requests, retries).
import type { CircuitBreakerThresholds } from '../config/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import type { CircuitBreakers } from './types.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import { breakerKeys, type BreakerLimit } from '../runtime-config/upstream-runtime.js';

/** Envoy's defaults when a cluster has no DEFAULT thresholds entry. */
export const DEFAULT_THRESHOLDS: CircuitBreakerThresholds = Object.freeze({
  priority: 'DEFAULT',
  max_connections: 1024,
  max_pending_requests: 1024,
  max_requests: 1024,
  max_retries: 3,
  track_remaining: false,
});

// Envoy's retry_budget defaults.
const DEFAULT_BUDGET_PERCENT = 20;
const DEFAULT_MIN_RETRY_CONCURRENCY = 3;

interface Resource {
  open: Gauge;
  remaining: Gauge | undefined;
  overflow: Counter;
}

export interface BreakerCounts {
  cx: number;
  pending: number;
  rq: number;
  retries: number;
}

export class CircuitBreakersImpl implements CircuitBreakers {
  readonly thresholds: CircuitBreakerThresholds;
  /** Shared with the cluster this one replaced: its connections and requests still count, and end, here. */
  private readonly counts: BreakerCounts;
  private readonly cx: Resource;
  private readonly pending: Resource;
  private readonly rq: Resource;
  private readonly retry: Resource;
  private readonly keys: ReturnType<typeof breakerKeys> | undefined;

  /**
   * `stats` is the cluster scope; `carry` is the replaced cluster's live counts (the object itself, so what its
   * connections and requests release when they end is released here too); with `runtime`, the
   * circuit_breakers.<cluster>.default.* keys override the limits (read at every check, as in Envoy).
   */
  constructor(
    all: readonly CircuitBreakerThresholds[],
    stats: StatsScope,
    carry?: BreakerCounts,
    private readonly runtime?: { source: RuntimeSource; cluster: string },
  ) {
    this.thresholds = all.find((t) => t.priority === 'DEFAULT') ?? DEFAULT_THRESHOLDS;
    this.keys = runtime === undefined ? undefined : breakerKeys(runtime.cluster, this.thresholds);
    const track = this.thresholds.track_remaining;
    const res = (open: string, remaining: string, overflow: string): Resource => ({
      open: stats.gauge('circuit_breakers', 'default', open),
      remaining: track ? stats.gauge('circuit_breakers', 'default', remaining) : undefined,
      overflow: stats.counter(overflow),
    });
    this.cx = res('cx_open', 'remaining_cx', 'upstream_cx_overflow');
    this.pending = res('rq_pending_open', 'remaining_pending', 'upstream_rq_pending_overflow');
    // Envoy counts max_requests overflow as upstream_rq_pending_overflow too.
    this.rq = res('rq_open', 'remaining_rq', 'upstream_rq_pending_overflow');
    this.retry = res('rq_retry_open', 'remaining_retries', 'upstream_rq_retry_overflow');
    this.counts = carry ?? { cx: 0, pending: 0, rq: 0, retries: 0 };
    this.publishAll();
  }

  /** The live counts, for the cluster that replaces this one. */
  shared(): BreakerCounts {
    return this.counts;
  }

  maxRetries(): number {
    const b = this.thresholds.retry_budget;
    if (!b) return this.limit('max_retries');
    // A budget replaces max_retries: a share of active + pending requests, with a floor.
    let pct = b.budget_percent || DEFAULT_BUDGET_PERCENT;
    let floor = b.min_retry_concurrency || DEFAULT_MIN_RETRY_CONCURRENCY;
    if (this.runtime !== undefined && this.keys !== undefined) {
      const s = this.runtime.source.snapshot();
      pct = s.getDouble(this.keys.budget_percent, pct);
      floor = s.getInteger(this.keys.min_retry_concurrency, floor);
    }
    return Math.max(floor, Math.floor(((this.counts.rq + this.counts.pending) * pct) / 100));
  }

  private limit(name: BreakerLimit): number {
    const t = this.thresholds[name];
    return this.runtime === undefined || this.keys === undefined ? t : this.runtime.source.snapshot().getInteger(this.keys[name], t);
  }

  tryStartRequest(): boolean {
    return this.tryStart('rq', this.rq, this.limit('max_requests'));
  }
  endRequest(): void {
    this.end('rq', this.rq, this.limit('max_requests'));
  }
  tryStartPending(): boolean {
    return this.tryStart('pending', this.pending, this.limit('max_pending_requests'));
  }
  endPending(): void {
    this.end('pending', this.pending, this.limit('max_pending_requests'));
  }
  tryStartRetry(): boolean {
    return this.tryStart('retries', this.retry, this.maxRetries());
  }
  endRetry(): void {
    this.end('retries', this.retry, this.maxRetries());
  }
  tryOpenConnection(): boolean {
    return this.tryStart('cx', this.cx, this.limit('max_connections'));
  }
  closeConnection(): void {
    this.end('cx', this.cx, this.limit('max_connections'));
  }

  private tryStart(k: keyof BreakerCounts, r: Resource, max: number): boolean {
    if (this.counts[k] >= max) {
      r.overflow.inc();
      return false;
    }
    this.counts[k]++;
    this.publish(k, r, max);
    return true;
  }

  private end(k: keyof BreakerCounts, r: Resource, max: number): void {
    if (this.counts[k] > 0) this.counts[k]--;
    this.publish(k, r, max);
  }

  private publish(k: keyof BreakerCounts, r: Resource, max: number): void {
    r.open.set(this.counts[k] >= max ? 1 : 0);
    r.remaining?.set(Math.max(0, max - this.counts[k]));
  }

  private publishAll(): void {
    this.publish('cx', this.cx, this.limit('max_connections'));
    this.publish('pending', this.pending, this.limit('max_pending_requests'));
    this.publish('rq', this.rq, this.limit('max_requests'));
    this.publish('retries', this.retry, this.maxRetries());
  }
}
