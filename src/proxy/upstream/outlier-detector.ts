// Upstream clusters: outlier detection (consecutive errors, success rate, failure percentage, ejection timing).
import type { OutlierDetection } from '../config/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import type { HostImpl, OutlierHostState } from './host.js';
import type { UpstreamFailure } from './types.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import { outlierWithRuntime } from '../runtime-config/upstream-runtime.js';

export type EjectionType =
  | 'consecutive_5xx'
  | 'consecutive_gateway_failure'
  | 'consecutive_local_origin_failure'
  | 'success_rate'
  | 'local_origin_success_rate'
  | 'failure_percentage'
  | 'failure_percentage_local_origin';

const EJECTION_TYPES: readonly EjectionType[] = [
  'consecutive_5xx',
  'consecutive_gateway_failure',
  'consecutive_local_origin_failure',
  'success_rate',
  'local_origin_success_rate',
  'failure_percentage',
  'failure_percentage_local_origin',
];

// Envoy defaults for knobs our config model does not carry.
const ENFORCING_LOCAL_ORIGIN_SUCCESS_RATE = 100;
const ENFORCING_FAILURE_PERCENTAGE_LOCAL_ORIGIN = 0;

export interface OutlierDetectorOptions {
  stats: StatsScope; // cluster scope
  /** outlier_detection.* runtime keys override the config (all but interval, fixed when the detector starts). */
  runtime?: RuntimeSource;
  hosts: () => readonly HostImpl[];
  onChange: () => void;
  random: () => number;
  now?: () => number;
}

export interface Outcome {
  status?: number;
  localFailure?: UpstreamFailure;
}

/** Without split mode Envoy maps local-origin failures to HTTP codes (timeout 504, others 503). */
function mappedStatus(f: UpstreamFailure): number {
  return f === 'timeout' ? 504 : 503;
}

export class OutlierDetector {
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly active: Gauge;
  private readonly counters = new Map<string, Counter>();
  private closed = false;

  constructor(
    private readonly configured: OutlierDetection,
    private readonly opts: OutlierDetectorOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.active = opts.stats.gauge('outlier_detection', 'ejections_active');
    // Create every counter up front so /stats shows zeros, as Envoy does.
    for (const n of ['ejections_total', 'ejections_overflow', 'ejections_enforced_total']) this.counter(n);
    for (const t of EJECTION_TYPES) {
      this.counter(`ejections_detected_${t}`);
      this.counter(`ejections_enforced_${t}`);
    }
    this.timer = setInterval(() => this.onInterval(), Math.max(1, configured.interval));
    this.refreshActive();
  }

