// xDS client: how the proxy proves itself to the control plane — TLS to its ADS cluster, then a workload certificate or a bootstrap token.
import type { Bootstrap } from '../config/types.js';
import type { TlsConnect } from './grpc-call.js';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface XdsCredentials {
  /** PEM roots the control plane's certificate must chain to (the ADS cluster's validation_context.trusted_ca). */
  ca: string;
  servername?: string;
  /** A client certificate from the bootstrap's TLS context, if it has one. */
  staticCert?: KeyPair;
  /** The bootstrap token (--token-file / TRELLIS_TOKEN): proof of identity until a workload certificate exists. */
  token?: string;
  /** The workload certificate once the agent holds a valid one. */
  workloadCert?: () => KeyPair | undefined;
  /** The control plane answered UNAUTHENTICATED to a connection that presented the workload certificate. */
  certificateRefused?: () => void;
}

/** A call that presented a certificate failed with `reason`: when the control plane refused our identity, say so. */
export function noteRefusal(c: XdsCredentials | undefined, presentedCert: boolean, reason: string): void {
  if (presentedCert && reason.startsWith('UNAUTHENTICATED')) c?.certificateRefused?.();
}

/** The ADS cluster's TLS settings, or undefined for a plaintext control plane. A TLS context without a CA cannot verify it: refused. */
export function controlPlaneCredentials(b: Bootstrap, token: string | undefined): XdsCredentials | undefined {
  const name = b.dynamic_resources?.ads_config?.cluster_name;
  const ts = b.static_resources.clusters.find((c) => c.name === name)?.transport_socket;
  if (ts === undefined) return undefined;
  const common = ts.typed_config.common_tls_context;
  const ca = common.validation_context?.trusted_ca;
  if (ca === undefined) throw new Error(`ADS cluster ${name} has a TLS transport_socket without validation_context.trusted_ca: the control plane could not be verified`);
  const first = common.tls_certificates[0];
  return {
    ca,
    ...(ts.typed_config.sni !== undefined ? { servername: ts.typed_config.sni } : {}),
    ...(first !== undefined ? { staticCert: { cert: first.certificate_chain, key: first.private_key } } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}

function clientCert(c: XdsCredentials): KeyPair | undefined {
  return c.workloadCert?.() ?? c.staticCert;
}

/**
 * TLS and call metadata for one connection, from one look at the certificate: the token goes only when no
 * certificate does (it is a bearer secret: sent no more than needed). Deciding both at once matters: a certificate
 * arriving between the handshake and the call would otherwise leave the call with neither proof. `name` is the host
 * name the address was resolved from: the control plane's certificate must name it (unless the bootstrap sets an SNI).
 */
export function connectParams(c: XdsCredentials | undefined, name?: string): { tls?: TlsConnect; metadata: Record<string, string> } {
  if (c === undefined) return { metadata: {} };
  const kp = clientCert(c);
  const servername = c.servername ?? name;
  const tls: TlsConnect = { ca: c.ca, ...(servername !== undefined ? { servername } : {}), ...(kp !== undefined ? { cert: kp.cert, key: kp.key } : {}) };
  return { tls, metadata: kp === undefined && c.token !== undefined ? { authorization: `Bearer ${c.token}` } : {} };
}
