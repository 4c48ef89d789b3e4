// Test fakes: a flat in-memory StatsScope and a tiny ClusterManager for listener and tcp_proxy tests.
import type { Cluster } from '../../../src/proxy/config/types.js';
import type { Counter, Gauge, Histogram, StatSegment, StatsScope } from '../../../src/proxy/telemetry/stats.js';
import type { CircuitBreakers, ClusterManager, Host, PickContext, PrioritySet, UpstreamCluster, UpstreamFailure } from '../../../src/proxy/upstream/types.js';

const text = (s: StatSegment): string => (typeof s === 'string' ? s : s[1]);

/** Records every stat under its flat Envoy name, e.g. `listener.127.0.0.1_1234.downstream_cx_total`. */
export class FakeStats implements StatsScope {
  constructor(
    readonly values: Map<string, number> = new Map(),
    readonly samples: Map<string, number[]> = new Map(),
    private readonly prefix: readonly StatSegment[] = [],
  ) {}
  private flat(name: string, more: StatSegment[]): string {
    return [...this.prefix, name, ...more].map(text).join('.');
  }
  counter(name: string, ...more: StatSegment[]): Counter {
    const k = this.flat(name, more);
    const v = this.values;
    return { inc: (n = 1) => void v.set(k, (v.get(k) ?? 0) + n), value: () => v.get(k) ?? 0 };
  }
  gauge(name: string, ...more: StatSegment[]): Gauge {
    const k = this.flat(name, more);
    const v = this.values;
    return {
      set: (x) => void v.set(k, x),
      add: (n) => void v.set(k, (v.get(k) ?? 0) + n),
      sub: (n) => void v.set(k, (v.get(k) ?? 0) - n),
      value: () => v.get(k) ?? 0,
    };
  }
  histogram(name: string, ...more: StatSegment[]): Histogram {
    const k = this.flat(name, more);
    return { record: (x) => void (this.samples.get(k) ?? this.samples.set(k, []).get(k)!).push(x) };
  }
  scope(...segments: StatSegment[]): StatsScope {
    return new FakeStats(this.values, this.samples, [...this.prefix, ...segments]);
  }
  get(flat: string): number {
    return this.values.get(flat) ?? 0;
  }
}

export function fakeHost(address: string, port: number): Host {
  return {
    address,
    port,
    key: `${address}:${port}`,
    hostname: '',
    weight: 1,
    locality: { region: '', zone: '', sub_zone: '' },
    priority: 0,
    activeRequests: 0,
    health: 'healthy',
    ejected: false,
    stats: { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 },
  };
}

const openBreakers: CircuitBreakers = {
  tryStartRequest: () => true,
  endRequest: () => {},
  tryStartPending: () => true,
  endPending: () => {},
  tryStartRetry: () => true,
  endRetry: () => {},
  tryOpenConnection: () => true,
  closeConnection: () => {},
};

/** Minimal Cluster config: only the fields tcp_proxy reads matter. */
export function clusterConfig(name: string, over: Partial<Cluster> = {}): Cluster {
  return { name, connect_timeout: 1000, ...over } as Cluster;
}

/** Picks hosts round robin by attempt number; remembers reportResult calls. */
export class FakeCluster implements UpstreamCluster {
  readonly reports: { host: Host; localFailure?: UpstreamFailure }[] = [];
  readonly breakers = openBreakers;
  constructor(
    readonly name: string,
    readonly hosts: Host[],
    readonly stats: StatsScope,
    readonly config: Cluster = clusterConfig(name),
  ) {}
  chooseHost(ctx: PickContext): Host | null {
    return this.hosts.length === 0 ? null : this.hosts[ctx.attempt % this.hosts.length]!;
  }
  reportResult(host: Host, outcome: { status?: number; localFailure?: UpstreamFailure }): void {
    this.reports.push({ host, localFailure: outcome.localFailure });
  }
  prioritySet(): PrioritySet {
    return [];
  }
  setLoadAssignment(): void {}
}

export class FakeClusterManager implements ClusterManager {
  private readonly map = new Map<string, UpstreamCluster>();
  constructor(clusters: UpstreamCluster[] = []) {
    for (const c of clusters) this.map.set(c.name, c);
  }
  get(name: string): UpstreamCluster | undefined {
    return this.map.get(name);
  }
  all(): readonly UpstreamCluster[] {
    return [...this.map.values()];
  }
  update(): void {}
  setLoadAssignment(): boolean {
    return false;
  }
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}
