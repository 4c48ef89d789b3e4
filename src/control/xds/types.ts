// Serving: the ADS server's contracts — what it asks of a generator, what it reports per proxy, what push() takes.
import type { XdsNode } from '../../xds/ads-service.js';
import type { Json } from '../../xds/codec.js';

/** One xDS stream from one proxy (a proxy that reconnects is a new ConnectedProxy). */
export interface ConnectedProxy {
  /** Unique per stream: `${node.id}~${n}`. */
  readonly connId: string;
  /** node.id as the proxy sent it (Istio: `sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`). */
  readonly id: string;
  readonly node: Readonly<XdsNode>;
  /** node.metadata as plain JSON (the registry reads name, namespace, labels, ... from it). */
  readonly metadata: Readonly<Json>;
  readonly connectedAt: Date;
  readonly mode: 'sotw' | 'delta';
  /** The peer address grpc-js reports, e.g. `127.0.0.1:53522`. */
  readonly peer: string;
  /** The identity it proved on the authenticated port (undefined on the plaintext port). */
  readonly identity?: { namespace: string; serviceAccount: string };
}

export interface GeneratedResource {
  name: string;
  /** proto-JSON (snake_case), '@type' at the top optional; must encode as the requested type. */
  resource: object;
}

export interface XdsGenerator {
  /**
   * Resources of one type for one proxy; `names` = what the client subscribed to (empty = wildcard).
   * Returning the same objects for unchanged resources lets the server reuse their encoded bytes. `namesKey`, when
   * given, is unique to `names` ('*' for a wildcard) — the same string object for streams subscribed to the same names
   * (cheap to hash again).
   */
  generate(proxy: ConnectedProxy, typeUrl: string, names: readonly string[], namesKey?: string): GeneratedResource[];
}

export interface PushOptions {
  /** Which proxies (default all). */
  proxies?: (p: ConnectedProxy) => boolean;
  /** Which type URLs (default every type the proxy subscribed to); e.g. [ENDPOINT_TYPE] for endpoint-only changes. */
  types?: readonly string[];
}

/** istioctl proxy-status' column values. */
export type SyncStatus = 'SYNCED' | 'NOT SENT' | 'STALE' | 'NACKED';

export interface TypeStatus {
  typeUrl: string;
  /** cds, eds, lds, rds, sds */
  type: string;
  status: SyncStatus;
  /** '*' for a wildcard subscription. */
  subscribed: string[] | '*';
  resources: number;
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  ackedNonce?: string;
  /** error_detail.message of the last NACK (kept after later ACKs, for display). */
  nackError?: string;
  nackedVersion?: string;
  /** Generation or encoding failed for the last push of this type (nothing was sent). */
  generateError?: string;
}

export interface ProxyStatus {
  connId: string;
  id: string;
  metadata: Json;
  connectedSince: string;
  mode: 'sotw' | 'delta';
  peer: string;
  types: TypeStatus[];
}
