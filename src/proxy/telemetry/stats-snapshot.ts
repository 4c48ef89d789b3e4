// Telemetry: the plain-JSON snapshot of a stats store (crosses worker -> primary IPC) and merging of snapshots.
import { flatName } from './stat-name.js';

/** A StatSegment after a JSON round trip (tuples become plain arrays). */
export type SnapshotSegment = string | [string, string];

export interface ValueSnapshot {
  segments: SnapshotSegment[];
  value: number;
  /** Envoy's "used": a counter was incremented or a gauge was written at least once. */
  used: boolean;
}

export interface HistogramSnapshot {
  segments: SnapshotSegment[];
  /** Per-bucket (not cumulative) counts; index i counts v <= BUCKET_BOUNDS[i], the last one the overflow. */
  buckets: number[];
  sum: number;
  count: number;
  /** Smallest and largest recorded values (0 when count is 0). */
  min: number;
  max: number;
}

export interface StatsSnapshot {
  counters: ValueSnapshot[];
  gauges: ValueSnapshot[];
  histograms: HistogramSnapshot[];
}

export function emptySnapshot(): StatsSnapshot {
  return { counters: [], gauges: [], histograms: [] };
}

function mergeValues(lists: readonly (readonly ValueSnapshot[])[]): ValueSnapshot[] {
  const byName = new Map<string, ValueSnapshot>();
  for (const list of lists) {
    for (const s of list) {
      const key = flatName(s.segments);
      const have = byName.get(key);
      if (have === undefined) byName.set(key, { segments: s.segments, value: s.value, used: s.used });
      else {
        have.value += s.value;
        have.used ||= s.used;
      }
    }
  }
  return [...byName.values()];
}

function mergeHistograms(lists: readonly (readonly HistogramSnapshot[])[]): HistogramSnapshot[] {
  const byName = new Map<string, HistogramSnapshot>();
  for (const list of lists) {
    for (const h of list) {
      const key = flatName(h.segments);
      const have = byName.get(key);
      if (have === undefined) {
        byName.set(key, { segments: h.segments, buckets: [...h.buckets], sum: h.sum, count: h.count, min: h.min, max: h.max });
        continue;
      }
      for (let i = 0; i < h.buckets.length; i++) have.buckets[i] = (have.buckets[i] ?? 0) + h.buckets[i];
      if (h.count > 0) {
        have.min = have.count > 0 ? Math.min(have.min, h.min) : h.min;
        have.max = have.count > 0 ? Math.max(have.max, h.max) : h.max;
      }
      have.sum += h.sum;
      have.count += h.count;
    }
  }
  return [...byName.values()];
}

/** Workers' snapshots into one: counters, gauges and histogram buckets add up, keyed by flat name. */
export function mergeSnapshots(snaps: readonly StatsSnapshot[]): StatsSnapshot {
  return {
    counters: mergeValues(snaps.map((s) => s.counters)),
    gauges: mergeValues(snaps.map((s) => s.gauges)),
    histograms: mergeHistograms(snaps.map((s) => s.histograms)),
  };
}
