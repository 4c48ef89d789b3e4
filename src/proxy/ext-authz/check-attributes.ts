// External authorization (shared): what a Check carries — Envoy's AttributeContext in plain form, filled by the
// HTTP filter (peers + request) or the network filter (peers only); the gRPC codec encodes it.

export interface PeerAttributes {
  address: string;
  port: number;
  principal: string;
  service: string;
}

/** AttributeContext.Request.http, as the HTTP filter sees the request. */
export interface HttpRequestAttributes {
  id: string;
  method: string;
  headers: Record<string, string>;
  path: string;
  host: string;
  scheme: string;
  size: number;
  protocol: string;
  body?: Buffer;
  /** pack_as_bytes: the body goes in raw_body instead of body. */
  bodyAsBytes: boolean;
}

export interface CheckAttributes {
  source: PeerAttributes;
  destination: PeerAttributes;
  /** Request start, ms since the epoch; sent with the request (HTTP checks only). */
  timeMs: number;
  /** Absent for a network (L4) check: Envoy's TCP check carries no request. */
  http?: HttpRequestAttributes;
  contextExtensions: Record<string, string>;
  /** metadata_context.filter_metadata: the namespaces listed in metadata_context_namespaces. */
  metadataContext: Record<string, Record<string, unknown>>;
  tlsSni?: string;
}
