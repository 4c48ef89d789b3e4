// Telemetry: renders a StatsSnapshot as Envoy /stats text, /stats?format=json and Prometheus text exposition 0.0.4.
import { BUCKET_BOUNDS, QUANTILES, estimateQuantile } from './histogram.js';
import { flatName, formatLabels, promName } from './stat-name.js';
import type { HistogramSnapshot, StatsSnapshot, ValueSnapshot } from './stats-snapshot.js';
import type { Re2 } from '../../common/re2.js';

export interface StatsQuery {
  /** RE2 regex matched partially (like Envoy) against the flat name. */
  filter?: Re2;
  /** Only stats that were written at least once. */
  usedOnly?: boolean;
}

/** Applies ?filter= and ?usedonly to a snapshot. */
export function selectStats(snap: StatsSnapshot, q: StatsQuery): StatsSnapshot {
  const keep = (segs: ValueSnapshot['segments'], used: boolean): boolean =>
    (!q.usedOnly || used) && (q.filter === undefined || q.filter.partialMatch(flatName(segs)));
  return {
    counters: snap.counters.filter((s) => keep(s.segments, s.used)),
    gauges: snap.gauges.filter((s) => keep(s.segments, s.used)),
    histograms: snap.histograms.filter((h) => keep(h.segments, h.count > 0)),
  };
}

function byName<T extends { segments: ValueSnapshot['segments'] }>(list: readonly T[]): { name: string; s: T }[] {
  return list.map((s) => ({ name: flatName(s.segments), s })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Shortest decimal, trimmed of float noise (1.0499999999 -> 1.05). */
function num(v: number): string {
  return String(Number(v.toPrecision(12)));
}

function quantileSummary(h: HistogramSnapshot): string {
  if (h.count === 0) return 'No recorded values';
  // We keep no per-flush interval histograms, so the interval half is 'nan' as in an idle Envoy.
  return QUANTILES.map((q) => `P${num(q * 100)}(nan,${num(estimateQuantile(h, q))})`).join(' ');
}

/** Envoy /stats: `name: value` for counters and gauges sorted by name, then histograms' quantile summaries. */
export function formatStatsText(snap: StatsSnapshot): string {
  const lines: string[] = [];
  for (const { name, s } of byName([...snap.counters, ...snap.gauges])) lines.push(`${name}: ${s.value}`);
  for (const { name, s } of byName(snap.histograms)) lines.push(`${name}: ${quantileSummary(s)}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Envoy /stats?format=json. */
export function formatStatsJson(snap: StatsSnapshot): string {
  const stats: unknown[] = byName([...snap.counters, ...snap.gauges]).map(({ name, s }) => ({ name, value: s.value }));
  if (snap.histograms.length > 0) {
    stats.push({
      histograms: {
        supported_quantiles: QUANTILES.map((q) => Number(num(q * 100))),
        computed_quantiles: byName(snap.histograms).map(({ name, s }) => ({
          name,
          values: QUANTILES.map((q) => {
            const v = estimateQuantile(s, q);
            return { interval: null, cumulative: Number.isNaN(v) ? null : Number(num(v)) };
          }),
        })),
      },
    });
  }
  return JSON.stringify({ stats }, null, 1);
}

interface Family {
  type: 'counter' | 'gauge' | 'histogram';
  samples: { labels: string; lines: string[] }[];
}

function family(families: Map<string, Family>, name: string, type: Family['type']): Family {
  let f = families.get(name);
  if (f === undefined) families.set(name, (f = { type, samples: [] }));
  return f;
}

/** Prometheus text format 0.0.4: one `# TYPE` per family, samples grouped under it, histograms cumulative. */
export function formatPrometheus(snap: StatsSnapshot): string {
  const families = new Map<string, Family>();
  const addValue = (s: ValueSnapshot, type: 'counter' | 'gauge'): void => {
    const p = promName(s.segments);
    const labels = formatLabels(p.labels);
    family(families, p.name, type).samples.push({ labels, lines: [`${p.name}${labels} ${s.value}`] });
  };
  for (const c of snap.counters) addValue(c, 'counter');
  for (const g of snap.gauges) addValue(g, 'gauge');
  for (const h of snap.histograms) {
    const p = promName(h.segments);
    const lines: string[] = [];
    let cum = 0;
    for (let i = 0; i < BUCKET_BOUNDS.length; i++) {
      cum += h.buckets[i] ?? 0;
      lines.push(`${p.name}_bucket${formatLabels([...p.labels, ['le', String(BUCKET_BOUNDS[i])]])} ${cum}`);
    }
    lines.push(`${p.name}_bucket${formatLabels([...p.labels, ['le', '+Inf']])} ${h.count}`);
    const labels = formatLabels(p.labels);
    lines.push(`${p.name}_sum${labels} ${num(h.sum)}`, `${p.name}_count${labels} ${h.count}`);
    family(families, p.name, 'histogram').samples.push({ labels, lines });
  }
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name) as Family;
    out.push(`# TYPE ${name} ${f.type}`);
    f.samples.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    for (const s of f.samples) out.push(...s.lines);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
