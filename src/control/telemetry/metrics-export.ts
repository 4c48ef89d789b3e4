// Telemetry across replicas: each replica scrapes only the proxies connected to it, so the mesh's metrics are the sum
// of every replica's slots. A replica exports its slots as JSON; the one answering a query parses its peers' exports
// (checked like any network input) and merges them into one MeshMetrics view that the queries read unchanged.
import { EDGE_LABELS, EdgeAgg, MeshMetrics, edgeOf, type EdgeLabels, type MeshMetricsOptions, type Slot } from './mesh-metrics.js';

type Bound = number | '+Inf';

export interface EdgeExport {
  labels: EdgeLabels;
  requests: number;
  errors: number;
  buckets: Array<[Bound, number]>;
  tcpBytes: number;
  tcpOpened: number;
  tcpClosed: number;
}

export interface MetricsExport {
  intervalMs: number;
  bounds: Bound[];
  slots: Array<{ t: number; edges: EdgeExport[] }>;
  /** TCP connections open now per edge (opened − closed over this replica's proxies). */
  open: Array<{ labels: EdgeLabels; open: number }>;
}

/** Bounds on what one export may hold: a peer is authenticated, but a bug there must not grow this replica's memory. */
export const EXPORT_LIMITS = { slots: 10_000, edgesPerSlot: 20_000, buckets: 200, bounds: 200, open: 20_000 } as const;

const toBound = (b: number): Bound => (b === Infinity ? '+Inf' : b);
const fromBound = (b: Bound): number => (b === '+Inf' ? Infinity : b);

/** This replica's slots newer than `now − windowMs`, its histogram bounds and its open TCP connections. */
export function exportMetrics(m: MeshMetrics, windowMs: number, now: number): MetricsExport {
  const from = now - windowMs;
  return {
    intervalMs: m.opts.intervalMs,
    bounds: [...m.bounds].map(toBound),
    slots: m.slots
      .filter((s) => s.t > from)
      .map((s) => ({
        t: s.t,
        edges: [...s.edges.values()].map((e) => ({
          labels: e.labels,
          requests: e.requests,
          errors: e.errors,
          buckets: [...e.buckets].map(([le, n]): [Bound, number] => [toBound(le), n]),
          tcpBytes: e.tcpBytes,
          tcpOpened: e.tcpOpened,
          tcpClosed: e.tcpClosed,
        })),
      })),
    open: [...m.openConnections().values()],
  };
}

// ---------------------------------------------------------------------------------------------- parsing a peer's export

class ExportError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ExportError(`${what} is not a count`);
  return v;
}

function bound(v: unknown, what: string): Bound {
  if (v === '+Inf') return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ExportError(`${what} is not a histogram bound`);
  return v;
}

function list(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ExportError(`${what} is not a list`);
  if (v.length > max) throw new ExportError(`${what} has ${v.length} entries, more than ${max}`);
  return v;
}

function labels(v: unknown, what: string): EdgeLabels {
  if (!isObject(v)) throw new ExportError(`${what} is not an object`);
  const out = {} as EdgeLabels;
  for (const k of EDGE_LABELS) {
    const x = v[k];
    if (typeof x !== 'string') throw new ExportError(`${what}.${k} is not a string`);
    out[k] = x;
  }
  return out;
}

function edge(v: unknown, what: string): EdgeExport {
  if (!isObject(v)) throw new ExportError(`${what} is not an object`);
  return {
    labels: labels(v.labels, `${what}.labels`),
    requests: count(v.requests, `${what}.requests`),
    errors: count(v.errors, `${what}.errors`),
    buckets: list(v.buckets, EXPORT_LIMITS.buckets, `${what}.buckets`).map((b, i): [Bound, number] => {
      const pair = list(b, 2, `${what}.buckets[${i}]`);
      return [bound(pair[0], `${what}.buckets[${i}][0]`), count(pair[1], `${what}.buckets[${i}][1]`)];
    }),
    tcpBytes: count(v.tcpBytes, `${what}.tcpBytes`),
    tcpOpened: count(v.tcpOpened, `${what}.tcpOpened`),
    tcpClosed: count(v.tcpClosed, `${what}.tcpClosed`),
  };
}

