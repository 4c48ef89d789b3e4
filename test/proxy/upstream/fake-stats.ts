// Test support: an in-memory StatsScope that records every stat under its flat Envoy name.
import type { Counter, Gauge, Histogram, StatSegment, StatsScope } from '../../../src/proxy/telemetry/stats.js';
import { flatName } from '../../../src/proxy/telemetry/stat-name.js';

export class FakeStats implements StatsScope {
  constructor(
    private readonly store: Map<string, number> = new Map(),
    private readonly prefix: readonly StatSegment[] = [],
  ) {}

  counter(name: string, ...more: StatSegment[]): Counter {
    const key = this.key(name, more);
    if (!this.store.has(key)) this.store.set(key, 0);
    return {
      inc: (n = 1) => void this.store.set(key, (this.store.get(key) ?? 0) + n),
      value: () => this.store.get(key) ?? 0,
    };
  }

  gauge(name: string, ...more: StatSegment[]): Gauge {
    const key = this.key(name, more);
    if (!this.store.has(key)) this.store.set(key, 0);
    const get = (): number => this.store.get(key) ?? 0;
    return {
      set: (v) => void this.store.set(key, v),
      add: (n) => void this.store.set(key, get() + n),
      sub: (n) => void this.store.set(key, get() - n),
      value: get,
    };
  }

  histogram(name: string, ...more: StatSegment[]): Histogram {
    const key = this.key(name, more);
    return { record: (v) => void this.store.set(key, v) };
  }

  scope(...segments: StatSegment[]): StatsScope {
    return new FakeStats(this.store, [...this.prefix, ...segments]);
  }

  /** Reads a stat by flat name, e.g. `cluster.web.membership_total`; undefined if never created. */
  get(flat: string): number | undefined {
    return this.store.get(flat);
  }

  private key(name: string, more: readonly StatSegment[]): string {
    return flatName([...this.prefix, name, ...more]);
  }
}
