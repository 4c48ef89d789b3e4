// HTTP filters: istio.stats runtime — peer metadata exchange headers and Istio's standard request metrics per stream.
import type { HttpFilter, HttpFilterFactory, FilterCallbacks, RequestHead, ResponseHead, HeadersStatus, TrailersStatus, DataStatus } from '../../filter/api.js';
import { GrpcMessageCounter } from '../../../telemetry/grpc-message-counter.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import type { Counter, Histogram, StatsScope } from '../../../telemetry/stats.js';
import { DEFAULT_MAX_SERIES, IstioSeriesTable, LABEL_INDEX, metricShape, type IstioMetricName } from '../../../telemetry/istio-metrics.js';
import {
  decodePeerHeader, localPeer, localPeerHeader, PEER_METADATA_HEADER, PEER_METADATA_ID_HEADER, UNKNOWN, type PeerInfo,
} from '../../../telemetry/peer-info.js';
import type { DimensionExpr, IstioStatsConfig } from '../../../telemetry/istio-stats-config.js';
import { ConnectionPrincipals, DestinationServices, edgeLabelValues } from '../../../telemetry/istio-edge-labels.js';
import { SeriesMemo, type EdgeLabels, type RequestSeries } from './series-memo.js';

export { destinationService } from '../../../telemetry/istio-edge-labels.js';

const L = LABEL_INDEX;
const NO_VALUES: readonly string[] = [];

type TableName = 'requests' | 'duration' | 'reqBytes' | 'respBytes' | 'reqMessages' | 'respMessages';

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Takes the exchange headers off a map. Set to undefined (absent, for every HeaderMap reader), not deleted: deleting a
 * key other than the last one added turns the map into a dictionary-mode object, and every later copy and
 * serialization of it (the router's, the codec's) is then ~2x slower (measured: 0.5 µs per request and hop).
 */
function removeExchangeHeaders(h: HeaderMap): void {
  if (h[PEER_METADATA_HEADER] !== undefined) h[PEER_METADATA_HEADER] = undefined;
  if (h[PEER_METADATA_ID_HEADER] !== undefined) h[PEER_METADATA_ID_HEADER] = undefined;
}

/** What one filter config shares between its requests: the series tables and the caches in front of them. */
class IstioStats {
  readonly outbound: boolean;
  private readonly tables: Partial<Record<TableName, IstioSeriesTable<Counter | Histogram>>> = {};
  private readonly exprs: Partial<Record<TableName, DimensionExpr[]>> = {};
  /** Every kept table keyed alike with no extra dimensions (the default): one key per request serves all four. */
  private readonly sharedKey: boolean;
  /** Configured dimensions read the request, so a label set is not known from the memo's keys. */
  private readonly hasDimensions: boolean;
  private readonly services = new DestinationServices();
  private readonly principals: ConnectionPrincipals;
  private memo: SeriesMemo;
  /** The local identity the memo's series were resolved for (set once per proxy; tests set it again). */
  private memoFor: PeerInfo | undefined;

  constructor(
    private readonly cfg: IstioStatsConfig,
    ctx: HttpFilterContext,
  ) {
    const root: StatsScope = ctx.rootStats ?? ctx.stats;
    const overflow = root.counter('istio_stats', 'series_overflow');
    this.outbound = cfg.reporter === 'CLIENT' || cfg.reporter === 'SERVER_GATEWAY';
    const make = (k: TableName, name: IstioMetricName, kind: 'counter' | 'histogram'): void => {
      const { shape, exprs } = metricShape(cfg.metrics, name);
      if (shape.drop) return;
      this.exprs[k] = exprs;
      this.tables[k] = new IstioSeriesTable<Counter | Histogram>(root, name, kind, shape, DEFAULT_MAX_SERIES, overflow);
    };
    make('requests', 'istio_requests_total', 'counter');
    make('duration', 'istio_request_duration_milliseconds', 'histogram');
    make('reqBytes', 'istio_request_bytes', 'histogram');
    make('respBytes', 'istio_response_bytes', 'histogram');
    make('reqMessages', 'istio_request_messages_total', 'counter');
    make('respMessages', 'istio_response_messages_total', 'counter');
    const t = this.tables;
    const all = [t.requests, t.duration, t.reqBytes, t.respBytes, t.reqMessages, t.respMessages];
    this.sharedKey = all.every((x) => x !== undefined && x.sameKeyAs(t.requests!));
    this.hasDimensions = Object.values(this.exprs).some((e) => e.length > 0);
    this.principals = new ConnectionPrincipals(this.outbound);
    this.memo = new SeriesMemo(this.resolve);
  }

  /** The stream is over: one sample in each table. */
  record(f: IstioStatsFilter): void {
    const s = f.cb.stream;
    const me = localPeer();
    const host = this.cfg.disableHostHeaderFallback ? '' : f.host;
    const service = this.outbound ? this.services.get(s.upstreamCluster, undefined, host) : this.services.get('', me, host);
    const principals = this.principals.get(s.conn);
    const grpcStatus = f.grpc ? f.grpcStatus || UNKNOWN : '';
    const flags = s.flags === null ? '-' : s.flags.join(',');
    let series: RequestSeries;
    if (this.hasDimensions) series = this.lookup({ peer: f.peer, service, principals }, f.grpc, s.responseCode, grpcStatus, flags, f);
    else {
      if (me !== this.memoFor) (this.memo = new SeriesMemo(this.resolve)), (this.memoFor = me);
      series = this.memo.get(f.peer, service, principals, f.grpc, s.responseCode, grpcStatus, flags);
    }
    series.requests?.inc();
    series.duration?.record(Date.now() - s.startTime);
    series.reqBytes?.record(s.bytesReceived);
    series.respBytes?.record(s.bytesSent);
    if (f.reqMessages !== undefined) series.reqMessages?.inc(f.reqMessages.count);
    if (f.respMessages !== undefined) series.respMessages?.inc(f.respMessages.count);
  }

