// Translate stage: a cluster's upstream TLS — DestinationRule tls (DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL) or, without
// one, Istio's auto-mTLS: transport_socket_matches that send mTLS to endpoints with a sidecar and plaintext to the rest.
import type { ClientTLSSettings } from '../../api/types.js';
import type { Snapshot } from '../model/types.js';
import type { ClusterSpec } from './cluster-specs.js';
import { UPSTREAM_TLS_TYPE } from '../../xds/type-urls.js';
import { HTTP_PROTOCOL_OPTIONS_TYPE, TYPE_PREFIX, type Json } from './generator.js';
import { serviceMtlsDisabled } from './peer-authn.js';
import { METADATA_EXCHANGE_FILTER, PEER_EXCHANGE_ALPN } from './istio-stats.js';
import { credentialCaSdsName, credentialSdsName } from './sds.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, sanMatchers, sdsSecret, spiffeId } from './workload-identity.js';

const RAW_BUFFER_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;
const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** The endpoint metadata key auto-mTLS matches on (Istio's). */
export const TLS_MODE_MATCH_KEY = 'envoy.transport_socket_match';

/** Istio's SNI for mesh mTLS: `outbound_.<port>_.<subset>_.<host>` (the subset empty when none: `outbound_.9080_._.<host>`). */
export function meshSni(spec: ClusterSpec): string {
  return `outbound_.${spec.port.port}_.${spec.subset}_.${spec.service.hostname}`;
}

/**
 * The identities the servers of the cluster's service port may present: the SPIFFE id of every service account
 * behind the port (subset or not, as Istio's), plus a ServiceEntry's subjectAltNames. Sorted, no duplicates.
 */
export function serviceIdentities(spec: ClusterSpec, snap: Snapshot): string[] {
  const out = new Set<string>(spec.service.subjectAltNames ?? []);
  for (const i of snap.index.instancesByService.get(spec.service.hostname) ?? []) {
    if (i.servicePort !== spec.port.port || i.serviceAccount === undefined) continue;
    out.add(spiffeId(snap.trustDomain, i.namespace ?? spec.service.namespace, i.serviceAccount));
  }
  return [...out].sort();
}

/** ALPN the cluster's HTTP protocol asks for (H2Pool offers h2 itself; use-downstream and TCP clusters offer none). */
function clusterAlpn(cluster: Json, http: boolean): string[] {
  const opts = (cluster.typed_extension_protocol_options as Json | undefined)?.[HTTP_OPTIONS_KEY] as Json | undefined;
  const explicit = opts?.explicit_http_config as Json | undefined;
  if (explicit?.http2_protocol_options !== undefined) return ['h2'];
  if (opts?.use_downstream_protocol_config !== undefined || !http) return [];
  return ['http/1.1'];
}

/**
 * A TCP cluster's mesh mTLS offers Istio's peer exchange, and its istio.metadata_exchange reads the server's frame
 * when the server picks it (a server that does not negotiates no ALPN and the bytes flow untouched).
 */
function meshTcpExchange(cluster: Json, http: boolean): readonly string[] {
  if (http) return clusterAlpn(cluster, http);
  cluster.filters = [METADATA_EXCHANGE_FILTER];
  return PEER_EXCHANGE_ALPN;
}

function tlsSocket(ctx: Json): Json {
  return { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS_TYPE, ...ctx } };
}

/** ISTIO_MUTUAL: the workload certificate, the mesh roots, the server's identity checked against `sans`. */
function istioMutualSocket(sni: string, sans: readonly string[], alpn: readonly string[]): Json {
  const common: Json = {
    tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_CERT_SECRET)],
    combined_validation_context: {
      default_validation_context: sans.length > 0 ? { match_typed_subject_alt_names: sanMatchers(sans) } : {},
      validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET),
    },
  };
  if (alpn.length > 0) common.alpn_protocols = [...alpn];
  return tlsSocket({ common_tls_context: common, sni });
}

/**
 * SIMPLE / MUTUAL origination. The server is verified against caCertificates (a file on the proxy), the
 * credentialName secret's CA (`kubernetes://<name>-cacert`), or else the public roots — unless insecureSkipVerify.
 */
