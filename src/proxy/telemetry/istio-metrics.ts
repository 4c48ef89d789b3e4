// Telemetry: Istio's standard metric series — label sets resolved once into store counters/histograms, bounded per metric.
import type { Counter, Histogram, StatSegment, StatsScope } from './stats.js';
import type { DimensionExpr } from '../../common/istio-dimension.js';
import type { MetricConfig } from './istio-stats-config.js';

/** Istio's standard label names, in the order every label-values array uses. */
export const ISTIO_LABELS = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'source_canonical_service', 'source_canonical_revision', 'source_cluster',
  'destination_workload', 'destination_workload_namespace', 'destination_principal', 'destination_app',
  'destination_version', 'destination_service', 'destination_service_name', 'destination_service_namespace',
  'destination_canonical_service', 'destination_canonical_revision', 'destination_cluster',
  'request_protocol', 'response_code', 'grpc_response_status', 'response_flags', 'connection_security_policy',
] as const;
export type IstioLabel = (typeof ISTIO_LABELS)[number];
export const LABEL_INDEX: Readonly<Record<IstioLabel, number>> = Object.fromEntries(ISTIO_LABELS.map((l, i) => [l, i])) as Record<IstioLabel, number>;

export const ISTIO_COUNTERS = [
  'istio_requests_total', 'istio_request_messages_total', 'istio_response_messages_total',
  'istio_tcp_sent_bytes_total', 'istio_tcp_received_bytes_total', 'istio_tcp_connections_opened_total', 'istio_tcp_connections_closed_total',
] as const;
export const ISTIO_HISTOGRAMS = ['istio_request_duration_milliseconds', 'istio_request_bytes', 'istio_response_bytes'] as const;
export type IstioMetricName = (typeof ISTIO_COUNTERS)[number] | (typeof ISTIO_HISTOGRAMS)[number];

/** Default cap on distinct label sets per metric; past it, samples fold into one `overflow` series. */
export const DEFAULT_MAX_SERIES = 5000;
export const OVERFLOW_VALUE = 'overflow';

/** Per-metric shaping from stats.PluginConfig `metrics[]` (dropped metric, removed tags, extra tags). */
export interface MetricShape {
  readonly drop: boolean;
  /** Label indexes (into ISTIO_LABELS) kept in the series, in order. */
  readonly keep: readonly number[];
  /** Extra dimensions: name -> index into the per-request extra values. */
  readonly extra: readonly string[];
}

/**
 * Shape per metric: Istio's labels minus tags_to_remove (and minus `omit`, labels the metric does not have), plus
 * configured dimensions; a config entry with name '' applies to every metric.
 */
export function metricShape(metrics: readonly MetricConfig[], metric: IstioMetricName, omit: readonly IstioLabel[] = []): { shape: MetricShape; exprs: DimensionExpr[] } {
  const short = metric.replace(/^istio_/, '');
  const remove = new Set<string>(omit);
  const dims = new Map<string, DimensionExpr>();
  let drop = false;
  for (const m of metrics) {
    if (m.name !== '' && m.name !== short) continue;
    if (m.drop) drop = true;
    for (const t of m.tagsToRemove) remove.add(t);
    for (const [k, v] of Object.entries(m.dimensions)) dims.set(k, v);
  }
  const keep: number[] = [];
  const extra: string[] = [];
  const exprs: DimensionExpr[] = [];
  ISTIO_LABELS.forEach((l, i) => {
    if (!remove.has(l) && !dims.has(l)) keep.push(i);
  });
  for (const [k, v] of dims) if (!remove.has(k)) (extra.push(k), exprs.push(v));
  return { shape: { drop, keep, extra }, exprs };
}

/** One metric's series table: label values -> the store's counter or histogram, created on first sight. */
export class IstioSeriesTable<T extends Counter | Histogram> {
  private readonly series = new Map<string, T>();
  private overflow: T | undefined;
  constructor(
    private readonly scope: StatsScope,
    private readonly name: string,
    private readonly kind: 'counter' | 'histogram',
    private readonly shape: MetricShape,
    private readonly maxSeries: number,
    private readonly overflowCount: Counter,
  ) {}

  /** The series key of these label values (ISTIO_LABELS order) and extra values. */
  keyOf(values: readonly string[], extra: readonly string[]): string {
    const keep = this.shape.keep;
    let key = '';
    for (let i = 0; i < keep.length; i++) key += values[keep[i]!]! + '\u0000';
    for (let i = 0; i < extra.length; i++) key += extra[i]! + '\u0000';
    return key;
  }

  /** Tables whose series are keyed alike (same kept labels, no extra dimensions) can share one key per request. */
  sameKeyAs(o: IstioSeriesTable<Counter | Histogram>): boolean {
    return this.shape.extra.length === 0 && o.shape.extra.length === 0 && this.shape.keep.join() === o.shape.keep.join();
  }

  /** The series for these label values and extra values; `key` when the caller already made it (keyOf). */
  get(values: readonly string[], extra: readonly string[], key = this.keyOf(values, extra)): T {
    const hit = this.series.get(key);
    if (hit !== undefined) return hit;
    const keep = this.shape.keep;
    if (this.series.size >= this.maxSeries) {
      this.overflowCount.inc();
      return (this.overflow ??= this.make(keep.map(() => OVERFLOW_VALUE), extra.map(() => OVERFLOW_VALUE)));
    }
    const made = this.make(keep.map((i) => values[i]!), extra);
    this.series.set(key, made);
    return made;
  }

  size(): number {
    return this.series.size;
  }

  /** True for the series past-the-cap label sets fold into (each sample there was counted as an overflow). */
  isOverflow(series: T): boolean {
    return series === this.overflow;
  }

  private make(kept: readonly string[], extra: readonly string[]): T {
    const segs: StatSegment[] = [];
    this.shape.keep.forEach((li, j) => segs.push([ISTIO_LABELS[li]!, kept[j]!]));
    this.shape.extra.forEach((n, j) => segs.push([n, extra[j] ?? 'unknown']));
    const [first, ...rest] = segs;
    const all: StatSegment[] = first === undefined ? [] : [first, ...rest];
    return (this.kind === 'counter' ? this.scope.counter(this.name, ...all) : this.scope.histogram(this.name, ...all)) as T;
  }
}

export const FULL_SHAPE: MetricShape = { drop: false, keep: ISTIO_LABELS.map((_, i) => i), extra: [] };
