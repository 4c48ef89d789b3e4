// Upstream: transport_socket_matches — which of a cluster's transport sockets the connections to one host use.
import type { Cluster, TransportSocket, UpstreamTlsContext } from '../config/types.js';
import type { Host } from './types.js';

/** A cluster's sockets in match order: [0] is transport_socket (the fallback), [i + 1] is transport_socket_matches[i]. */
export function clusterSockets(cluster: Cluster): (TransportSocket<UpstreamTlsContext> | undefined)[] {
  return [cluster.transport_socket, ...(cluster.transport_socket_matches ?? []).map((m) => m.transport_socket)];
}

/**
 * The index (as in clusterSockets) of the socket `host` uses: the first match whose `match` is a subset of the host's
 * socket-match metadata (Envoy: first match wins; `{}` matches every host), else 0 (the cluster's transport_socket).
 */
export function socketIndexFor(cluster: Cluster, host: Pick<Host, 'socketMatch'>): number {
  const matches = cluster.transport_socket_matches;
  if (matches === undefined || matches.length === 0) return 0;
  const md = host.socketMatch ?? {};
  for (let i = 0; i < matches.length; i++) if (isSubset(matches[i]!.match, md)) return i + 1;
  return 0;
}

function isSubset(want: Readonly<Record<string, unknown>>, have: Readonly<Record<string, unknown>>): boolean {
  for (const [k, v] of Object.entries(want)) {
    if (!Object.prototype.hasOwnProperty.call(have, k) || !sameValue(v, have[k])) return false;
  }
  return true;
}

/** google.protobuf.Value equality: same kind and same contents (lists in order, structs key by key). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  const ka = Object.keys(a);
  const rb = b as Record<string, unknown>;
  if (ka.length !== Object.keys(rb).length) return false;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameValue(ra[k], rb[k]));
}
