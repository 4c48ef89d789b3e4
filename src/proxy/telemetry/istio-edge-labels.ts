// Telemetry: istio.stats label values that do not change per request — the destination service and the two
// principals — each worked out once per distinct input and handed back as the same object after that.
import type { DownstreamConnectionInfo } from '../http/types.js';
import { UNKNOWN, type PeerInfo } from './peer-info.js';
import { ISTIO_LABELS, LABEL_INDEX as L } from './istio-metrics.js';

/** Istio's destination_service, destination_service_name and destination_service_namespace. */
export interface DestinationService {
  readonly fqdn: string;
  readonly name: string;
  readonly namespace: string;
}

/** Istio's source_principal, destination_principal and connection_security_policy for one side of a connection. */
export interface Principals {
  readonly source: string;
  readonly destination: string;
  readonly policy: string;
}

const UNKNOWN_SERVICE: DestinationService = { fqdn: UNKNOWN, name: UNKNOWN, namespace: UNKNOWN };

/**
 * Istio's destination_service: the service FQDN of the upstream cluster (`outbound|9080|v1|reviews.default.svc.cluster.local`)
 * on the client, the workload's own service on the server, else the Host header (Istio's fallback).
 */
export function destinationService(cluster: string, me: PeerInfo | undefined, host: string): DestinationService {
  let fqdn = '';
  if (cluster.startsWith('outbound|')) fqdn = cluster.slice(cluster.lastIndexOf('|') + 1);
  else if (me !== undefined && me.service !== '') fqdn = me.service.includes('.') ? me.service : `${me.service}.${me.namespace}.svc.cluster.local`;
  else fqdn = host.replace(/:\d+$/, '');
  if (fqdn === '') return UNKNOWN_SERVICE;
  const parts = fqdn.split('.');
  // a namespace only where the name has one (`name.ns`, `name.ns.svc.cluster.local`); external hosts have none
  return { fqdn, name: parts[0]!, namespace: fqdn.endsWith('.svc.cluster.local') || parts.length === 2 ? parts[1]! : UNKNOWN };
}

/** Distinct inputs remembered per cache (clusters, hosts); past it a cache starts over (hosts come from clients). */
const MAX_REMEMBERED = 1024;

/** A bounded string → value map that starts over when full: a memo, so forgetting costs only a recomputation. */
class Remembered<V> {
  private readonly map = new Map<string, V>();
  get(key: string, make: (key: string) => V): V {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= MAX_REMEMBERED) this.map.clear();
      this.map.set(key, (v = make(key)));
    }
    return v;
  }
}

/** destinationService() per distinct upstream cluster, Host header or own identity, returning one object for each. */
export class DestinationServices {
  private readonly byCluster = new Remembered<DestinationService>();
  private readonly byHost = new Remembered<DestinationService>();
  private ownFor: PeerInfo | undefined;
  private own: DestinationService | undefined;

  /** `cluster` is '' on the server side; `host` is '' when the Host header fallback is disabled. */
  get(cluster: string, me: PeerInfo | undefined, host: string): DestinationService {
    if (cluster.startsWith('outbound|')) return this.byCluster.get(cluster, (c) => destinationService(c, undefined, ''));
    if (me !== undefined && me.service !== '') {
      if (this.own === undefined || this.ownFor !== me) (this.own = destinationService('', me, '')), (this.ownFor = me);
      return this.own;
    }
    return this.byHost.get(host, (h) => destinationService('', undefined, h));
  }
}

/** The principal a certificate's URI SANs name: the SPIFFE id when there is one. */
export function principalOf(sans: readonly string[] | undefined): string {
  if (sans === undefined) return UNKNOWN;
  for (const s of sans) if (s.startsWith('spiffe://')) return s;
  return sans[0] ?? UNKNOWN;
}

/** The principals a client sidecar reports: the downstream is its own app, so only its own certificate counts. */
function clientPrincipals(tls: DownstreamConnectionInfo['tls']): Principals {
  return { source: principalOf(tls?.localUriSans), destination: UNKNOWN, policy: UNKNOWN };
}

/** The principals a server sidecar reports: the peer's certificate is the source, its own the destination. */
function serverPrincipals(tls: DownstreamConnectionInfo['tls']): Principals {
  return {
    source: principalOf(tls?.peerUriSans),
    destination: principalOf(tls?.localUriSans),
    policy: tls !== undefined && tls.peerUriSans.length > 0 ? 'mutual_tls' : 'none',
  };
}

/**
 * Principals per connection, computed on its first request; connections with the same identities share one object
 * (interned by content), so series lookups can key on it.
 */
export class ConnectionPrincipals {
  private readonly byConnection = new WeakMap<object, Principals>();
  private readonly interned = new Remembered<Principals>();
  private plain: Principals | undefined;
  private readonly of: (tls: DownstreamConnectionInfo['tls']) => Principals;

  constructor(outbound: boolean) {
    this.of = outbound ? clientPrincipals : serverPrincipals;
  }

  get(conn: DownstreamConnectionInfo): Principals {
    const tls = conn.tls;
    if (tls === undefined) return (this.plain ??= this.of(undefined));
    let p = this.byConnection.get(tls);
    if (p === undefined) {
      const made = this.of(tls);
      p = this.interned.get(`${made.source}\n${made.destination}\n${made.policy}`, () => made);
      this.byConnection.set(tls, p);
    }
    return p;
  }
}

function fillPeer(v: string[], p: PeerInfo | undefined, side: 'source' | 'destination'): void {
  const src = side === 'source';
  v[src ? L.source_workload : L.destination_workload] = p?.workload ?? UNKNOWN;
  v[src ? L.source_workload_namespace : L.destination_workload_namespace] = p?.namespace ?? UNKNOWN;
  v[src ? L.source_app : L.destination_app] = p?.app ?? UNKNOWN;
  v[src ? L.source_version : L.destination_version] = p?.version ?? UNKNOWN;
  v[src ? L.source_canonical_service : L.destination_canonical_service] = p?.canonicalService ?? UNKNOWN;
  v[src ? L.source_canonical_revision : L.destination_canonical_revision] = p?.canonicalRevision ?? UNKNOWN;
  v[src ? L.source_cluster : L.destination_cluster] = p?.cluster ?? UNKNOWN;
}

/**
 * Istio's 25 label values (ISTIO_LABELS order) of one edge as `outbound` (the client, reporter=source) or the server
 * reports it; the response labels (code, gRPC status, flags) are left 'unknown' for the caller.
 */
export function edgeLabelValues(outbound: boolean, me: PeerInfo | undefined, peer: PeerInfo | undefined, principals: Principals, service: DestinationService, protocol: string): string[] {
  const v: string[] = new Array<string>(ISTIO_LABELS.length).fill(UNKNOWN);
  v[L.reporter] = outbound ? 'source' : 'destination';
  fillPeer(v, outbound ? me : peer, 'source');
  fillPeer(v, outbound ? peer : me, 'destination');
  v[L.source_principal] = principals.source;
  v[L.destination_principal] = principals.destination;
  v[L.connection_security_policy] = principals.policy;
  v[L.destination_service] = service.fqdn;
  v[L.destination_service_name] = service.name;
  v[L.destination_service_namespace] = service.namespace;
  v[L.request_protocol] = protocol;
  return v;
}
