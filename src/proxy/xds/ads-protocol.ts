// xDS client: the protocol adapter — one subscription model and one response shape for every source (ADS and per-type
// gRPC streams in SotW or Delta, and files); no gRPC code is loaded by this module.
import type { GrpcMethod } from './grpc-call.js';
import type { XdsNode } from '../../xds/ads-service.js';
import type { ResourceEntry } from './resources.js';

/** Which ADS RPC: StreamAggregatedResources (state of the world) or DeltaAggregatedResources (incremental). */
export type XdsApi = 'sotw' | 'delta';

/** One subscription on the stream. */
export interface Watch {
  readonly typeUrl: string;
  /** CDS/LDS: everything of the type (the first request names nothing). */
  readonly wildcard: boolean;
  /** VHDS: a subscribed name is a namespace; the resources are `<name>/<anything>`. */
  readonly namespaced: boolean;
  /** Sorted names of current interest. */
  names: string[];
  /** Requested on the current stream. */
  subscribed: boolean;
  /** The names the server was last told about on the current stream (delta sends differences to it). */
  sent: ReadonlySet<string>;
  /** Nonce of the last response of this type on the current stream. */
  nonce: string;
}

export function newWatch(typeUrl: string, kind: 'wildcard' | 'named' | 'namespaced'): Watch {
  return { typeUrl, wildcard: kind === 'wildcard', namespaced: kind === 'namespaced', names: [], subscribed: false, sent: new Set(), nonce: '' };
}

/** A response of either RPC, as the per-type handlers read it. */
export interface XdsUpdate {
  typeUrl: string;
  nonce: string;
  /** version_info (SotW) or system_version_info (delta): for logs, stats and config_dump. */
  version: string;
  resources: ResourceEntry[];
  /** Delta removed_resources (and delta resources sent without a body). */
  removed: string[];
  /** SotW LDS/CDS: the response is the whole set (absent names are removed). */
  full: boolean;
}

/** What one request says about a watch: a (re)subscription, an ACK (`ack`), or a NACK (`errorDetail`). */
export interface WatchRequest {
  watch: Watch;
  /** version_info of the last accepted response of the type (SotW). */
  version: string;
  /** name -> version of what is held (delta initial_resource_versions, first request of a stream only). */
  held: () => Record<string, string>;
  ack: boolean;
  errorDetail?: string;
}

/** How one RPC's messages map to watches and updates. */
export interface AdsCodec<Req extends object, Res> {
  readonly api: XdsApi;
  readonly method: GrpcMethod<Req, Res>;
  /** undefined = nothing to tell the server. */
  request(r: WatchRequest): Req | undefined;
  update(res: Res): XdsUpdate;
  withNode(req: Req, node: XdsNode): Req;
}

export interface TransportHandlers {
  onOpen(): void;
  onUpdate(u: XdsUpdate): void;
  onClose(reason: string, wasOpen: boolean, retryInMs: number): void;
  /** A file source could not be read or parsed as a DiscoveryResponse: nothing of it is applied. */
  onUnreadable?(typeUrl: string, details: string): void;
}

/** A source of xDS responses: a gRPC stream (ADS or one type's service) or a watched file. */
export interface AdsTransport {
  readonly api: XdsApi;
  readonly connected: boolean;
  start(): void;
  /** `withdraw`: end the stream cleanly (a half-close) so the control plane withdraws this proxy's endpoint now. */
  close(withdraw?: boolean): void;
  /** Sends what `r` says on the current stream; false when there is no stream or nothing to say. */
  send(r: WatchRequest): boolean;
}

export const INVALID_ARGUMENT = 3; // google.rpc.Code, what Envoy puts in a NACK's error_detail
