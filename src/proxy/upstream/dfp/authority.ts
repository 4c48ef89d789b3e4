// Upstream DFP: parses a request authority into the host and port the DNS cache resolves, and the cache key for them.
import { isValidAuthority } from '../../http/h1-request-checks.js';
import { hostKey } from '../host.js';

export interface HostAndPort {
  /** Lower-cased name or IP literal, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** "host:port" ("[v6]:port" for IPv6): the DNS cache key and the DFP cluster's host key. */
  readonly key: string;
}

/**
 * `authority` is host[:port] (RFC 3986, no userinfo); a missing or empty port is `defaultPort`
 * (Envoy: 443 when the cluster has a TLS transport socket, else 80). Null when it is not a valid
 * authority or the port is 0 or above 65535.
 */
export function parseAuthority(authority: string, defaultPort: number): HostAndPort | null {
  if (!isValidAuthority(authority)) return null;
  let host: string;
  let portText: string;
  if (authority.charCodeAt(0) === 0x5b /* [ */) {
    const close = authority.indexOf(']');
    host = authority.slice(1, close);
    portText = authority.slice(close + 2);
  } else {
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? '' : authority.slice(colon + 1);
  }
  const port = portText === '' ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  // Names and IPv6 hex digits are case-insensitive: one cache entry per host however clients spell it.
  host = host.toLowerCase();
  return { host, port, key: hostKey(host, port) };
}
