// HTTP filters: istio.stats' per-request series lookup — a memo from what a request already holds (the peer object,
// the destination service and principals objects, the response code) to its four series, so the common request
// costs a few Map lookups on identities instead of 25 label values joined into a ~300-character key and hashed.
import type { Counter, Histogram } from '../../../telemetry/stats.js';
import type { PeerInfo } from '../../../telemetry/peer-info.js';
import type { DestinationService, Principals } from '../../../telemetry/istio-edge-labels.js';

/** One request's series in each table (undefined where the metric is dropped). */
export interface RequestSeries {
  readonly requests: Counter | undefined;
  readonly duration: Histogram | undefined;
  readonly reqBytes: Histogram | undefined;
  readonly respBytes: Histogram | undefined;
  /** gRPC only (Istio reports message counts for gRPC streams): undefined for HTTP requests. */
  readonly reqMessages: Counter | undefined;
  readonly respMessages: Counter | undefined;
  /** Some table folded this label set into its overflow series: never remembered, so each sample is counted there. */
  readonly overflowed: boolean;
}

/**
 * Finds the series of a label set in the tables (the memo's caller owns them). Response labels as Istio reports them:
 * request_protocol from `grpc`, response_code, grpc_response_status ('' for HTTP), response_flags ('-' for none).
 */
export type ResolveSeries = (edge: EdgeLabels, grpc: boolean, code: number, grpcStatus: string, flags: string) => RequestSeries;

/** What is fixed for an edge: the peer's workload, the service, the principals. */
export interface EdgeLabels {
  readonly peer: PeerInfo | undefined;
  readonly service: DestinationService;
  readonly principals: Principals;
}

/** Series of one edge by response: plain HTTP without flags (nearly every request) by code, the rest by a short key. */
class Edge implements EdgeLabels {
  readonly byCode = new Map<number, RequestSeries>();
  readonly byKey = new Map<string, RequestSeries>();
  constructor(
    readonly peer: PeerInfo | undefined,
    readonly service: DestinationService,
    readonly principals: Principals,
  ) {}
}

/** Entries (edges and label sets) per filter config; past it the memo starts over (the tables keep their series and cap). */
export const MAX_REMEMBERED = 10_000;

export class SeriesMemo {
  /** peer → service → principals → edge: every key is an object the request got from a cache, compared by identity. */
  private readonly edges = new Map<PeerInfo | undefined, Map<DestinationService, Map<Principals, Edge>>>();
  private entries = 0;

  constructor(
    private readonly resolve: ResolveSeries,
    private readonly maxEntries = MAX_REMEMBERED,
  ) {}

  /** The request's series; `grpcStatus` must be '' for HTTP and `flags` '-' for none, as the labels read. */
  get(peer: PeerInfo | undefined, service: DestinationService, principals: Principals, grpc: boolean, code: number, grpcStatus: string, flags: string): RequestSeries {
    const edge = this.edgeFor(peer, service, principals);
    const plain = !grpc && flags === '-';
    const key = plain ? '' : `${code}|${flags}|${grpc ? 'grpc' : 'http'}|${grpcStatus}`;
    const hit = plain ? edge.byCode.get(code) : edge.byKey.get(key);
    if (hit !== undefined) return hit;
    const series = this.resolve(edge, grpc, code, grpcStatus, flags);
    if (series.overflowed) return series;
    this.entries++;
    if (plain) edge.byCode.set(code, series);
    else edge.byKey.set(key, series);
    return series;
  }

  /** Entries held now: edges, the maps leading to them, and label sets (tests). */
  size(): number {
    return this.entries;
  }

  private edgeFor(peer: PeerInfo | undefined, service: DestinationService, principals: Principals): Edge {
    if (this.entries >= this.maxEntries) {
      this.edges.clear();
      this.entries = 0;
    }
    let byService = this.edges.get(peer);
    if (byService === undefined) {
      this.edges.set(peer, (byService = new Map()));
      this.entries++;
    }
    let byPrincipals = byService.get(service);
    if (byPrincipals === undefined) {
      byService.set(service, (byPrincipals = new Map()));
      this.entries++;
    }
    let edge = byPrincipals.get(principals);
    if (edge === undefined) {
      byPrincipals.set(principals, (edge = new Edge(peer, service, principals)));
      this.entries++;
    }
    return edge;
  }
}