  /** The settings in force: the config with the runtime's outlier_detection.* values applied. */
  get config(): OutlierDetection {
    return outlierWithRuntime(this.opts.runtime, this.configured);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  report(host: HostImpl, o: Outcome): void {
    if (this.closed) return;
    const s = host.outlier;
    if (o.status !== undefined) {
      if (this.config.split_external_local_origin_errors) this.localSuccess(s);
      this.putHttpStatus(host, o.status);
    } else if (o.localFailure !== undefined) {
      if (this.config.split_external_local_origin_errors) this.localFailure(host);
      else this.putHttpStatus(host, mappedStatus(o.localFailure));
    }
  }

  private putHttpStatus(host: HostImpl, status: number): void {
    const s = host.outlier;
    const c = this.config;
    s.extTotal++;
    if (status < 500 || status > 599) {
      s.extSuccess++;
      s.consecutive5xx = 0;
      s.consecutiveGatewayFailure = 0;
      return;
    }
    // Envoy fires on reaching the threshold exactly, so a host already ejected does not re-fire.
    if (status >= 502 && status <= 504) {
      if (++s.consecutiveGatewayFailure === c.consecutive_gateway_failure) this.onConsecutive(host, 'consecutive_gateway_failure');
    } else {
      s.consecutiveGatewayFailure = 0;
    }
    if (++s.consecutive5xx === c.consecutive_5xx) this.onConsecutive(host, 'consecutive_5xx');
  }

  private localSuccess(s: OutlierHostState): void {
    s.localTotal++;
    s.localSuccess++;
    s.consecutiveLocalOriginFailure = 0;
  }

  private localFailure(host: HostImpl): void {
    const s = host.outlier;
    s.localTotal++;
    if (++s.consecutiveLocalOriginFailure === this.config.consecutive_local_origin_failure) {
      this.onConsecutive(host, 'consecutive_local_origin_failure');
    }
  }

  private onConsecutive(host: HostImpl, type: EjectionType): void {
    if (host.ejected) return;
    this.detected(type);
    this.eject(host, type);
    // Envoy resets the counter that fired whether or not the ejection was enforced.
    const s = host.outlier;
    if (type === 'consecutive_5xx') s.consecutive5xx = 0;
    else if (type === 'consecutive_gateway_failure') s.consecutiveGatewayFailure = 0;
    else s.consecutiveLocalOriginFailure = 0;
  }

  private enforcing(type: EjectionType): number {
    const c = this.config;
    switch (type) {
      case 'consecutive_5xx':
        return c.enforcing_consecutive_5xx;
      case 'consecutive_gateway_failure':
        return c.enforcing_consecutive_gateway_failure;
      case 'consecutive_local_origin_failure':
        return c.enforcing_consecutive_local_origin_failure;
      case 'success_rate':
        return c.enforcing_success_rate;
      case 'local_origin_success_rate':
        return ENFORCING_LOCAL_ORIGIN_SUCCESS_RATE;
      case 'failure_percentage':
        return c.enforcing_failure_percentage;
      case 'failure_percentage_local_origin':
        return ENFORCING_FAILURE_PERCENTAGE_LOCAL_ORIGIN;
    }
  }

  private eject(host: HostImpl, type: EjectionType): void {
    const hosts = this.opts.hosts();
    const ejectedNow = hosts.reduce((n, h) => n + (h.ejected ? 1 : 0), 0);
    const maxPct = Math.min(100, this.config.max_ejection_percent);
    // Envoy: allowed while the ejected share stays within max_ejection_percent; one host always may go.
    const allowed = ejectedNow === 0 || (100 * (ejectedNow + 1)) / hosts.length <= maxPct;
    if (!allowed) {
      this.count('ejections_overflow');
      return;
    }
    if (this.opts.random() * 100 >= this.enforcing(type)) return;
    this.count('ejections_enforced_total');
    this.count(`ejections_enforced_${type}`);
    const s = host.outlier;
    host.ejected = true;
    s.ejectionBackoff++;
    s.lastEjectionTime = this.now();
    this.refreshActive();
    this.opts.onChange();
  }

  private detected(type: EjectionType): void {
    this.count('ejections_total'); // deprecated in Envoy: detections, enforced or not
    this.count(`ejections_detected_${type}`);
  }

  private onInterval(): void {
    const now = this.now();
    const hosts = this.opts.hosts();
    let changed = false;
    for (const h of hosts) changed = this.checkUneject(h, now) || changed;
    this.processRates(hosts, 'ext');
    if (this.config.split_external_local_origin_errors) this.processRates(hosts, 'local');
    for (const h of hosts) {
      const s = h.outlier;
      s.extTotal = s.extSuccess = s.localTotal = s.localSuccess = 0;
    }
    if (changed) {
      this.refreshActive();
      this.opts.onChange();
    }
  }

  private checkUneject(h: HostImpl, now: number): boolean {
    const s = h.outlier;
    if (!h.ejected) {
      // A host that stays in service earns its backoff multiplier down, one step per interval.
      if (s.ejectionBackoff > 0) s.ejectionBackoff--;
      return false;
    }
    const ejectFor = Math.min(this.config.base_ejection_time * s.ejectionBackoff, Math.max(this.config.max_ejection_time, this.config.base_ejection_time));
    if (now - s.lastEjectionTime < ejectFor) return false;
    h.ejected = false;
    // Fresh counters so a few new errors close to a threshold do not re-eject at once.
    s.consecutive5xx = s.consecutiveGatewayFailure = s.consecutiveLocalOriginFailure = 0;
    return true;
  }

  private processRates(hosts: readonly HostImpl[], origin: 'ext' | 'local'): void {
    const c = this.config;
    const sr: { host: HostImpl; rate: number }[] = [];
    const fp: { host: HostImpl; rate: number }[] = [];
    for (const h of hosts) {
      if (h.ejected) continue;
      const total = origin === 'ext' ? h.outlier.extTotal : h.outlier.localTotal;
      const ok = origin === 'ext' ? h.outlier.extSuccess : h.outlier.localSuccess;
      if (total === 0) continue;
      const rate = (100 * ok) / total;
      if (total >= c.success_rate_request_volume) sr.push({ host: h, rate });
      if (total >= c.failure_percentage_request_volume) fp.push({ host: h, rate });
    }
    if (sr.length > 0 && sr.length >= c.success_rate_minimum_hosts) {
      const mean = sr.reduce((a, x) => a + x.rate, 0) / sr.length;
      const variance = sr.reduce((a, x) => a + (x.rate - mean) ** 2, 0) / sr.length;
      const threshold = mean - Math.sqrt(variance) * (c.success_rate_stdev_factor / 1000);
      const type: EjectionType = origin === 'ext' ? 'success_rate' : 'local_origin_success_rate';
      for (const x of sr) {
        if (x.rate < threshold && !x.host.ejected) {
          this.detected(type);
          this.eject(x.host, type);
        }
      }
    }
    if (fp.length > 0 && fp.length >= c.failure_percentage_minimum_hosts) {
      const type: EjectionType = origin === 'ext' ? 'failure_percentage' : 'failure_percentage_local_origin';
      for (const x of fp) {
        if (100 - x.rate >= c.failure_percentage_threshold && !x.host.ejected) {
          this.detected(type);
          this.eject(x.host, type);
        }
      }
    }
  }

  private refreshActive(): void {
    this.active.set(this.opts.hosts().reduce((n, h) => n + (h.ejected ? 1 : 0), 0));
  }

  /** Re-reads the host list (after discovery changes) so the gauge drops removed ejected hosts. */
  hostsChanged(): void {
    this.refreshActive();
  }

  private counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = this.opts.stats.counter('outlier_detection', name)));
    return c;
  }

  private count(name: string): void {
    this.counter(name).inc();
  }
}