/** A peer's export, checked field by field; a string says what is wrong. */
export function parseMetricsExport(v: unknown): MetricsExport | string {
  try {
    if (!isObject(v)) throw new ExportError('the export is not an object');
    const intervalMs = count(v.intervalMs, 'intervalMs');
    if (intervalMs < 1) throw new ExportError('intervalMs is not positive');
    return {
      intervalMs,
      bounds: list(v.bounds, EXPORT_LIMITS.bounds, 'bounds').map((b, i) => bound(b, `bounds[${i}]`)),
      slots: list(v.slots, EXPORT_LIMITS.slots, 'slots').map((s, i) => {
        if (!isObject(s)) throw new ExportError(`slots[${i}] is not an object`);
        return { t: count(s.t, `slots[${i}].t`), edges: list(s.edges, EXPORT_LIMITS.edgesPerSlot, `slots[${i}].edges`).map((e, j) => edge(e, `slots[${i}].edges[${j}]`)) };
      }),
      open: list(v.open, EXPORT_LIMITS.open, 'open').map((o, i) => {
        if (!isObject(o)) throw new ExportError(`open[${i}] is not an object`);
        if (typeof o.open !== 'number' || !Number.isFinite(o.open)) throw new ExportError(`open[${i}].open is not a number`);
        return { labels: labels(o.labels, `open[${i}].labels`), open: o.open };
      }),
    };
  } catch (e) {
    if (e instanceof ExportError) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------- merging

/** The sum of several replicas' exports, read by the queries as one replica's own metrics would be. */
export class MergedMetrics extends MeshMetrics {
  private readonly open = new Map<string, { labels: EdgeLabels; open: number }>();

  constructor(opts: MeshMetricsOptions, parts: readonly MetricsExport[]) {
    super(opts);
    const byTime = new Map<number, Slot>();
    const maxEdges = opts.maxEdges ?? EXPORT_LIMITS.edgesPerSlot;
    for (const part of parts) {
      for (const b of part.bounds) this.bounds.add(fromBound(b));
      for (const s of part.slots) {
        // replicas with another --metrics-interval still land in this one's slots
        const t = s.t - (s.t % opts.intervalMs);
        let slot = byTime.get(t);
        if (slot === undefined) byTime.set(t, (slot = { t, edges: new Map() }));
        for (const e of s.edges) this.addEdge(slot, e, maxEdges);
      }
      for (const o of part.open) {
        const { key } = edgeOf(o.labels);
        const cur = this.open.get(key) ?? { labels: o.labels, open: 0 };
        cur.open += o.open;
        this.open.set(key, cur);
      }
    }
    this.slots.push(...[...byTime.values()].sort((a, b) => a.t - b.t));
  }

  override openConnections(): Map<string, { labels: EdgeLabels; open: number }> {
    return this.open;
  }

  private addEdge(slot: Slot, e: EdgeExport, maxEdges: number): void {
    const { key } = edgeOf(e.labels);
    let agg = slot.edges.get(key);
    if (agg === undefined) {
      if (slot.edges.size >= maxEdges) {
        this.droppedEdges++;
        return;
      }
      slot.edges.set(key, (agg = new EdgeAgg(e.labels)));
    }
    const part = new EdgeAgg(e.labels);
    part.requests = e.requests;
    part.errors = e.errors;
    for (const [le, n] of e.buckets) part.buckets.set(fromBound(le), n);
    part.tcpBytes = e.tcpBytes;
    part.tcpOpened = e.tcpOpened;
    part.tcpClosed = e.tcpClosed;
    agg.add(part);
  }
}
