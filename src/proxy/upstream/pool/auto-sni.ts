// Upstream pools: upstream_http_protocol_options auto_sni / auto_san_validation — TLS server name and SAN check from the request's host.
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** The host part of an authority (no port, no IPv6 brackets), lower-cased; '' when empty. */
export function sniFromAuthority(authority: string): string {
  let host = authority;
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    host = close < 0 ? host.slice(1) : host.slice(1, close);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  return host.toLowerCase();
}

export interface AutoTls {
  tls: ConnectionOptions | undefined;
  verifyPeer?: (socket: TLSSocket) => Error | undefined;
}

/**
 * TLS options for connections made for `sni`. auto_sni replaces the configured SNI (never with an IP
 * literal, which RFC 6066 forbids); auto_san_validation requires the peer certificate to be valid for
 * `sni` (DNS SAN, wildcards included, or IP SAN), on top of whatever the cluster's context verifies.
 */
export function autoTlsTarget(base: ConnectionOptions | undefined, sni: string, autoSni: boolean, autoSan: boolean): AutoTls {
  if (base === undefined || sni === '') return { tls: base };
  let tls = base;
  if (autoSni && isIP(sni) === 0) tls = { ...base, servername: sni };
  if (!autoSan) return { tls };
  return {
    tls,
    verifyPeer: (socket) => {
      const cert = socket.getPeerCertificate();
      if (cert === null || Object.keys(cert).length === 0) return new Error(`upstream presented no certificate to verify against "${sni}"`);
      const err = checkServerIdentity(sni, cert);
      return err === undefined ? undefined : new Error(`upstream certificate is not valid for "${sni}": ${err.message}`);
    },
  };
}
