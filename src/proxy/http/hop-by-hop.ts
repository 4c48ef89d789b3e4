// HTTP: which headers stay on one hop — the fixed hop-by-hop set plus the fields the Connection header nominates (RFC 9110 §7.6.1).
// The router copies request and response headers through these two functions, in both directions.
import type { HeaderMap } from '../router/types.js';

/** Request fields never forwarded as is: connection-specific, or rebuilt by the upstream codec (host from the authority, framing from the body). */
const REQUEST_HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'host', 'content-length',
]);
const RESPONSE_HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** A nomination cannot remove these from a response: content-length is the body's framing (and a HEAD response's meaning). */
const RESPONSE_KEPT: ReadonlySet<string> = new Set(['content-length']);

/** The lower-cased field names listed in Connection, or null when there are none. */
export function connectionNominated(connection: string | string[] | undefined): Set<string> | null {
  if (connection === undefined) return null;
  const joined = typeof connection === 'string' ? connection : connection.join(',');
  let out: Set<string> | null = null;
  for (const part of joined.split(',')) {
    const token = part.trim().toLowerCase();
    if (token.length > 0) (out ??= new Set()).add(token);
  }
  return out;
}

/** True when a TE value offers "trailers" (the one TE member that crosses the proxy: gRPC needs it end to end). */
function offersTrailers(te: string | string[] | undefined): boolean {
  if (te === undefined) return false;
  const joined = typeof te === 'string' ? te : te.join(',');
  for (const part of joined.split(',')) {
    const semi = part.indexOf(';');
    if ((semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase() === 'trailers') return true;
  }
  return false;
}

/** Request headers to send upstream: without hop-by-hop or Connection-nominated fields; TE reduced to "trailers" when offered. */
export function forwardRequestHeaders(src: HeaderMap): HeaderMap {
  const nominated = connectionNominated(src.connection);
  const out: HeaderMap = {};
  for (const name in src) {
    if (REQUEST_HOP_BY_HOP.has(name) || (nominated !== null && nominated.has(name))) continue;
    out[name] = src[name];
  }
  // Even when TE is nominated (as RFC 9110 §10.1.4 asks senders to do), "trailers" still says something about the whole chain.
  if (offersTrailers(src.te)) out.te = 'trailers';
  return out;
}

/** Response headers to send downstream: without hop-by-hop or Connection-nominated fields. */
export function forwardResponseHeaders(src: HeaderMap): HeaderMap {
  const nominated = connectionNominated(src.connection);
  const out: HeaderMap = {};
  for (const name in src) {
    if (RESPONSE_HOP_BY_HOP.has(name)) continue;
    if (nominated !== null && nominated.has(name) && !RESPONSE_KEPT.has(name)) continue;
    out[name] = src[name];
  }
  return out;
}

/**
 * The request body length to frame the upstream request with: the content-length as the filters left it (one that
 * changed the body, e.g. decompressing or re-framing it, removes the header), else -1 for a streamed body.
 */
export function upstreamBodyLength(headers: HeaderMap): number {
  const cl = headers['content-length'];
  return typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : -1;
}
