// Router match stage: reads request values the way Envoy's header map presents them (pseudo-headers, joined multi-values).
import type { HeaderMap, RouteRequest } from './types.js';

/** Where a header name's value comes from: the header map or a RouteRequest field standing in for a pseudo-header. */
export const SRC_HEADER = 0;
export const SRC_AUTHORITY = 1;
export const SRC_PATH = 2;
export const SRC_METHOD = 3;
export const SRC_SCHEME = 4;

export function headerSource(name: string): number {
  switch (name) {
    case ':authority':
    case 'host': // Envoy stores HTTP/1 Host as :authority
      return SRC_AUTHORITY;
    case ':path':
      return SRC_PATH;
    case ':method':
      return SRC_METHOD;
    case ':scheme':
      return SRC_SCHEME;
    default:
      return SRC_HEADER;
  }
}

/** All values of a header joined with ',' (Envoy's getAllOfHeaderAsString); undefined when absent. */
export function joinedHeader(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined || typeof v === 'string') return v;
  if (v.length === 0) return undefined;
  return v.length === 1 ? v[0] : v.join(',');
}

/** First value of a header (Envoy's `get(...)[0]`), undefined when absent. */
export function firstHeader(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined || typeof v === 'string') return v;
  return v.length === 0 ? undefined : v[0];
}

/** A request value by source; header names are looked up as given (lower case). */
export function requestValue(req: RouteRequest, src: number, name: string): string | undefined {
  switch (src) {
    case SRC_AUTHORITY:
      return req.authority;
    case SRC_PATH:
      return req.path;
    case SRC_METHOD:
      return req.method;
    case SRC_SCHEME:
      return req.scheme;
    default:
      return joinedHeader(req.headers, name);
  }
}
