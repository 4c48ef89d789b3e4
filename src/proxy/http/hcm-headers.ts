// HTTP: request and response header edits the HCM makes itself — host port stripping, add_user_agent, via, :scheme.
import type { HttpConnectionManager } from '../config/types.js';
import type { HeaderMap } from '../router/types.js';
import type { DownstreamConnectionInfo } from './types.js';
import { applyXfcc, xfccOptions, type XfccOptions } from './xfcc.js';

export type StripPortMode = 'none' | 'matching' | 'any';

/** Where the port of a host starts (its ':'), or -1; an IPv6 literal needs its brackets (`[::1]:80`). */
function portStart(host: string): number {
  const i = host.lastIndexOf(':');
  if (i < 0) return -1;
  if (host.startsWith('[')) return host[i - 1] === ']' ? i : -1;
  return host.indexOf(':') === i ? i : -1; // a bare IPv6 address has no port
}

/**
 * strip_matching_host_port / strip_any_host_port: the host without its port ('matching': only when the port is the
 * listener's). Unchanged when there is no numeric port.
 */
export function stripHostPort(host: string, mode: StripPortMode, listenerPort: number): string {
  if (mode === 'none') return host;
  const i = portStart(host);
  if (i < 0) return host;
  const port = host.slice(i + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return host;
  if (mode === 'matching' && Number(port) !== listenerPort) return host;
  return host.slice(0, i);
}

/** Envoy's appendVia: the value joins what is there with ", ". */
export function appendVia(headers: HeaderMap, via: string): void {
  const cur = headers.via;
  const prev = cur === undefined ? '' : Array.isArray(cur) ? cur.join(', ') : cur;
  headers.via = prev === '' ? via : `${prev}, ${via}`;
}

/** What the HCM config asks for on every request. */
export interface RequestHeaderEdits {
  via: string;
  /** add_user_agent: the bootstrap node's cluster (undefined = off) and id. */
  serviceCluster: string | undefined;
  serviceNode: string;
}

/**
 * add_user_agent: x-envoy-downstream-service-cluster (and -node) from the bootstrap node, and user-agent when the
 * request has none; via appended to the request.
 */
export function editRequestHeaders(headers: HeaderMap, e: RequestHeaderEdits): void {
  if (e.serviceCluster !== undefined) {
    headers['x-envoy-downstream-service-cluster'] = e.serviceCluster;
    const ua = headers['user-agent'];
    if (ua === undefined || ua === '' || (Array.isArray(ua) && ua.length === 0)) headers['user-agent'] = e.serviceCluster;
    if (e.serviceNode !== '') headers['x-envoy-downstream-service-node'] = e.serviceNode;
  }
  if (e.via !== '') appendVia(headers, e.via);
}

/** The HCM's own request/response header settings, resolved once per connection manager. */
export interface HcmHeaderOptions extends RequestHeaderEdits {
  stripPort: StripPortMode;
  schemeToOverwrite: 'http' | 'https' | undefined;
  /** scheme_header_transformation.match_upstream: the upstream :scheme follows the upstream's TLS. */
  schemeMatchUpstream: boolean;
  /** Anything for editRequestHeaders to do. */
  editsRequest: boolean;
  /** forward_client_cert_details and what to write. */
  xfcc: XfccOptions;
}

export function hcmHeaderOptions(c: HttpConnectionManager, node: { id: string; cluster: string } | undefined): HcmHeaderOptions {
  const o: HcmHeaderOptions = {
    via: c.via ?? '',
    serviceCluster: c.add_user_agent === true ? (node?.cluster ?? '') : undefined,
    serviceNode: node?.id ?? '',
    stripPort: c.strip_any_host_port === true ? 'any' : c.strip_matching_host_port === true ? 'matching' : 'none',
    schemeToOverwrite: c.scheme_header_transformation?.scheme_to_overwrite,
    schemeMatchUpstream: c.scheme_header_transformation?.scheme_to_overwrite === undefined && c.scheme_header_transformation?.match_upstream === true,
    editsRequest: false,
    xfcc: xfccOptions(c),
  };
  o.editsRequest = o.via !== '' || o.serviceCluster !== undefined;
  return o;
}

/** The request as the HCM edits it after routing-independent sanitation. */
export interface EditableRequest {
  authority: string;
  scheme: 'http' | 'https';
  readonly headers: HeaderMap;
  readonly conn: { readonly localPort: number; readonly tls?: DownstreamConnectionInfo['tls'] };
}

/** x-forwarded-client-cert, host port stripping, add_user_agent, via and scheme_to_overwrite, in the order Envoy's HCM applies them. */
export function applyHeaderOptions(r: EditableRequest, o: HcmHeaderOptions): void {
  applyXfcc(r.headers, r.conn.tls, o.xfcc);
  if (o.stripPort !== 'none') {
    const host = stripHostPort(r.authority, o.stripPort, r.conn.localPort);
    if (host !== r.authority) {
      r.authority = host;
      if (r.headers.host !== undefined) r.headers.host = host;
    }
  }
  if (o.editsRequest) editRequestHeaders(r.headers, o);
  if (o.schemeToOverwrite !== undefined) r.scheme = o.schemeToOverwrite;
}
