// Serving: control-plane metrics under Istio's names (pilot_xds_pushes, pilot_xds_push_time, pilot_proxy_convergence_time, pilot_xds), Prometheus text.
//
// Not the proxy's StatsStore: that one records milliseconds with Envoy's buckets and renders envoy_* names;
// pilot metrics are seconds with Istio's names and a `type` label.

export interface XdsMetrics {
  /** One response sent (pilot_xds_pushes{type}). */
  pushed(type: string): void;
  /** Time to generate, encode and write one response, seconds (pilot_xds_push_time{type}). */
  pushTime(type: string, seconds: number): void;
  /** Push trigger to the proxy's ACK of everything that push sent, seconds (pilot_proxy_convergence_time). */
  convergence(seconds: number): void;
  /** One NACK received (pilot_total_xds_rejects{type}). */
  rejected(type: string): void;
  /** Connected xDS streams (pilot_xds). */
  connected(n: number): void;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 3, 5, 10, 30];

class Hist {
  readonly counts = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    for (let i = 0; i < BUCKETS.length; i++) if (v <= BUCKETS[i]) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

function labels(type: string | undefined): string {
  return type === undefined ? '' : `{type="${type}"}`;
}

function withLe(type: string | undefined, le: string): string {
  return type === undefined ? `{le="${le}"}` : `{type="${type}",le="${le}"}`;
}

/** In-memory XdsMetrics with a Prometheus exposition; the lead appends render() to /metrics. */
export class PilotMetrics implements XdsMetrics {
  readonly pushes = new Map<string, number>();
  readonly rejects = new Map<string, number>();
  readonly pushTimes = new Map<string, Hist>();
  readonly convergenceTime = new Hist();
  connectedProxies = 0;

  pushed(type: string): void {
    this.pushes.set(type, (this.pushes.get(type) ?? 0) + 1);
  }
  pushTime(type: string, seconds: number): void {
    let h = this.pushTimes.get(type);
    if (h === undefined) this.pushTimes.set(type, (h = new Hist()));
    h.observe(seconds);
  }
  convergence(seconds: number): void {
    this.convergenceTime.observe(seconds);
  }
  rejected(type: string): void {
    this.rejects.set(type, (this.rejects.get(type) ?? 0) + 1);
  }
  connected(n: number): void {
    this.connectedProxies = n;
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP pilot_xds_pushes Pilot build and send errors for lds, rds, cds and eds.', '# TYPE pilot_xds_pushes counter');
    for (const [t, v] of [...this.pushes].sort()) out.push(`pilot_xds_pushes${labels(t)} ${v}`);
    out.push('# HELP pilot_total_xds_rejects Total number of XDS responses from pilot rejected by proxy.', '# TYPE pilot_total_xds_rejects counter');
    for (const [t, v] of [...this.rejects].sort()) out.push(`pilot_total_xds_rejects${labels(t)} ${v}`);
    out.push('# HELP pilot_xds_push_time Total time in seconds Pilot takes to push lds, rds, cds and eds.', '# TYPE pilot_xds_push_time histogram');
    for (const [t, h] of [...this.pushTimes].sort((a, b) => a[0].localeCompare(b[0]))) hist(out, 'pilot_xds_push_time', t, h);
    out.push('# HELP pilot_proxy_convergence_time Delay in seconds between config change and a proxy receiving all required configuration.');
    out.push('# TYPE pilot_proxy_convergence_time histogram');
    hist(out, 'pilot_proxy_convergence_time', undefined, this.convergenceTime);
    out.push('# HELP pilot_xds Number of endpoints connected to this pilot using XDS.', '# TYPE pilot_xds gauge', `pilot_xds ${this.connectedProxies}`);
    return out.join('\n') + '\n';
  }
}

function hist(out: string[], name: string, type: string | undefined, h: Hist): void {
  BUCKETS.forEach((b, i) => out.push(`${name}_bucket${withLe(type, String(b))} ${h.counts[i]}`));
  out.push(`${name}_bucket${withLe(type, '+Inf')} ${h.count}`, `${name}_sum${labels(type)} ${h.sum}`, `${name}_count${labels(type)} ${h.count}`);
}

/** Discards everything (the default when no metrics sink is given). */
export const NOOP_METRICS: XdsMetrics = {
  pushed: () => {},
  pushTime: () => {},
  convergence: () => {},
  rejected: () => {},
  connected: () => {},
};
