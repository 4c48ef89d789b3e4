// Translate stage: a Gateway server's ServerTLSSettings (file certificates, credentialName or ISTIO_MUTUAL over SDS) → the filter chain's DownstreamTlsContext transport socket.
import type { ServerTLSSettings } from '../../api/types.js';
import { TYPE_PREFIX, type Json } from './generator.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, credentialCaSdsName, credentialSdsName, sdsSecretConfig } from './sds.js';

export const DOWNSTREAM_TLS_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`;

/** Istio's TLS version names → Envoy's TlsParameters enum. */
const VERSIONS: Readonly<Record<string, string>> = { TLSV1_0: 'TLSv1_0', TLSV1_1: 'TLSv1_1', TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3' };

/** Istio offers HTTP/2 and HTTP/1.1 over ALPN on terminated HTTPS servers. */
export const HTTPS_ALPN = ['h2', 'http/1.1'];

function tlsParams(tls: ServerTLSSettings): Json | undefined {
  const out: Json = {};
  const min = VERSIONS[tls.minProtocolVersion ?? ''];
  const max = VERSIONS[tls.maxProtocolVersion ?? ''];
  if (min !== undefined) out.tls_minimum_protocol_version = min;
  if (max !== undefined) out.tls_maximum_protocol_version = max;
  if ((tls.cipherSuites?.length ?? 0) > 0) out.cipher_suites = [...(tls.cipherSuites ?? [])];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** MUTUAL / OPTIONAL_MUTUAL: clients are verified against caCertificates; subjectAltNames match a DNS or URI SAN exactly (as Istio does). */
function validationContext(tls: ServerTLSSettings): Json {
  const out: Json = { trusted_ca: { filename: tls.caCertificates ?? '' } };
  const sans = tls.subjectAltNames ?? [];
  if (sans.length > 0) out.match_typed_subject_alt_names = sans.flatMap((s) => ['DNS', 'URI'].map((t) => ({ san_type: t, matcher: { exact: s } })));
  if ((tls.verifyCertificateSpki?.length ?? 0) > 0) out.verify_certificate_spki = [...(tls.verifyCertificateSpki ?? [])];
  if ((tls.verifyCertificateHash?.length ?? 0) > 0) out.verify_certificate_hash = [...(tls.verifyCertificateHash ?? [])];
  return out;
}

/**
 * The certificate and (for MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) the client-verifying CA: the mesh identity over SDS for
 * ISTIO_MUTUAL, a Secret over SDS for credentialName (`kubernetes://<name>`, CA `kubernetes://<name>-cacert`, as Istio
 * names them), else files the gateway reads when it applies the config (the paths are the gateway's, as Istio's were the pod's).
 */
function certificates(tls: ServerTLSSettings): Json {
  const verifies = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL';
  if (tls.mode === 'ISTIO_MUTUAL') {
    return { tls_certificate_sds_secret_configs: [sdsSecretConfig(WORKLOAD_CERT_SECRET)], validation_context_sds_secret_config: sdsSecretConfig(ROOT_CA_SECRET) };
  }
  if (tls.credentialName !== undefined && tls.credentialName !== '') {
    const out: Json = { tls_certificate_sds_secret_configs: [sdsSecretConfig(credentialSdsName(tls.credentialName))] };
    if (verifies) out.validation_context_sds_secret_config = sdsSecretConfig(credentialCaSdsName(tls.credentialName));
    return out;
  }
  const out: Json = { tls_certificates: [{ certificate_chain: { filename: tls.serverCertificate ?? '' }, private_key: { filename: tls.privateKey ?? '' } }] };
  if (verifies) out.validation_context = validationContext(tls);
  return out;
}

/** `envoy.transport_sockets.tls` for a terminating server (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL). */
export function downstreamTlsSocket(tls: ServerTLSSettings, alpn: readonly string[]): Json {
  const common: Json = certificates(tls);
  const params = tlsParams(tls);
  if (params !== undefined) common.tls_params = params;
  if (alpn.length > 0) common.alpn_protocols = [...alpn];
  const ctx: Json = { '@type': DOWNSTREAM_TLS_TYPE, common_tls_context: common };
  if (tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL') ctx.require_client_certificate = true;
  return { name: 'envoy.transport_sockets.tls', typed_config: ctx };
}
