// HTTP filters: ext_authz — what the check carries about the request (Envoy's AttributeContext), with header allow-listing.
import type { StringMatcher } from '../../../config/types.js';
import type { HeaderMap } from '../../../router/types.js';
import type { ActiveStream } from '../../active-stream.js';
import { CompiledStringMatcher } from '../../../router/string-matcher.js';
import type { CheckAttributes, HttpRequestAttributes } from '../../../ext-authz/check-attributes.js';

export type { CheckAttributes, PeerAttributes } from '../../../ext-authz/check-attributes.js';

/** Set by the filter when the check carries a body: "true" when it was cut at max_request_bytes. */
export const PARTIAL_BODY_HEADER = 'x-envoy-auth-partial-body';

/** Matches header names against a ListStringMatcher (any pattern). */
export class HeaderKeyMatcher {
  private readonly list: CompiledStringMatcher[];
  constructor(patterns: readonly StringMatcher[], extraExact: readonly string[] = []) {
    // validated (regexes compiled) with the config, so compile errors cannot occur here
    this.list = patterns.map((p, i) => new CompiledStringMatcher(p, `patterns[${i}]`, []));
    for (const e of extraExact) this.list.push(new CompiledStringMatcher({ kind: 'exact', value: e, ignore_case: false }, e, []));
  }
  matches(name: string): boolean {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].match(name)) return true;
    return false;
  }
}

/** The request line and headers as the filter sees them (ActiveStream satisfies it). */
export interface RequestView {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  readonly headers: HeaderMap;
}

/**
 * The check's header map: pseudo-headers first (:authority, :method, :path, :scheme), then the request's
 * headers with repeats joined by ',' (Envoy's default, encode_raw_headers false). `allow` undefined = all;
 * `deny` wins over `allow`. A client-sent x-envoy-auth-partial-body never reaches the service.
 */
export function checkHeaderMap(req: RequestView, allow: HeaderKeyMatcher | undefined, deny: HeaderKeyMatcher | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string): void => {
    if ((allow === undefined || allow.matches(k)) && (deny === undefined || !deny.matches(k))) out[k] = v;
  };
  put(':authority', req.authority);
  put(':method', req.method);
  put(':path', req.path);
  put(':scheme', req.scheme);
  const h = req.headers;
  for (const k in h) {
    const v = h[k];
    if (v === undefined || k === 'host' || k === PARTIAL_BODY_HEADER) continue;
    put(k, typeof v === 'string' ? v : v.join(','));
  }
  return out;
}

export interface AttributeOptions {
  id: string;
  /** The buffered body (already cut at max_request_bytes), when with_request_body applies. */
  body: Buffer | undefined;
  bodyAsBytes: boolean;
  contextExtensions: Record<string, string>;
  metadataNamespaces: readonly string[];
  includeTlsSession: boolean;
}

/** The gRPC check's attributes: the downstream connection (source = peer, destination = us) and the request. */
export function checkAttributes(stream: ActiveStream, headers: Record<string, string>, o: AttributeOptions): CheckAttributes {
  const conn = stream.conn;
  const tls = conn.tls;
  const metadata: Record<string, Record<string, unknown>> = {};
  const md = stream.dynamicMetadata;
  if (md !== undefined) for (const ns of o.metadataNamespaces) if (md[ns] !== undefined) metadata[ns] = md[ns];
  const svc = stream.headers['x-envoy-downstream-service-cluster'];
  const http: HttpRequestAttributes = {
    id: o.id,
    method: stream.method,
    headers,
    path: stream.path,
    host: stream.authority,
    scheme: stream.scheme,
    size: stream.bytesReceived,
    protocol: stream.ds.protocol,
    bodyAsBytes: o.bodyAsBytes,
  };
  if (o.body !== undefined) http.body = o.body;
  const a: CheckAttributes = {
    source: {
      address: conn.remoteAddress,
      port: conn.remotePort,
      // Envoy: the URI SAN of the client certificate, else its subject
      principal: tls?.peerUriSans[0] ?? tls?.peerSubject ?? '',
      service: typeof svc === 'string' ? svc : '',
    },
    destination: { address: conn.localAddress, port: conn.localPort, principal: '', service: '' },
    timeMs: stream.startTime,
    http,
    contextExtensions: o.contextExtensions,
    metadataContext: metadata,
  };
  if (o.includeTlsSession && tls !== undefined) a.tlsSni = tls.sni ?? '';
  return a;
}
