// TLS: turns DownstreamTlsContext / UpstreamTlsContext into Node tls server and connect options.
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureContext, type SecureVersion, type TlsOptions } from 'node:tls';
import type { CommonTlsContext, DownstreamTlsContext, UpstreamTlsContext } from '../config/types.js';
import { verifyPeerCertificate } from './peer-verify.js';

type EnvoyTlsVersion = CommonTlsContext['tls_params']['tls_minimum_protocol_version'];

const VERSIONS: Record<Exclude<EnvoyTlsVersion, 'TLS_AUTO'>, SecureVersion> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

/** Envoy's TLS 1.3 suites are not configurable; Node caps at TLS 1.2 when `ciphers` lists none, so we add them. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** BoringSSL equal-preference groups `[A|B]` become plain OpenSSL order `A:B`. */
function cipherList(suites: readonly string[]): string | undefined {
  if (suites.length === 0) return undefined;
  const names = suites.flatMap((s) => s.replace(/^\[|\]$/g, '').split('|')).filter((s) => s.length > 0);
  if (!names.some((n) => n.startsWith('TLS_'))) names.push(...TLS13_SUITES);
  return names.join(':');
}

/** Options shared by both directions: own certs, versions, ciphers, curves, ALPN. */
function commonOptions(c: CommonTlsContext): TlsOptions {
  const o: TlsOptions = {};
  if (c.tls_certificates.length > 0) {
    // Node picks the right one per handshake when several (RSA + ECDSA) are given.
    o.cert = c.tls_certificates.map((t) => t.certificate_chain);
    o.key = c.tls_certificates.map((t) => t.private_key);
  }
  const { tls_minimum_protocol_version: min, tls_maximum_protocol_version: max } = c.tls_params;
  // Envoy defaults: minimum TLS 1.2, maximum TLS 1.3.
  o.minVersion = min === 'TLS_AUTO' ? 'TLSv1.2' : VERSIONS[min];
  o.maxVersion = max === 'TLS_AUTO' ? 'TLSv1.3' : VERSIONS[max];
  const ciphers = cipherList(c.tls_params.cipher_suites);
  if (ciphers) o.ciphers = ciphers;
  if (c.tls_params.ecdh_curves.length > 0) o.ecdhCurve = c.tls_params.ecdh_curves.join(':');
  if (c.alpn_protocols.length > 0) o.ALPNProtocols = [...c.alpn_protocols];
  const ca = c.validation_context?.trusted_ca;
  if (ca) o.ca = ca;
  return o;
}

/**
 * Server options for a filter chain's tls.Server. A client certificate is requested whenever there is
 * a validation context (so SANs can be checked), and OpenSSL refuses the handshake without one only
 * when require_client_certificate. SAN / pin checks run after the handshake (see verifyPeerCertificate).
 */
export function downstreamTlsOptions(ctx: DownstreamTlsContext): TlsOptions {
  const o = commonOptions(ctx.common_tls_context);
  const c = ctx.common_tls_context;
  // a validation context named through SDS counts before it arrives: the server's requestCert cannot change later
  o.requestCert = ctx.require_client_certificate || c.validation_context !== undefined || c.validation_context_sds_secret_config !== undefined;
  o.rejectUnauthorized = ctx.require_client_certificate;
  return o;
}

/**
 * Options for tls.connect to an upstream host. With trusted_ca (or system_root_certs) the chain is verified; the hostname
 * is not (Envoy never checks it implicitly): SAN matchers, when given, replace checkServerIdentity.
 * Without trusted_ca nothing is verified, as in Envoy. SNI is the context's `sni`, else `defaultSni`
 * (never an IP literal: RFC 6066 forbids it and Node warns).
 */
export function upstreamTlsConnectOptions(ctx: UpstreamTlsContext, defaultSni?: string): ConnectionOptions {
  const common = commonOptions(ctx.common_tls_context);
  const o: ConnectionOptions = {
    secureContext: upstreamContext(ctx, common),
    minVersion: common.minVersion,
    maxVersion: common.maxVersion,
  };
  if (common.ALPNProtocols) o.ALPNProtocols = common.ALPNProtocols;
  const vc = ctx.common_tls_context.validation_context;
  const sni = ctx.sni ?? defaultSni;
  if (sni && isIP(sni) === 0) o.servername = sni;
  // system_root_certs without trusted_ca: Node's bundled public roots (no `ca` option) verify the chain
  if (vc?.trusted_ca || vc?.system_root_certs === true) {
    o.rejectUnauthorized = true;
    o.checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
      const err = verifyPeerCertificate(cert, vc);
      return err === null ? undefined : new Error(`upstream ${err}`);
    };
  } else {
    o.rejectUnauthorized = false;
  }
  return o;
}

/** One SecureContext per (immutable) UpstreamTlsContext: building one parses keys and CAs, far too slow per connection. */
const upstreamContexts = new WeakMap<UpstreamTlsContext, SecureContext>();

function upstreamContext(ctx: UpstreamTlsContext, common: TlsOptions): SecureContext {
  let sc = upstreamContexts.get(ctx);
  if (!sc) {
    sc = createSecureContext(common);
    upstreamContexts.set(ctx, sc);
  }
  return sc;
}
