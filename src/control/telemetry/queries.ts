// Telemetry: the answers built from MeshMetrics — golden metrics per service or workload, their history, and the
// service graph (Kiali's versioned app graph: workload → service → workload). The destination's own report is used
// where there is one; the source's covers what never reached a sidecar (no route, unreachable, no sidecar there).
import { EdgeAgg, type EdgeLabels, type MeshMetrics, quantile } from './mesh-metrics.js';

export interface GoldenMetrics {
  requestRate: number;
  errorRate: number;
  successRate: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface StatsItem extends GoldenMetrics {
  kind: 'service' | 'workload';
  namespace: string;
  name: string;
  tcpOpenConnections: number;
  tcpBytesPerSec: number;
  mtlsRate: number | null;
  workloads?: string[];
}

export interface GraphNode {
  id: string;
  kind: 'service' | 'workload' | 'unknown';
  namespace: string;
  name: string;
  app?: string;
  version?: string;
  service?: string;
}

export interface GraphEdge extends GoldenMetrics {
  id: string;
  source: string;
  target: string;
  protocol: string;
  bytesPerSec: number;
  mtls: boolean;
  sourcePrincipals: string[];
  destinationPrincipals: string[];
}

const round = (v: number | null, d = 3): number | null => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);

function golden(agg: EdgeAgg, seconds: number, bounds: ReadonlySet<number>): GoldenMetrics {
  return {
    requestRate: round(agg.requests / seconds)!,
    errorRate: round(agg.errors / seconds)!,
    successRate: agg.requests > 0 ? round(1 - agg.errors / agg.requests, 4) : null,
    p50Ms: round(quantile(agg.buckets, 0.5, bounds)),
    p90Ms: round(quantile(agg.buckets, 0.9, bounds)),
    p99Ms: round(quantile(agg.buckets, 0.99, bounds)),
  };
}

const known = (v: string): boolean => v !== '' && v !== 'unknown';
const pair = (l: EdgeLabels): string => `${l.source_workload_namespace}/${l.source_workload}\u0000${l.destination_service}`;
const servicePair = (l: EdgeLabels): string => `${l.destination_service}\u0000${l.destination_workload_namespace}/${l.destination_workload}`;

/** Destination reports, plus source reports for (source, service) pairs no destination reported. */
function preferDestination(edges: readonly EdgeAgg[]): EdgeAgg[] {
  const reported = new Set(edges.filter((e) => e.labels.reporter === 'destination').map((e) => pair(e.labels)));
  return edges.filter((e) => e.labels.reporter === 'destination' || !reported.has(pair(e.labels)));
}

function serviceOf(l: EdgeLabels): { namespace: string; name: string } {
  const name = known(l.destination_service_name) ? l.destination_service_name : l.destination_service.split('.')[0] ?? 'unknown';
  const namespace = known(l.destination_service_namespace) ? l.destination_service_namespace : (l.destination_service.split('.')[1] ?? 'unknown');
  return { namespace, name };
}

function sum(edges: readonly EdgeAgg[]): EdgeAgg {
  const out = new EdgeAgg(edges[0]?.labels ?? ({} as EdgeLabels));
  for (const e of edges) out.add(e);
  return out;
}

function mtlsShare(edges: readonly EdgeAgg[]): number | null {
  const dest = edges.filter((e) => e.labels.reporter === 'destination');
  const weight = (e: EdgeAgg): number => e.requests + e.tcpOpened;
  const total = dest.reduce((n, e) => n + weight(e), 0);
  if (total === 0) return null;
  return round(dest.filter((e) => e.labels.connection_security_policy === 'mutual_tls').reduce((n, e) => n + weight(e), 0) / total, 4);
}

