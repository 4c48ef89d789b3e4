// HTTP filters: istio.stats runtime — peer metadata exchange headers and Istio's standard request metrics per stream.
import type { HttpFilter, HttpFilterFactory, FilterCallbacks } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import type { Counter, Histogram, StatsScope } from '../../../telemetry/stats.js';
import {
  DEFAULT_MAX_SERIES, ISTIO_LABELS, IstioSeriesTable, LABEL_INDEX, type IstioMetricName, type MetricShape,
} from '../../../telemetry/istio-metrics.js';
import {
  decodePeerHeader, localPeer, localPeerHeader, PEER_METADATA_HEADER, PEER_METADATA_ID_HEADER, UNKNOWN, type PeerInfo,
} from '../../../telemetry/peer-info.js';
import type { DimensionExpr, IstioStatsConfig } from './config.js';

const L = LABEL_INDEX;
const N = ISTIO_LABELS.length;

interface Tables {
  requests?: IstioSeriesTable<Counter>;
  duration?: IstioSeriesTable<Histogram>;
  reqBytes?: IstioSeriesTable<Histogram>;
  respBytes?: IstioSeriesTable<Histogram>;
}

/** Shape per metric: Istio's labels minus tags_to_remove, plus configured dimensions (a '' name applies to all). */
function shapeFor(cfg: IstioStatsConfig, metric: IstioMetricName): { shape: MetricShape; exprs: DimensionExpr[] } {
  const short = metric.replace(/^istio_/, '');
  const remove = new Set<string>();
  const dims = new Map<string, DimensionExpr>();
  let drop = false;
  for (const m of cfg.metrics) {
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

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function principalOf(sans: readonly string[] | undefined): string {
  if (sans === undefined) return UNKNOWN;
  for (const s of sans) if (s.startsWith('spiffe://')) return s;
  return sans[0] ?? UNKNOWN;
}

function fillPeer(v: string[], p: PeerInfo | undefined, side: 'source' | 'destination'): void {
  const o = side === 'source' ? 0 : 1;
  const w = o === 0 ? L.source_workload : L.destination_workload;
  v[w] = p?.workload ?? UNKNOWN;
  v[o === 0 ? L.source_workload_namespace : L.destination_workload_namespace] = p?.namespace ?? UNKNOWN;
  v[o === 0 ? L.source_app : L.destination_app] = p?.app ?? UNKNOWN;
  v[o === 0 ? L.source_version : L.destination_version] = p?.version ?? UNKNOWN;
  v[o === 0 ? L.source_canonical_service : L.destination_canonical_service] = p?.canonicalService ?? UNKNOWN;
  v[o === 0 ? L.source_canonical_revision : L.destination_canonical_revision] = p?.canonicalRevision ?? UNKNOWN;
  v[o === 0 ? L.source_cluster : L.destination_cluster] = p?.cluster ?? UNKNOWN;
}

/**
 * Istio's destination_service: the service FQDN of the upstream cluster (`outbound|9080|v1|reviews.default.svc.cluster.local`)
 * on the client, the workload's own service on the server, else the Host header (Istio's fallback).
 */
export function destinationService(cluster: string, me: PeerInfo | undefined, host: string): { fqdn: string; name: string; namespace: string } {
  let fqdn = '';
  if (cluster.startsWith('outbound|')) fqdn = cluster.slice(cluster.lastIndexOf('|') + 1);
  else if (me !== undefined && me.service !== '') fqdn = me.service.includes('.') ? me.service : `${me.service}.${me.namespace}.svc.cluster.local`;
  else fqdn = host.replace(/:\d+$/, '');
  if (fqdn === '') return { fqdn: UNKNOWN, name: UNKNOWN, namespace: UNKNOWN };
  const parts = fqdn.split('.');
  // a namespace only where the name has one (`name.ns`, `name.ns.svc.cluster.local`); external hosts have none
  return { fqdn, name: parts[0]!, namespace: fqdn.endsWith('.svc.cluster.local') || parts.length === 2 ? parts[1]! : UNKNOWN };
}

export function istioStatsFactory(cfg: IstioStatsConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const root: StatsScope = ctx.rootStats ?? ctx.stats;
  const overflow = root.counter('istio_stats', 'series_overflow');
  const outbound = cfg.reporter === 'CLIENT' || cfg.reporter === 'SERVER_GATEWAY';
  const tables: Tables = {};
  const exprs: Partial<Record<keyof Tables, DimensionExpr[]>> = {};
  const make = <T extends Counter | Histogram>(k: keyof Tables, name: IstioMetricName, kind: 'counter' | 'histogram'): IstioSeriesTable<T> | undefined => {
    const { shape, exprs: e } = shapeFor(cfg, name);
    if (shape.drop) return undefined;
    exprs[k] = e;
    return new IstioSeriesTable<T>(root, name, kind, shape, DEFAULT_MAX_SERIES, overflow);
  };
  tables.requests = make<Counter>('requests', 'istio_requests_total', 'counter');
  tables.duration = make<Histogram>('duration', 'istio_request_duration_milliseconds', 'histogram');
  tables.reqBytes = make<Histogram>('reqBytes', 'istio_request_bytes', 'histogram');
  tables.respBytes = make<Histogram>('respBytes', 'istio_response_bytes', 'histogram');
  const all = [tables.requests, tables.duration, tables.reqBytes, tables.respBytes];
  const sharedKey = all.every((t) => t !== undefined && t.sameKeyAs(tables.requests!));

  return (cb: FilterCallbacks): HttpFilter => {
    let peer: PeerInfo | undefined;
    let host = '';
    let grpc = false;
    let grpcStatus = '';
    let headers: HeaderMap | undefined;
    const extraOf = (e: DimensionExpr[] | undefined): string[] =>
      e === undefined || e.length === 0 ? [] : e.map((d) => (d.kind === 'literal' ? d.value : d.kind === 'host' ? host || UNKNOWN : (one(headers?.[d.name]) ?? UNKNOWN)));
    return {
      decodeHeaders(req) {
        host = req.authority;
        grpc = (one(req.headers['content-type']) ?? '').startsWith('application/grpc');
        headers = req.headers;
        if (outbound) {
          // the client sidecar tells the server who it is
          const own = localPeerHeader();
          if (own !== undefined) {
            req.headers[PEER_METADATA_HEADER] = own.header;
            req.headers[PEER_METADATA_ID_HEADER] = own.id;
          }
        } else {
          peer = decodePeerHeader(one(req.headers[PEER_METADATA_HEADER]), one(req.headers[PEER_METADATA_ID_HEADER]));
          cb.stream.peer = peer;
          delete req.headers[PEER_METADATA_HEADER];
          delete req.headers[PEER_METADATA_ID_HEADER];
        }
        return 'continue';
      },
      encodeHeaders(res) {
        if (outbound) {
          peer = decodePeerHeader(one(res.headers[PEER_METADATA_HEADER]), one(res.headers[PEER_METADATA_ID_HEADER]));
          cb.stream.peer = peer;
          delete res.headers[PEER_METADATA_HEADER];
          delete res.headers[PEER_METADATA_ID_HEADER];
        } else {
          const own = localPeerHeader();
          if (own !== undefined) {
            res.headers[PEER_METADATA_HEADER] = own.header;
            res.headers[PEER_METADATA_ID_HEADER] = own.id;
          }
        }
        grpcStatus = one(res.headers['grpc-status']) ?? grpcStatus;
        return 'continue';
      },
      encodeTrailers(t) {
        grpcStatus = one(t['grpc-status']) ?? grpcStatus;
        return 'continue';
      },
      onDestroy() {
        const s = cb.stream;
        const v: string[] = new Array<string>(N).fill(UNKNOWN);
        const me = localPeer();
        const tls = s.conn.tls;
        v[L.reporter] = outbound ? 'source' : 'destination';
        fillPeer(v, outbound ? me : peer, 'source');
        fillPeer(v, outbound ? peer : me, 'destination');
        if (outbound) {
          v[L.source_principal] = principalOf(tls?.localUriSans);
          v[L.connection_security_policy] = UNKNOWN;
        } else {
          v[L.source_principal] = principalOf(tls?.peerUriSans);
          v[L.destination_principal] = principalOf(tls?.localUriSans);
          v[L.connection_security_policy] = tls !== undefined && tls.peerUriSans.length > 0 ? 'mutual_tls' : 'none';
        }
        const svc = destinationService(outbound ? s.upstreamCluster : '', outbound ? undefined : me, cfg.disableHostHeaderFallback ? '' : host);
        v[L.destination_service] = svc.fqdn;
        v[L.destination_service_name] = svc.name;
        v[L.destination_service_namespace] = svc.namespace;
        v[L.request_protocol] = grpc ? 'grpc' : 'http';
        v[L.response_code] = String(s.responseCode);
        v[L.grpc_response_status] = grpc ? grpcStatus || UNKNOWN : '';
        v[L.response_flags] = s.flags === null ? '-' : s.flags.join(',');
        // one key for every table keyed alike (the default): the per-request cost is one string, not four
        const shared = sharedKey && tables.requests !== undefined ? tables.requests.keyOf(v, []) : undefined;
        tables.requests?.get(v, extraOf(exprs.requests), shared).inc();
        tables.duration?.get(v, extraOf(exprs.duration), shared).record(Date.now() - s.startTime);
        tables.reqBytes?.get(v, extraOf(exprs.reqBytes), shared).record(s.bytesReceived);
        tables.respBytes?.get(v, extraOf(exprs.respBytes), shared).record(s.bytesSent);
      },
    };
  };
}
