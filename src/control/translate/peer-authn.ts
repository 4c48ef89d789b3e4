// Translate stage: PeerAuthentication — the mTLS mode a workload port gets (workload > namespace > mesh policy, as Istio
// composes them), the sidecar inbound listener's filter chains for it, and what clients may infer about a service.
import type { PeerAuthentication, PeerAuthenticationMode } from '../../api/types.js';
import type { InstanceInfo, ServiceInfo, Snapshot } from '../model/types.js';
import { DOWNSTREAM_TLS_TYPE } from '../../xds/type-urls.js';
import { LISTENER_TYPE, type Json } from './generator.js';
import { socketAddress } from './envoy.js';
import { TLS_INSPECTOR } from './l4-filters.js';
import { METADATA_EXCHANGE_FILTER, PEER_EXCHANGE_ALPN } from './istio-stats.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, sdsSecret } from './workload-identity.js';

/** The mode a port ends up with; UNSET resolves to its parent's, and no policy at all is PERMISSIVE. */
export type PeerMode = Exclude<PeerAuthenticationMode, 'UNSET'>;

function selectorLabels(pa: PeerAuthentication): Readonly<Record<string, string>> {
  return pa.spec.selector?.matchLabels ?? {};
}

function isWideOpen(pa: PeerAuthentication): boolean {
  return Object.keys(selectorLabels(pa)).length === 0;
}

/** The first (by name: Istio takes the oldest, which a store without creation times cannot tell) namespace-wide policy. */
function namespacePolicy(ns: string, snap: Snapshot): PeerAuthentication | undefined {
  return snap.index.peerAuthenticationsByNamespace.get(ns)?.find(isWideOpen);
}

function workloadPolicy(ns: string, labels: Readonly<Record<string, string>>, snap: Snapshot): PeerAuthentication | undefined {
  return snap.index.peerAuthenticationsByNamespace.get(ns)?.find((pa) => {
    const sel = selectorLabels(pa);
    const keys = Object.keys(sel);
    return keys.length > 0 && keys.every((k) => labels[k] === sel[k]);
  });
}

function override(mode: PeerMode, next: PeerAuthenticationMode | undefined): PeerMode {
  return next === undefined || next === 'UNSET' ? mode : next;
}

/** Mesh then namespace policy: what every workload of `ns` starts from. */
function namespaceMode(ns: string, snap: Snapshot): PeerMode {
  const mesh = namespacePolicy(snap.rootNamespace, snap);
  let mode = override('PERMISSIVE', mesh?.spec.mtls?.mode);
  if (ns !== snap.rootNamespace) mode = override(mode, namespacePolicy(ns, snap)?.spec.mtls?.mode);
  return mode;
}

/**
 * The mode for a workload's `port` (the port the workload itself listens on, Istio's portLevelMtls key): its
 * workload-selected policy (port level, then its mtls), else the namespace-wide policy, else the mesh-wide one in the
 * root namespace, else PERMISSIVE. UNSET at any level inherits.
 */
export function workloadMtlsMode(ns: string, labels: Readonly<Record<string, string>>, port: number | undefined, snap: Snapshot): PeerMode {
  let mode = namespaceMode(ns, snap);
  const wl = workloadPolicy(ns, labels, snap);
  if (wl === undefined) return mode;
  mode = override(mode, wl.spec.mtls?.mode);
  if (port !== undefined) mode = override(mode, wl.spec.portLevelMtls?.[String(port)]?.mode);
  return mode;
}

/**
 * Whether clients must not try mTLS to `svc`: Istio infers a service's mode from the mesh and namespace policies only
 * (a client cannot know which workload-level policy each server has), and only DISABLE turns auto-mTLS off.
 */
export function serviceMtlsDisabled(svc: ServiceInfo, snap: Snapshot): boolean {
  if (snap.peerAuthentications.length === 0) return false;
  return namespaceMode(svc.namespace, snap) === 'DISABLE';
}

/** Istio's sidecar inbound HCM: the app learns the verified peer (x-forwarded-client-cert By, Hash, Subject, URI, DNS). */
export const INBOUND_XFCC: Json = { forward_client_cert_details: 'APPEND_FORWARD', set_current_client_cert_details: { subject: true, dns: true, uri: true } };

/**
 * The tlsMode an endpoint advertises to auto-mTLS clients: 'istio' for a sidecar, unless the workload's own policy
 * disables mTLS on its port (Istio's EDS does the same, so a workload-level DISABLE gets plaintext from clients).
 */
export function endpointTlsMode(i: InstanceInfo, snap: Snapshot): 'istio' | undefined {
  if (i.tlsMode !== 'istio') return undefined;
  if (snap.peerAuthentications.length === 0) return 'istio';
  return workloadMtlsMode(i.namespace ?? '', i.labels, i.workloadPort ?? i.port, snap) === 'DISABLE' ? undefined : 'istio';
}

/** What an HTTP inbound port offers over ALPN (as Istio's): h2 for clients that ask (gRPC), else HTTP/1.1. */
const INBOUND_HTTP_ALPN = ['h2', 'http/1.1'];

/**
 * The inbound mTLS server: the workload certificate, clients' certificates required and verified against the mesh
 * roots; HTTP ports negotiate h2 or HTTP/1.1 (a client that offers no ALPN is told apart by its first bytes), TCP
 * ports Istio's peer exchange (the chain's istio.metadata_exchange reads the client's frame when it is chosen).
 */
export function inboundMtlsSocket(http: boolean): Json {
  const common: Json = {
    tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_CERT_SECRET)],
    validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET),
    alpn_protocols: http ? [...INBOUND_HTTP_ALPN] : [...PEER_EXCHANGE_ALPN],
  };
  return { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWNSTREAM_TLS_TYPE, common_tls_context: common, require_client_certificate: true } };
}

/**
 * The sidecar's inbound listener for `mode`, serving `filter` (its HCM or tcp_proxy): STRICT accepts only mTLS (a
 * plaintext client fails the handshake); PERMISSIVE tells mTLS from plaintext by the ClientHello (tls_inspector) and
 * serves both, waiting at most 1 s for a first byte before taking the connection as plaintext (server-first
 * protocols); DISABLE is plaintext only.
 */
export function inboundListenerFor(name: string, address: string, port: number, filters: readonly Json[], mode: PeerMode, http: boolean): Json {
  // a TCP mTLS chain that offers the peer exchange's ALPN must read the client's frame
  const mtlsFilters = http ? [...filters] : [METADATA_EXCHANGE_FILTER, ...filters];
  const out: Json = { '@type': LISTENER_TYPE, name, address: socketAddress(address, port) };
  switch (mode) {
    case 'STRICT':
      out.filter_chains = [{ name: 'inbound-mtls', filters: mtlsFilters, transport_socket: inboundMtlsSocket(http) }];
      break;
    case 'PERMISSIVE':
      out.listener_filters = [TLS_INSPECTOR];
      out.listener_filters_timeout = '1s';
      out.continue_on_listener_filters_timeout = true;
      out.filter_chains = [
        { name: 'inbound-mtls', filter_chain_match: { transport_protocol: 'tls' }, filters: mtlsFilters, transport_socket: inboundMtlsSocket(http) },
        { name: 'inbound-plaintext', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [...filters] },
      ];
      break;
    case 'DISABLE':
      out.filter_chains = [{ filters: [...filters] }];
      break;
  }
  out.traffic_direction = 'INBOUND';
  return out;
}
