// Telemetry: the mesh's Istio metrics as the control plane keeps them — per scrape, each proxy's counter deltas
// (resets handled) summed into one time slot per interval by edge (reporter, both ends, protocol, mTLS); slots
// older than the retention are dropped, so memory is bounded by edges × slots, not by series × proxies.
import type { Sample } from './prom-text.js';

/** The labels an edge is keyed by (Istio's; response code and flags are folded into counts). */
export const EDGE_LABELS = [
  'reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'source_app', 'source_version',
  'destination_service', 'destination_service_name', 'destination_service_namespace', 'destination_workload',
  'destination_workload_namespace', 'destination_principal', 'destination_app', 'destination_version',
  'request_protocol', 'connection_security_policy',
] as const;
export type EdgeLabels = Record<(typeof EDGE_LABELS)[number], string>;

export class EdgeAgg {
  requests = 0;
  errors = 0;
  /** Histogram bucket deltas by upper bound (ms), cumulative as Prometheus's `le`. */
  readonly buckets = new Map<number, number>();
  tcpBytes = 0;
  tcpOpened = 0;
  tcpClosed = 0;

  constructor(readonly labels: EdgeLabels) {}

  add(o: EdgeAgg): void {
    this.requests += o.requests;
    this.errors += o.errors;
    for (const [le, n] of o.buckets) this.buckets.set(le, (this.buckets.get(le) ?? 0) + n);
    this.tcpBytes += o.tcpBytes;
    this.tcpOpened += o.tcpOpened;
    this.tcpClosed += o.tcpClosed;
  }
}

export interface Slot {
  /** Start of the slot, epoch ms (a multiple of the interval). */
  t: number;
  edges: Map<string, EdgeAgg>;
}

const WANTED = new Set([
  'istio_requests_total', 'istio_request_duration_milliseconds_bucket', 'istio_tcp_sent_bytes_total', 'istio_tcp_received_bytes_total',
  'istio_tcp_connections_opened_total', 'istio_tcp_connections_closed_total',
]);

export function edgeOf(labels: Record<string, string>): { key: string; labels: EdgeLabels } {
  const l = {} as EdgeLabels;
  let key = '';
  for (const k of EDGE_LABELS) {
    const v = labels[k] ?? 'unknown';
    l[k] = v;
    key += `${v}\u0000`;
  }
  return { key, labels: l };
}

function seriesKey(s: Sample): string {
  let k = s.name;
  for (const name of Object.keys(s.labels).sort()) k += `\u0000${name}=${s.labels[name]}`;
  return k;
}

/** Istio and Kiali count 5xx and non-OK gRPC statuses as errors. */
function isError(labels: Record<string, string>): boolean {
  const code = Number(labels.response_code);
  if (code >= 500) return true;
  const grpc = labels.grpc_response_status;
  return labels.request_protocol === 'grpc' && grpc !== undefined && grpc !== '' && grpc !== '0' && grpc !== 'unknown';
}

export interface MeshMetricsOptions {
  intervalMs: number;
  retentionMs: number;
  /** Edges per slot; past it new edges are counted as dropped (a proxy inventing labels must not grow memory). */
  maxEdges?: number;
}

export class MeshMetrics {
  readonly slots: Slot[] = [];
  /** Last cumulative value per series, per proxy (deltas and open TCP connections come from them). */
  private readonly last = new Map<string, Map<string, { sample: Sample; value: number }>>();
  droppedEdges = 0;
  /** Every histogram bound seen: a bound with no observations in a window still anchors the quantile's interpolation. */
  readonly bounds = new Set<number>();

  constructor(readonly opts: MeshMetricsOptions) {}

  /** One scrape of one proxy at `now`: its counter increases since the last scrape go into the current slot. */
  ingest(proxyId: string, samples: readonly Sample[], now: number): void {
    const prev = this.last.get(proxyId);
    const next = new Map<string, { sample: Sample; value: number }>();
    // the first scrape is the baseline, as a rate() needs two points: it opens no slot
    const slot = prev === undefined ? undefined : this.slotAt(now);
    for (const s of samples) {
      if (!WANTED.has(s.name) || !Number.isFinite(s.value)) continue;
      const key = seriesKey(s);
      next.set(key, { sample: s, value: s.value });
      if (s.name === 'istio_request_duration_milliseconds_bucket') this.bounds.add(s.labels.le === '+Inf' ? Infinity : Number(s.labels.le));
      if (slot === undefined || prev === undefined) continue;
      const before = prev.get(key)?.value ?? 0;
      const delta = s.value >= before ? s.value - before : s.value; // a lower value: the proxy restarted
      if (delta <= 0) continue;
      const agg = this.edge(slot, s.labels);
      if (agg === undefined) continue;
      switch (s.name) {
        case 'istio_requests_total':
          agg.requests += delta;
          if (isError(s.labels)) agg.errors += delta;
          break;
        case 'istio_request_duration_milliseconds_bucket': {
          const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
          if (!Number.isNaN(le)) agg.buckets.set(le, (agg.buckets.get(le) ?? 0) + delta);
          break;
        }
        case 'istio_tcp_sent_bytes_total':
        case 'istio_tcp_received_bytes_total':
          agg.tcpBytes += delta;
          break;
        case 'istio_tcp_connections_opened_total':
          agg.tcpOpened += delta;
          break;
        case 'istio_tcp_connections_closed_total':
          agg.tcpClosed += delta;
          break;
      }
    }
    this.last.set(proxyId, next);
    this.expire(now);
  }

