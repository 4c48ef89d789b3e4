// Telemetry: the root stats scope — stats created once at config time, cached by flat name, bumped as plain fields.
import { flatName } from './stat-name.js';
import { HistogramImpl } from './histogram.js';
import { mergeSnapshots, type SnapshotSegment, type StatsSnapshot } from './stats-snapshot.js';
import type { Counter, Gauge, Histogram, StatSegment, StatsScope } from './stats.js';

export type { StatsSnapshot } from './stats-snapshot.js';

function copySegments(segs: readonly StatSegment[]): SnapshotSegment[] {
  return segs.map((s) => (typeof s === 'string' ? s : [s[0], s[1]]));
}

class CounterImpl implements Counter {
  v = 0;
  constructor(readonly segments: SnapshotSegment[]) {}
  inc(n = 1): void {
    this.v += n;
  }
  value(): number {
    return this.v;
  }
}

class GaugeImpl implements Gauge {
  v = 0;
  used = false;
  constructor(readonly segments: SnapshotSegment[]) {}
  set(v: number): void {
    this.v = v;
    this.used = true;
  }
  add(n: number): void {
    this.v += n;
    this.used = true;
  }
  sub(n: number): void {
    this.v -= n;
    this.used = true;
  }
  value(): number {
    return this.v;
  }
}

/** A child scope: only a prefix; every stat lives in the store's maps. */
class ScopeImpl implements StatsScope {
  constructor(
    private readonly store: StatsStore,
    private readonly prefix: readonly StatSegment[],
  ) {}
  counter(name: string, ...more: StatSegment[]): Counter {
    return this.store.counterAt([...this.prefix, name, ...more]);
  }
  gauge(name: string, ...more: StatSegment[]): Gauge {
    return this.store.gaugeAt([...this.prefix, name, ...more]);
  }
  histogram(name: string, ...more: StatSegment[]): Histogram {
    return this.store.histogramAt([...this.prefix, name, ...more]);
  }
  scope(...segments: StatSegment[]): StatsScope {
    return new ScopeImpl(this.store, [...this.prefix, ...segments]);
  }
}

export class StatsStore implements StatsScope {
  private readonly counters = new Map<string, CounterImpl>();
  private readonly gauges = new Map<string, GaugeImpl>();
  private readonly histograms = new Map<string, HistogramImpl>();

  counter(name: string, ...more: StatSegment[]): Counter {
    return this.counterAt([name, ...more]);
  }
  gauge(name: string, ...more: StatSegment[]): Gauge {
    return this.gaugeAt([name, ...more]);
  }
  histogram(name: string, ...more: StatSegment[]): Histogram {
    return this.histogramAt([name, ...more]);
  }
  scope(...segments: StatSegment[]): StatsScope {
    return new ScopeImpl(this, segments);
  }

  /** Same flat name -> same object, so a config reload keeps counting where it left off (as Envoy does). */
  counterAt(segs: readonly StatSegment[]): Counter {
    const key = flatName(segs);
    let c = this.counters.get(key);
    if (c === undefined) this.counters.set(key, (c = new CounterImpl(copySegments(segs))));
    return c;
  }
  gaugeAt(segs: readonly StatSegment[]): Gauge {
    const key = flatName(segs);
    let g = this.gauges.get(key);
    if (g === undefined) this.gauges.set(key, (g = new GaugeImpl(copySegments(segs))));
    return g;
  }
  histogramAt(segs: readonly StatSegment[]): Histogram {
    const key = flatName(segs);
    let h = this.histograms.get(key);
    if (h === undefined) this.histograms.set(key, (h = new HistogramImpl(copySegments(segs))));
    return h;
  }

  /** Plain JSON-able copy of every stat (for /stats and for sending to the primary process). */
  snapshot(): StatsSnapshot {
    const out: StatsSnapshot = { counters: [], gauges: [], histograms: [] };
    for (const c of this.counters.values()) out.counters.push({ segments: c.segments, value: c.v, used: c.v !== 0 });
    for (const g of this.gauges.values()) out.gauges.push({ segments: g.segments, value: g.v, used: g.used });
    for (const h of this.histograms.values()) out.histograms.push(h.snapshot());
    return out;
  }

  /** Workers' snapshots into one (counters, gauges and histogram buckets add). */
  static merge(snaps: readonly StatsSnapshot[]): StatsSnapshot {
    return mergeSnapshots(snaps);
  }
}