  /** The memo's miss path: the series of a label set without configured dimensions. */
  private readonly resolve = (edge: EdgeLabels, grpc: boolean, code: number, grpcStatus: string, flags: string): RequestSeries =>
    this.lookup(edge, grpc, code, grpcStatus, flags, undefined);

  /** Finds (or makes) the series of one label set in every table; `f` supplies configured dimensions' values. */
  private lookup(edge: EdgeLabels, grpc: boolean, code: number, grpcStatus: string, flags: string, f: IstioStatsFilter | undefined): RequestSeries {
    const v = this.labelValues(edge, grpc, code, grpcStatus, flags);
    const t = this.tables;
    const key = this.sharedKey ? t.requests!.keyOf(v, NO_VALUES) : undefined;
    let overflowed = false;
    const get = <S extends Counter | Histogram>(k: TableName): S | undefined => {
      const table = t[k];
      if (table === undefined) return undefined;
      const series = table.get(v, f === undefined ? NO_VALUES : f.dimensionValues(this.exprs[k]), key);
      if (table.isOverflow(series)) overflowed = true;
      return series as S;
    };
    const requests = get<Counter>('requests');
    const duration = get<Histogram>('duration');
    const reqBytes = get<Histogram>('reqBytes');
    const respBytes = get<Histogram>('respBytes');
    // message series exist only for gRPC label sets: HTTP edges get no zero-valued message counters
    const reqMessages = grpc ? get<Counter>('reqMessages') : undefined;
    const respMessages = grpc ? get<Counter>('respMessages') : undefined;
    return { requests, duration, reqBytes, respBytes, reqMessages, respMessages, overflowed };
  }

  /** Istio's 25 label values (ISTIO_LABELS order) of one request. */
  private labelValues(edge: EdgeLabels, grpc: boolean, code: number, grpcStatus: string, flags: string): string[] {
    const v = edgeLabelValues(this.outbound, localPeer(), edge.peer, edge.principals, edge.service, grpc ? 'grpc' : 'http');
    v[L.response_code] = String(code);
    v[L.grpc_response_status] = grpcStatus;
    v[L.response_flags] = flags;
    return v;
  }
}

/** One request's state: what the exchange learned and what the metrics need from the request and response heads. */
class IstioStatsFilter implements HttpFilter {
  peer: PeerInfo | undefined = undefined;
  host = '';
  grpc = false;
  grpcStatus = '';
  /** gRPC streams only: messages in each direction (istio_request/response_messages_total). */
  reqMessages: GrpcMessageCounter | undefined = undefined;
  respMessages: GrpcMessageCounter | undefined = undefined;
  private headers: HeaderMap | undefined = undefined;

  constructor(
    private readonly stats: IstioStats,
    readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    this.host = req.authority;
    this.grpc = (one(req.headers['content-type']) ?? '').startsWith('application/grpc');
    if (this.grpc) {
      this.reqMessages = new GrpcMessageCounter();
      this.respMessages = new GrpcMessageCounter();
    }
    this.headers = req.headers;
    if (this.stats.outbound) {
      // the client sidecar tells the server who it is
      const own = localPeerHeader();
      if (own !== undefined) {
        req.headers[PEER_METADATA_HEADER] = own.header;
        req.headers[PEER_METADATA_ID_HEADER] = own.id;
      }
    } else {
      this.learnPeer(req.headers);
    }
    return 'continue';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    if (this.stats.outbound) {
      this.learnPeer(res.headers);
    } else {
      const own = localPeerHeader();
      if (own !== undefined) {
        res.headers[PEER_METADATA_HEADER] = own.header;
        res.headers[PEER_METADATA_ID_HEADER] = own.id;
      }
    }
    this.grpcStatus = one(res.headers['grpc-status']) ?? this.grpcStatus;
    return 'continue';
  }

  decodeData(data: Buffer): DataStatus {
    this.reqMessages?.push(data);
    return 'continue';
  }

  encodeData(data: Buffer): DataStatus {
    this.respMessages?.push(data);
    return 'continue';
  }

  encodeTrailers(t: HeaderMap): TrailersStatus {
    this.grpcStatus = one(t['grpc-status']) ?? this.grpcStatus;
    return 'continue';
  }

  onDestroy(): void {
    this.stats.record(this);
  }

  /** Values of configured dimensions (literal, the Host header, a request header), in the table's order. */
  dimensionValues(exprs: readonly DimensionExpr[] | undefined): readonly string[] {
    if (exprs === undefined || exprs.length === 0) return NO_VALUES;
    return exprs.map((d) => (d.kind === 'literal' ? d.value : d.kind === 'host' ? this.host || UNKNOWN : (one(this.headers?.[d.name]) ?? UNKNOWN)));
  }

  private learnPeer(h: HeaderMap): void {
    this.peer = decodePeerHeader(one(h[PEER_METADATA_HEADER]), one(h[PEER_METADATA_ID_HEADER]));
    this.cb.stream.peer = this.peer;
    removeExchangeHeaders(h);
  }
}

export function istioStatsFactory(cfg: IstioStatsConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const stats = new IstioStats(cfg, ctx);
  return (cb: FilterCallbacks): HttpFilter => new IstioStatsFilter(stats, cb);
}