function userTlsSocket(tls: ClientTLSSettings, alpn: readonly string[]): Json {
  const common: Json = {};
  if (tls.mode === 'MUTUAL') {
    if (tls.credentialName !== undefined && tls.credentialName !== '') common.tls_certificate_sds_secret_configs = [sdsSecret(credentialSdsName(tls.credentialName))];
    else common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate ?? '' }, private_key: { filename: tls.privateKey ?? '' } }];
  }
  if (tls.insecureSkipVerify !== true) {
    const sans = sanMatchers(tls.subjectAltNames ?? []);
    const base: Json = sans.length > 0 ? { match_typed_subject_alt_names: sans } : {};
    if (tls.credentialName !== undefined && tls.credentialName !== '') {
      common.combined_validation_context = { default_validation_context: base, validation_context_sds_secret_config: sdsSecret(credentialCaSdsName(tls.credentialName)) };
    } else if (tls.caCertificates !== undefined && tls.caCertificates !== '') {
      common.validation_context = { trusted_ca: { filename: tls.caCertificates }, ...base };
    } else {
      common.validation_context = { system_root_certs: {}, ...base };
    }
  }
  if (alpn.length > 0) common.alpn_protocols = [...alpn];
  const ctx: Json = { common_tls_context: common };
  if (tls.sni !== undefined && tls.sni !== '') ctx.sni = tls.sni;
  return tlsSocket(ctx);
}

/**
 * Istio's auto SNI and SAN validation for SIMPLE / MUTUAL HTTP clusters without `sni`: the request's host is the SNI
 * and, when no subjectAltNames are given and the server is verified, the name its certificate must carry.
 */
function autoSni(cluster: Json, tls: ClientTLSSettings): void {
  if (tls.sni !== undefined && tls.sni !== '') return;
  const upstream: Json = { auto_sni: true };
  if ((tls.subjectAltNames ?? []).length === 0 && tls.insecureSkipVerify !== true) upstream.auto_san_validation = true;
  const all = (cluster.typed_extension_protocol_options as Json | undefined) ?? {};
  const opts: Json = (all[HTTP_OPTIONS_KEY] as Json | undefined) ?? { '@type': HTTP_PROTOCOL_OPTIONS_TYPE, explicit_http_config: { http_protocol_options: {} } };
  cluster.typed_extension_protocol_options = { ...all, [HTTP_OPTIONS_KEY]: { ...opts, upstream_http_protocol_options: upstream } };
}

export interface ClusterTlsContext {
  snap: Snapshot;
  /** grpc-js-xds reads no SDS: proxyless clients get no auto-mTLS (an explicit DestinationRule tls fails closed there). */
  proxyless: boolean;
  /** The service port speaks HTTP (auto SNI applies). */
  http: boolean;
}

/**
 * Sets transport_socket or transport_socket_matches on `cluster` (after its protocol options are in place, whose
 * ALPN it follows). An explicit tls wins, as in Istio; without one, a mesh-internal service gets auto-mTLS unless its
 * namespace (or the mesh) PeerAuthentication disables mTLS — workload-level policies cannot be known to clients.
 */
export function applyClusterTls(cluster: Json, spec: ClusterSpec, tls: ClientTLSSettings | undefined, ctx: ClusterTlsContext): void {
  const alpn = clusterAlpn(cluster, ctx.http);
  if (tls !== undefined) {
    switch (tls.mode) {
      case 'DISABLE':
        return;
      case 'ISTIO_MUTUAL': {
        const sans = (tls.subjectAltNames ?? []).length > 0 ? [...(tls.subjectAltNames ?? [])] : serviceIdentities(spec, ctx.snap);
        cluster.transport_socket = istioMutualSocket(tls.sni !== undefined && tls.sni !== '' ? tls.sni : meshSni(spec), sans, meshTcpExchange(cluster, ctx.http));
        return;
      }
      case 'SIMPLE':
      case 'MUTUAL':
        cluster.transport_socket = userTlsSocket(tls, alpn);
        if (ctx.http) autoSni(cluster, tls);
        return;
    }
  }
  if (ctx.proxyless || spec.service.meshExternal || serviceMtlsDisabled(spec.service, ctx.snap)) return;
  cluster.transport_socket_matches = [
    { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: istioMutualSocket(meshSni(spec), serviceIdentities(spec, ctx.snap), meshTcpExchange(cluster, ctx.http)) },
    { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': RAW_BUFFER_TYPE } } },
  ];
}

/** The LbEndpoint metadata auto-mTLS matches: present only for endpoints with a sidecar. */
export function tlsModeMetadata(tlsMode: 'istio' | undefined): Json | undefined {
  return tlsMode === 'istio' ? { filter_metadata: { [TLS_MODE_MATCH_KEY]: { tlsMode: 'istio' } } } : undefined;
}