  /** Proxies that went away: their baselines are forgotten (what they reported ages out with the window). */
  retain(connected: ReadonlySet<string>): void {
    for (const id of this.last.keys()) if (!connected.has(id)) this.last.delete(id);
  }

  /** TCP connections open now per destination-reported edge key (opened − closed over the proxies' cumulative counters). */
  openConnections(): Map<string, { labels: EdgeLabels; open: number }> {
    const out = new Map<string, { labels: EdgeLabels; open: number }>();
    for (const series of this.last.values()) {
      for (const { sample, value } of series.values()) {
        const sign = sample.name === 'istio_tcp_connections_opened_total' ? 1 : sample.name === 'istio_tcp_connections_closed_total' ? -1 : 0;
        if (sign === 0) continue;
        const e = edgeOf(sample.labels);
        const cur = out.get(e.key) ?? { labels: e.labels, open: 0 };
        cur.open += sign * value;
        out.set(e.key, cur);
      }
    }
    return out;
  }

  private slotAt(now: number): Slot {
    const t = now - (now % this.opts.intervalMs);
    const lastSlot = this.slots[this.slots.length - 1];
    if (lastSlot !== undefined && lastSlot.t === t) return lastSlot;
    const s: Slot = { t, edges: new Map() };
    this.slots.push(s);
    return s;
  }

  private edge(slot: Slot, labels: Record<string, string>): EdgeAgg | undefined {
    const e = edgeOf(labels);
    let agg = slot.edges.get(e.key);
    if (agg === undefined) {
      if (slot.edges.size >= (this.opts.maxEdges ?? 20_000)) {
        this.droppedEdges++;
        return undefined;
      }
      agg = new EdgeAgg(e.labels);
      slot.edges.set(e.key, agg);
    }
    return agg;
  }

  private expire(now: number): void {
    const oldest = now - this.opts.retentionMs;
    while (this.slots.length > 0 && this.slots[0]!.t < oldest) this.slots.shift();
  }

  /** Edges summed over the slots in [now − windowMs, now]; `seconds` is the time they cover. */
  window(windowMs: number, now: number): { edges: EdgeAgg[]; seconds: number } {
    const from = now - windowMs;
    const merged = new Map<string, EdgeAgg>();
    let first = Infinity;
    let last = -Infinity;
    for (const s of this.slots) {
      if (s.t <= from) continue;
      first = Math.min(first, s.t);
      last = Math.max(last, s.t);
      for (const [k, e] of s.edges) {
        let m = merged.get(k);
        if (m === undefined) merged.set(k, (m = new EdgeAgg(e.labels)));
        m.add(e);
      }
    }
    // a slot holds what was counted in the interval before it: the slots cover first − interval … last
    const covered = first === Infinity ? windowMs : Math.min(windowMs, last - first + this.opts.intervalMs);
    return { edges: [...merged.values()], seconds: covered / 1000 };
  }
}

/**
 * The q-quantile (0..1) of bucket counts by upper bound, interpolated linearly inside a bucket as histogram_quantile
 * does; `known` bounds missing from `buckets` had no observations (their cumulative count is 0).
 */
export function quantile(buckets: ReadonlyMap<number, number>, q: number, known: Iterable<number> = []): number | null {
  const bounds = [...new Set([...buckets.keys(), ...known])].filter((b) => !Number.isNaN(b)).sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length > 0 ? buckets.get(bounds[bounds.length - 1]!)! : 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const count = buckets.get(b) ?? (b < (bounds.find((x) => buckets.has(x)) ?? Infinity) ? 0 : prevCount);
    if (count >= rank) {
      if (b === Infinity) return prevBound; // above the highest finite bound: that bound, as Prometheus answers
      const inBucket = count - prevCount;
      return inBucket <= 0 ? b : prevBound + ((b - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = b;
    prevCount = count;
  }
  return prevBound;
}
