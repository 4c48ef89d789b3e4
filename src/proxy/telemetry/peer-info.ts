// Telemetry: what the metadata exchange learned about the other end of a stream/connection, and Istio's header codec.
import { decodeStruct, encodeStruct, STRUCT_LIMITS, type Struct, type StructValue } from './peer-struct.js';

/** Istio's HTTP metadata-exchange headers (client sidecar on requests, server sidecar on responses). */
export const PEER_METADATA_HEADER = 'x-envoy-peer-metadata';
export const PEER_METADATA_ID_HEADER = 'x-envoy-peer-metadata-id';

/** One peer as the istio.stats labels need it; "unknown" where the peer did not say. */
export interface PeerInfo {
  readonly id: string;
  readonly workload: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  readonly cluster: string;
  readonly meshId: string;
  readonly serviceAccount: string;
  /** The service the workload serves (TRELLIS_SERVICE), short or FQDN; '' when it says none. */
  readonly service: string;
}

export const UNKNOWN = 'unknown';

function str(v: StructValue | undefined): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Reads Istio node metadata keys (NAME, NAMESPACE, LABELS, WORKLOAD_NAME, …) into a PeerInfo. */
export function peerFromStruct(s: Struct, id = UNKNOWN): PeerInfo {
  const labels = s['LABELS'];
  const l: Record<string, StructValue> = labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? labels : {};
  const app = str(l['app']) ?? str(l['app.kubernetes.io/name']) ?? UNKNOWN;
  const version = str(l['version']) ?? str(l['app.kubernetes.io/version']) ?? UNKNOWN;
  return {
    id,
    workload: str(s['WORKLOAD_NAME']) ?? UNKNOWN,
    namespace: str(s['NAMESPACE']) ?? UNKNOWN,
    app,
    version,
    canonicalService: str(l['service.istio.io/canonical-name']) ?? (app !== UNKNOWN ? app : str(s['WORKLOAD_NAME']) ?? UNKNOWN),
    canonicalRevision: str(l['service.istio.io/canonical-revision']) ?? (version !== UNKNOWN ? version : 'latest'),
    cluster: str(s['CLUSTER_ID']) ?? UNKNOWN,
    meshId: str(s['MESH_ID']) ?? UNKNOWN,
    serviceAccount: str(s['SERVICE_ACCOUNT']) ?? UNKNOWN,
    service: str(s['TRELLIS_SERVICE']) ?? '',
  };
}

/** Max accepted length of the base64 header value (the decoded Struct is capped again by STRUCT_LIMITS). */
export const MAX_HEADER_CHARS = Math.ceil((STRUCT_LIMITS.maxBytes * 4) / 3) + 4;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

// Peers send the same header on every request: decoded ones are kept (bounded; cleared when full).
const PEER_CACHE_MAX = 256;
const peerCache = new Map<string, PeerInfo>();

/** Decodes an x-envoy-peer-metadata value; undefined for anything oversized or malformed (never throws). */
export function decodePeerHeader(value: string | undefined, id?: string): PeerInfo | undefined {
  if (value === undefined) return undefined;
  const hit = peerCache.get(value);
  if (hit !== undefined && (id ?? UNKNOWN) === hit.id) return hit;
  const p = decodePeerHeaderUncached(value, id);
  if (p !== undefined) {
    if (peerCache.size >= PEER_CACHE_MAX) peerCache.clear();
    peerCache.set(value, p);
  }
  return p;
}

function decodePeerHeaderUncached(value: string, id?: string): PeerInfo | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_HEADER_CHARS || !B64.test(value)) return undefined;
  try {
    return peerFromStruct(decodeStruct(Buffer.from(value, 'base64')), id !== undefined && id.length <= 256 ? id : UNKNOWN);
  } catch {
    return undefined;
  }
}

/** Encodes this node's metadata for the header: computed once per proxy, not per request. */
export function encodePeerHeader(metadata: Struct): string {
  return encodeStruct(metadata).toString('base64');
}

// ---- this proxy's own metadata (set once from the bootstrap node; the exchange sends it) ----
let own: { info: PeerInfo; header: string; id: string; shared: Struct } | undefined;

/** The node metadata keys a peer needs (Istio's exchange sends these): not the proxy's own ports or addresses. */
export const EXCHANGED_KEYS = ['NAME', 'NAMESPACE', 'LABELS', 'WORKLOAD_NAME', 'SERVICE_ACCOUNT', 'CLUSTER_ID', 'MESH_ID', 'OWNER'] as const;

export function setLocalNodeMetadata(id: string, metadata: Struct): void {
  const shared: Struct = {};
  for (const k of EXCHANGED_KEYS) if (metadata[k] !== undefined) shared[k] = metadata[k]!;
  own = { info: peerFromStruct(metadata, id), header: encodePeerHeader(shared), id, shared };
}
export function localPeer(): PeerInfo | undefined {
  return own?.info;
}
export function localPeerHeader(): { header: string; id: string } | undefined {
  return own;
}
/** The exchanged metadata itself (the TCP exchange frames it): undefined before the bootstrap set it. */
export function localPeerMetadata(): { shared: Struct; id: string } | undefined {
  return own;
}

/** JSON node metadata (bootstrap) as a Struct: anything not JSON-like is dropped. */
export function jsonToStruct(v: Record<string, unknown>): Struct {
  const conv = (x: unknown, depth: number): StructValue | undefined => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
    if (typeof x === 'number') return Number.isFinite(x) ? x : undefined;
    if (depth > STRUCT_LIMITS.maxDepth - 2) return undefined;
    if (Array.isArray(x)) return x.map((e) => conv(e, depth + 1) ?? null);
    if (typeof x === 'object') {
      const o: Struct = {};
      for (const [k, e] of Object.entries(x)) {
        const c = conv(e, depth + 1);
        if (c !== undefined) o[k] = c;
      }
      return o;
    }
    return undefined;
  };
  return conv(v, 0) as Struct;
}