/** Golden metrics per service (inbound, all callers) or per workload (inbound), optionally one namespace / one name. */
export function stats(m: MeshMetrics, by: 'service' | 'workload', windowMs: number, now: number, filter: { namespace?: string; name?: string } = {}): StatsItem[] {
  const { edges, seconds } = m.window(windowMs, now);
  const groups = new Map<string, { namespace: string; name: string; edges: EdgeAgg[] }>();
  for (const e of preferDestination(edges)) {
    const l = e.labels;
    const id = by === 'service' ? serviceOf(l) : { namespace: l.destination_workload_namespace, name: l.destination_workload };
    if (!known(id.name)) continue;
    if (filter.namespace !== undefined && id.namespace !== filter.namespace) continue;
    if (filter.name !== undefined && id.name !== filter.name) continue;
    const k = `${id.namespace}/${id.name}`;
    const g = groups.get(k) ?? { ...id, edges: [] };
    g.edges.push(e);
    groups.set(k, g);
  }
  const open = m.openConnections();
  return [...groups.values()]
    .map((g) => {
      const total = sum(g.edges);
      const tcpOpen = [...open.values()]
        .filter((o) => o.labels.reporter === 'destination' && (by === 'service' ? serviceOf(o.labels).name === g.name && serviceOf(o.labels).namespace === g.namespace : o.labels.destination_workload === g.name && o.labels.destination_workload_namespace === g.namespace))
        .reduce((n, o) => n + o.open, 0);
      const item: StatsItem = {
        kind: by,
        namespace: g.namespace,
        name: g.name,
        ...golden(total, seconds, m.bounds),
        tcpOpenConnections: Math.max(0, tcpOpen),
        tcpBytesPerSec: round(total.tcpBytes / seconds)!,
        mtlsRate: mtlsShare(g.edges),
      };
      if (by === 'service') item.workloads = [...new Set(g.edges.map((e) => e.labels.destination_workload).filter(known))].sort();
      return item;
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** One point per `stepMs` over the last `windowMs` for a service or workload; latencies null where no request finished. */
export function history(m: MeshMetrics, kind: 'service' | 'workload', namespace: string, name: string, windowMs: number, stepMs: number, now: number): { t: number; requestRate: number; errorRate: number; p50Ms: number | null; p90Ms: number | null; p99Ms: number | null }[] {
  const step = Math.max(stepMs, m.opts.intervalMs);
  const start = now - windowMs - ((now - windowMs) % step);
  const points = [];
  for (let t = start; t <= now; t += step) {
    const aggs: EdgeAgg[] = [];
    for (const s of m.slots) {
      if (s.t < t || s.t >= t + step) continue;
      for (const e of preferDestination([...s.edges.values()])) {
        const l = e.labels;
        const id = kind === 'service' ? serviceOf(l) : { namespace: l.destination_workload_namespace, name: l.destination_workload };
        if (id.namespace === namespace && id.name === name) aggs.push(e);
      }
    }
    const g = golden(sum(aggs), step / 1000, m.bounds);
    points.push({ t, requestRate: g.requestRate, errorRate: g.errorRate, p50Ms: g.p50Ms, p90Ms: g.p90Ms, p99Ms: g.p99Ms });
  }
  return points;
}

/** The service graph over the window: nodes for workloads and services, edges workload → service → workload. */
export function graph(m: MeshMetrics, windowMs: number, now: number, namespace?: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const { edges, seconds } = m.window(windowMs, now);
  const nodes = new Map<string, GraphNode>();
  const workload = (ns: string, name: string, app: string, version: string, service?: string): string => {
    if (!known(name)) {
      const id = `unknown:${known(ns) ? ns : 'unknown'}`;
      if (!nodes.has(id)) nodes.set(id, { id, kind: 'unknown', namespace: ns, name: 'unknown' });
      return id;
    }
    const id = `workload:${ns}/${name}`;
    const n = nodes.get(id) ?? { id, kind: 'workload', namespace: ns, name };
    if (known(app)) n.app = app;
    if (known(version)) n.version = version;
    if (service !== undefined) n.service = service;
    nodes.set(id, n);
    return id;
  };
  const service = (l: EdgeLabels): string => {
    const s = serviceOf(l);
    const id = `service:${s.namespace}/${s.name}`;
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'service', namespace: s.namespace, name: s.name });
    return id;
  };
  const acc = new Map<string, { source: string; target: string; protocol: string; edges: EdgeAgg[] }>();
  const add = (source: string, target: string, e: EdgeAgg): void => {
    const protocol = known(e.labels.request_protocol) ? e.labels.request_protocol : 'tcp';
    const id = `${source}->${target}:${protocol}`;
    const a = acc.get(id) ?? { source, target, protocol, edges: [] };
    a.edges.push(e);
    acc.set(id, a);
  };
  const chosen = preferDestination(edges).filter((e) => namespace === undefined || e.labels.destination_service_namespace === namespace || e.labels.source_workload_namespace === namespace);
  // the service → workload hop from the destination's report, or the source's when the destination made none
  const destPairs = new Set(chosen.filter((e) => e.labels.reporter === 'destination').map((e) => servicePair(e.labels)));
  for (const e of chosen) {
    const l = e.labels;
    const svc = service(l);
    add(workload(l.source_workload_namespace, l.source_workload, l.source_app, l.source_version), svc, e);
    if (known(l.destination_workload) && (l.reporter === 'destination' || !destPairs.has(servicePair(l)))) {
      add(svc, workload(l.destination_workload_namespace, l.destination_workload, l.destination_app, l.destination_version, serviceOf(l).name), e);
    }
  }
  const out: GraphEdge[] = [...acc.entries()].map(([id, a]) => {
    const total = sum(a.edges);
    const dest = a.edges.filter((e) => e.labels.reporter === 'destination');
    const principals = (f: (l: EdgeLabels) => string): string[] => [...new Set(a.edges.map((e) => f(e.labels)).filter(known))].sort();
    return {
      id,
      source: a.source,
      target: a.target,
      protocol: a.protocol,
      ...golden(total, seconds, m.bounds),
      bytesPerSec: round(total.tcpBytes / seconds)!,
      mtls: dest.length > 0 && dest.every((e) => e.labels.connection_security_policy === 'mutual_tls'),
      sourcePrincipals: principals((l) => l.source_principal),
      destinationPrincipals: principals((l) => l.destination_principal),
    };
  });
  return { nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)), edges: out.sort((a, b) => a.id.localeCompare(b.id)) };
}
