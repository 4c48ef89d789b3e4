// Telemetry: the stats interfaces every proxy component records into (implementation in stats-store.ts).
//
// A stat's name is a list of segments; a segment is either a plain word or a [tag, value] pair.
// The flat Envoy name joins every segment's text with '.', tag values in place:
//   ['cluster', ['envoy_cluster_name', 'web'], 'upstream_rq_total']  ->  cluster.web.upstream_rq_total
// The Prometheus name joins the plain words with '_' under 'envoy_', tag pairs become labels:
//   envoy_cluster_upstream_rq_total{envoy_cluster_name="web"}
// Exception, as in Envoy's names: an `envoy_response_code` tag glues onto the word before it with '_'
// (upstream_rq + 200 -> upstream_rq_200) and an `envoy_response_code_class` tag fills in the 'xx'
// (upstream_rq_xx + 2 -> upstream_rq_2xx). See stat-name.ts.
// (This is Envoy's own tag extraction, written down per stat instead of by regex.)

export type StatSegment = string | readonly [tag: string, value: string];

export interface Counter {
  inc(n?: number): void;
  value(): number;
}

export interface Gauge {
  set(v: number): void;
  add(n: number): void;
  sub(n: number): void;
  value(): number;
}

/** Latency histograms in milliseconds with Envoy's default buckets. */
export interface Histogram {
  record(v: number): void;
}

export interface StatsScope {
  counter(name: string, ...more: StatSegment[]): Counter;
  gauge(name: string, ...more: StatSegment[]): Gauge;
  histogram(name: string, ...more: StatSegment[]): Histogram;
  scope(...segments: StatSegment[]): StatsScope;
}
