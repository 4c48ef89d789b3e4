// Proxy tap: a finished request as a tap event — who called whom, method, authority, path without query, status; never bodies or header values.
import type { TapEvent, TapPeer } from '../../tap/protocol.js';
import type { AccessLogEntry } from '../telemetry/access-log.js';
import type { DownstreamConnectionInfo } from '../http/types.js';
import type { PeerInfo } from '../telemetry/peer-info.js';

/** Who this proxy is (from its node metadata); set when the tap client starts. */
export interface TapSelf {
  proxy: string;
  service: string;
  workload: string;
  namespace: string;
  /** spiffe://… of our workload identity, or 'unknown'. */
  principal: string;
}

const UNKNOWN = 'unknown';

/** The namespace in `spiffe://td/ns/N/sa/S`, or 'unknown'. */
export function namespaceOfPrincipal(p: string): string {
  const m = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/.exec(p);
  return m === null ? UNKNOWN : m[1]!;
}

/** Istio's sidecar names: inbound listeners are `virtualInbound` or `inbound|…`; everything else reports as the source. */
export function isInbound(listenerName: string): boolean {
  return listenerName === 'virtualInbound' || listenerName.startsWith('inbound');
}

export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function header(h: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = h?.[name];
  return Array.isArray(v) ? v[0] : v;
}

function grpcStatusOf(e: AccessLogEntry): number | undefined {
  const raw = header(e.responseTrailers, 'grpc-status') ?? header(e.responseHeaders, 'grpc-status');
  return raw !== undefined && /^\d{1,2}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

/** Only named fields are copied out of the entry: header maps (Authorization, Cookie, Set-Cookie…) never leave. */
/** `peer`: the other end as the peer metadata exchange told it (istio.stats), when it ran. */
export function buildTapEvent(self: TapSelf, conn: DownstreamConnectionInfo, e: AccessLogEntry, peer?: PeerInfo): TapEvent {
  const inbound = isInbound(conn.listenerName);
  const me: TapPeer = { workload: self.workload || UNKNOWN, namespace: self.namespace || UNKNOWN, principal: self.principal || UNKNOWN };
  const tls = conn.tls;
  const mtls = tls !== undefined && tls.peerUriSans.length > 0;
  let source: TapPeer;
  let destination: TapPeer & { service: string };
  if (inbound) {
    const principal = tls?.peerUriSans[0] ?? UNKNOWN;
    source = { workload: peer?.workload ?? UNKNOWN, namespace: peer !== undefined && peer.namespace !== UNKNOWN ? peer.namespace : namespaceOfPrincipal(principal), principal };
    const ownPrincipal = tls?.localUriSans?.[0] ?? me.principal;
    destination = { service: self.service || UNKNOWN, workload: me.workload, namespace: me.namespace, principal: ownPrincipal };
  } else {
    source = me;
    destination = { service: e.authority.replace(/:\d+$/, '') || UNKNOWN, workload: peer?.workload ?? UNKNOWN, namespace: peer?.namespace ?? UNKNOWN, principal: UNKNOWN };
  }
  const grpcStatus = grpcStatusOf(e);
  return {
    time: new Date(e.startTime).toISOString(),
    proxy: self.proxy,
    reporter: inbound ? 'destination' : 'source',
    source,
    destination,
    method: e.method,
    authority: e.authority,
    path: stripQuery(e.path),
    status: e.responseCode,
    ...(grpcStatus !== undefined ? { grpcStatus } : {}),
    durationMs: Math.round(e.durationMs * 1000) / 1000,
    responseFlags: e.responseFlags,
    mtls,
  };
}
