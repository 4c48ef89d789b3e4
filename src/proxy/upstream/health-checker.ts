// Upstream clusters: active health checking — schedules probes per host and applies Envoy's thresholds.
import type { HealthCheck } from '../config/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import type { HostImpl } from './host.js';
import { runProbe, type ProbeResult } from './health-probes.js';

export interface HealthCheckerOptions {
  clusterName: string;
  stats: StatsScope; // cluster scope
  random: () => number;
  /** Envoy uses no_traffic_interval until the cluster has carried traffic. */
  hasTraffic: () => boolean;
  /** Called after a host's health changed (rebuild the picker). */
  onChange: (host: HostImpl) => void;
  /** Called after every completed check (first-check bookkeeping). */
  onCheckDone?: (host: HostImpl) => void;
}

interface Session {
  host: HostImpl;
  timer: NodeJS.Timeout | undefined;
  cancel: (() => void) | undefined;
}

export type Transition = 'unchanged' | 'changed' | 'pending';

/**
 * Envoy's interval choice after a check: without traffic the no-traffic intervals (no_traffic_healthy_interval for a
 * host that passes and is not about to change), else the edge interval right after a transition, the unhealthy
 * interval for a failed host, or the interval; plus up to interval_jitter.
 */
export function healthCheckInterval(c: HealthCheck, s: { hasTraffic: boolean; failed: boolean; transition: Transition }, random: () => number): number {
  const t = s.transition;
  let base: number;
  if (!s.hasTraffic) base = !s.failed && t !== 'pending' ? (c.no_traffic_healthy_interval ?? c.no_traffic_interval) : c.no_traffic_interval;
  else if (s.failed) {
    const unhealthy = c.unhealthy_interval ?? c.interval;
    base = t === 'changed' ? (c.unhealthy_edge_interval ?? unhealthy) : unhealthy;
  } else base = t === 'changed' ? (c.healthy_edge_interval ?? c.interval) : c.interval;
  if (c.interval_jitter) base += random() * c.interval_jitter;
  return base;
}

export class HealthChecker {
  private readonly sessions = new Map<HostImpl, Session>();
  private readonly attempt: Counter;
  private readonly success: Counter;
  private readonly failure: Counter;
  private readonly networkFailure: Counter;
  private readonly healthy: Gauge;
  private closed = false;

  constructor(
    readonly check: HealthCheck,
    private readonly opts: HealthCheckerOptions,
  ) {
    const s = opts.stats;
    this.attempt = s.counter('health_check', 'attempt');
    this.success = s.counter('health_check', 'success');
    this.failure = s.counter('health_check', 'failure');
    this.networkFailure = s.counter('health_check', 'network_failure');
    this.healthy = s.gauge('health_check', 'healthy');
  }

  /** Starts sessions for new hosts, stops them for hosts that left. */
  setHosts(hosts: Iterable<HostImpl>): void {
    if (this.closed) return;
    const keep = new Set<HostImpl>();
    for (const h of hosts) {
      keep.add(h);
      if (this.sessions.has(h)) continue;
      // Envoy: a host under active health checking starts failed until its first check passes.
      h.hc ??= { failed: true, degraded: false, pendingFirst: true, numHealthy: 0, numUnhealthy: 0 };
      h.recomputeHealth();
      const sess: Session = { host: h, timer: undefined, cancel: undefined };
      this.sessions.set(h, sess);
      const jitter = this.check.initial_jitter ? this.opts.random() * this.check.initial_jitter : 0;
      this.schedule(sess, jitter);
    }
    for (const [h, sess] of this.sessions) {
      if (!keep.has(h)) {
        this.stop(sess);
        this.sessions.delete(h);
      }
    }
    this.publishHealthy();
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) this.stop(s);
    this.sessions.clear();
  }

  private stop(s: Session): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    s.cancel?.();
    s.cancel = undefined;
  }

  private schedule(s: Session, delay: number): void {
    s.timer = setTimeout(() => this.run(s), Math.max(0, delay));
  }

  private run(s: Session): void {
    s.timer = undefined;
    const h = s.host;
    const authority = h.hcHostname || (this.check.checker.kind === 'http' ? this.check.checker.host : undefined) || this.opts.clusterName;
    this.attempt.inc();
    s.cancel = runProbe(this.check, { address: h.address, port: h.hcPort ?? h.port, authority }, (r) => {
      s.cancel = undefined;
      if (this.closed || this.sessions.get(h) !== s) return;
      this.onResult(s, r);
    });
  }

  private onResult(s: Session, r: ProbeResult): void {
    const h = s.host;
    const st = h.hc!;
    const first = st.pendingFirst;
    st.pendingFirst = false;
    let t: Transition = 'unchanged';
    if (r.ok) {
      this.success.inc();
      st.numUnhealthy = 0;
      if (st.failed) {
        // The very first success counts in full; later recoveries need healthy_threshold passes.
        if (first || ++st.numHealthy >= this.check.healthy_threshold) {
          st.failed = false;
          st.numHealthy = 0;
          t = 'changed';
        } else t = 'pending';
      }
      if (st.degraded !== r.degraded) {
        st.degraded = r.degraded;
        t = 'changed';
      }
    } else {
      this.failure.inc();
      if (r.kind === 'network') this.networkFailure.inc();
      st.numHealthy = 0;
      if (!st.failed) {
        // An explicit "no" (unexpected HTTP status) fails at once; network trouble needs the threshold.
        if (r.kind === 'active' || ++st.numUnhealthy >= this.check.unhealthy_threshold) {
          st.failed = true;
          st.numUnhealthy = 0;
          t = 'changed';
        } else t = 'pending';
      }
    }
    const healthChanged = h.recomputeHealth();
    if (healthChanged || t === 'changed') {
      this.publishHealthy();
      this.opts.onChange(h);
    }
    this.opts.onCheckDone?.(h);
    if (!this.closed && this.sessions.get(h) === s) this.schedule(s, this.nextInterval(st.failed, t));
  }

  private nextInterval(failed: boolean, t: Transition): number {
    return healthCheckInterval(this.check, { hasTraffic: this.opts.hasTraffic(), failed, transition: t }, this.opts.random);
  }

  private publishHealthy(): void {
    let n = 0;
    for (const h of this.sessions.keys()) if (!h.hc?.failed) n++;
    this.healthy.set(n);
  }
}
