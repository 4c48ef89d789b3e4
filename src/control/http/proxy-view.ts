// HTTP API: one connected proxy as `trellis proxy-status` shows it — identity from its node, overall and per-type sync state, its certificate's expiry.
import { proxyNodeOf } from '../snapshot/generator.js';
import { DEFAULT_TRUST_DOMAIN, spiffeId } from '../auth/identity-token.js';
import type { IssuedRecord } from '../ca/authority.js';
import type { ConnectedProxy, ProxyStatus, SyncStatus, TypeStatus } from '../xds/types.js';

export interface TypeView {
  status: SyncStatus;
  sentVersion?: string;
  ackedVersion?: string;
  error?: string;
}

export interface ProxyView {
  id: string;
  /** istioctl's NAME: the pod part of an Istio node id and its namespace (`productpage-v1-x7k2q.default`); else the id. */
  name: string;
  /** Istio's workload (deployment) name, for `WORKLOAD.NAMESPACE` references. */
  workload: string;
  namespace: string;
  labels: Record<string, string>;
  type: string;
  address: string;
  connectedAt: string;
  status: SyncStatus;
  types: Partial<Record<'CDS' | 'LDS' | 'EDS' | 'RDS', TypeView>>;
  /** The service account the node declares (proven when `identity` is set). */
  serviceAccount: string;
  /** The sidecar's ports from its node metadata: where its app sends (outbound), peers connect (inbound), admin, Istio's metrics. */
  ports: { outbound: number; inbound: number; admin?: number; prometheus?: number };
  /** The identity the proxy proved on the authenticated xDS port (absent on the plaintext port). */
  identity?: string;
  /** The newest SVID the mesh CA issued to that identity (ISO times). */
  certificate?: { serial: string; issuedAt: string; expiresAt: string };
}

/** What the proxy view needs of the CA. */
export interface IssuedLookup {
  trustDomain: string;
  lastIssuedTo?(id: { namespace: string; serviceAccount: string }): IssuedRecord | undefined;
}

const SHOWN: Readonly<Record<string, 'CDS' | 'LDS' | 'EDS' | 'RDS'>> = { cds: 'CDS', lds: 'LDS', eds: 'EDS', rds: 'RDS' };

/** A NACK anywhere wins, then anything unacknowledged; SYNCED once every type that was sent is ACKed. */
export function overallStatus(types: readonly TypeStatus[]): SyncStatus {
  if (types.some((t) => t.status === 'NACKED')) return 'NACKED';
  if (types.some((t) => t.status === 'STALE')) return 'STALE';
  return types.some((t) => t.status === 'SYNCED') ? 'SYNCED' : 'NOT SENT';
}

export function proxyView(s: ProxyStatus, p: ConnectedProxy, ca?: IssuedLookup): ProxyView {
  const node = proxyNodeOf(p);
  const types: ProxyView['types'] = {};
  for (const t of s.types) {
    const name = SHOWN[t.type];
    if (name === undefined) continue;
    const v: TypeView = { status: t.status };
    if (t.sentVersion !== undefined) v.sentVersion = t.sentVersion;
    if (t.ackedVersion !== undefined) v.ackedVersion = t.ackedVersion;
    const error = t.status === 'NACKED' ? t.nackError : (t.generateError ?? undefined);
    if (error !== undefined) v.error = error;
    types[name] = v;
  }
  const view: ProxyView = {
    id: s.id,
    name: shortName(s.id),
    workload: node.workloadName,
    namespace: node.namespace,
    labels: { ...node.labels },
    type: node.type,
    // the workload's own address when it declared one, else where its stream comes from
    address: node.ip !== '' ? node.ip : s.peer,
    connectedAt: s.connectedSince,
    serviceAccount: node.serviceAccount,
    ports: {
      outbound: node.outboundPort,
      inbound: node.inboundPort,
      ...(node.adminPort !== undefined ? { admin: node.adminPort } : {}),
      ...(node.prometheusPort !== undefined ? { prometheus: node.prometheusPort } : {}),
    },
    status: overallStatus(s.types),
    types,
  };
  if (p.identity !== undefined) {
    const cert = ca?.lastIssuedTo?.(p.identity);
    view.identity = cert?.spiffeId ?? spiffeId(ca?.trustDomain ?? DEFAULT_TRUST_DOMAIN, p.identity);
    if (cert !== undefined) view.certificate = { serial: cert.serial, issuedAt: cert.issuedAt.toISOString(), expiresAt: cert.expiresAt.toISOString() };
  }
  return view;
}

/** The `pod.namespace` field of an Istio node id (`type~ip~pod.namespace~domain`); an id of another shape as it is. */
export function shortName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 && parts[2] !== '' ? parts[2]! : id;
}

/** By node id (the newest stream when it reconnected) or by the stream's connId. */
export function findConnection(conns: readonly ConnectedProxy[], id: string): ConnectedProxy | undefined {
  let found: ConnectedProxy | undefined;
  for (const c of conns) {
    if (c.connId === id) return c;
    if (c.id === id && (found === undefined || c.connectedAt >= found.connectedAt)) found = c;
  }
  return found;
}

/** Another replica's `GET /api/v1/proxies?scope=local`: a list of proxy views, each with its id and namespace. */
export function proxyList(v: unknown): ProxyView[] | string {
  if (!Array.isArray(v)) return 'not a list';
  if (v.length > 200_000) return `${v.length} proxies, more than 200000`;
  for (const [i, p] of v.entries()) {
    const o = p as Partial<ProxyView> | null;
    if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || typeof o.namespace !== 'string') return `entry ${i} is not a proxy`;
  }
  return v as ProxyView[];
}
