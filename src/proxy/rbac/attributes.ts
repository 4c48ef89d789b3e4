// RBAC evaluation stage: what a policy is checked against — supplied by the HTTP filter per request, or by a
// network filter per connection (the L4 subset: no request).
import type { RouteRequest } from '../router/types.js';

/** The verified peer certificate of a TLS connection (present even when the client sent none: then empty). */
export interface RbacPeerCertificate {
  readonly peerUriSans: readonly string[];
  readonly peerDnsSans?: readonly string[];
  /** RFC 2253 style subject ("CN=…,O=…"); '' or undefined without a client certificate. */
  readonly peerSubject?: string;
}

/** Dynamic metadata by filter namespace (e.g. 'envoy.filters.http.jwt_authn'), plain JSON values. */
export type DynamicMetadata = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export interface RbacAttributes {
  /**
   * The HTTP request: headers (lower-case names), :path with query, :method, :authority, :scheme. Undefined for
   * network RBAC, where header rules see an empty header map (as Envoy's) and url_path never matches.
   */
  readonly request?: RouteRequest;
  /** Principal.source_ip: the connection's peer (PROXY protocol honoured, never x-forwarded-for). */
  readonly sourceIp: string;
  /** Principal.direct_remote_ip: always the physical peer. */
  readonly directRemoteIp: string;
  /** Principal.remote_ip: the client as the HCM inferred it (x-forwarded-for with xff_num_trusted_hops). */
  readonly remoteIp: string;
  /** Permission.destination_ip / destination_port(_range): the local address the connection reached. */
  readonly destinationIp: string;
  readonly destinationPort: number;
  /** Permission.requested_server_name: the TLS SNI; absent counts as ''. */
  readonly sni?: string;
  /** Set on TLS connections; Principal.authenticated never matches plaintext. */
  readonly tls?: RbacPeerCertificate;
  /** For Permission/Principal.metadata (e.g. jwt_authn's payload_in_metadata). */
  readonly dynamicMetadata?: DynamicMetadata;
}
