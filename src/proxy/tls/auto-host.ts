// TLS: auto_sni / auto_san_validation — the upstream connection's SNI and accepted SAN come from the request's host.
import { isIP } from 'node:net';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { CertificateValidationContext, HttpProtocolOptions, SubjectAltNameMatcher, UpstreamTlsContext } from '../config/types.js';
import type { HeaderMap } from '../router/types.js';
import { verifyPeerCertificate } from './peer-verify.js';

type AutoOptions = NonNullable<HttpProtocolOptions['upstream_http_protocol_options']>;

/** host[:port] or [v6]:port -> the host alone (brackets dropped). */
export function hostOfAuthority(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end < 0 ? authority : authority.slice(1, end);
  }
  const colon = authority.lastIndexOf(':');
  return colon > 0 && authority.indexOf(':') === colon ? authority.slice(0, colon) : authority;
}

/**
 * The name auto_sni / auto_san_validation use: override_auto_sni_header's value when the request has one, else the
 * host it is sent with (after route host rewrites), without the port. undefined when there is none.
 */
export function autoHostName(req: { authority: string; headers: HeaderMap }, o: AutoOptions): string | undefined {
  let v: string | undefined;
  if (o.override_auto_sni_header !== undefined) {
    const h = req.headers[o.override_auto_sni_header];
    v = Array.isArray(h) ? h[0] : h;
  }
  const host = hostOfAuthority(v !== undefined && v !== '' ? v : req.authority).toLowerCase();
  return host === '' ? undefined : host;
}

/** The one name the certificate must carry: as a DNS SAN (wildcards allowed) or, for an address, an IP SAN. */
function sanMatchers(name: string): SubjectAltNameMatcher[] {
  const exact = { kind: 'exact', value: name, ignore_case: true } as const;
  return isIP(name) !== 0 ? [{ san_type: 'IP_ADDRESS', matcher: exact }] : [{ san_type: 'DNS', matcher: exact }, { san_type: 'URI', matcher: exact }];
}

/**
 * Connect options for one request host: SNI set to it (auto_sni; never an IP literal), and with
 * auto_san_validation its SAN replacing the configured SAN matchers. As every upstream check in trellis (and in
 * Envoy, which verifies nothing without a validation context), the SAN is checked when trusted_ca is configured.
 */
export function requestHostOptions(base: ConnectionOptions, ctx: UpstreamTlsContext, name: string, o: AutoOptions): ConnectionOptions {
  const out: ConnectionOptions = { ...base };
  if (o.auto_sni && isIP(name) === 0) out.servername = name;
  const vc = ctx.common_tls_context.validation_context;
  if (o.auto_san_validation && (vc?.trusted_ca !== undefined || vc?.system_root_certs === true)) {
    const withSan: CertificateValidationContext = { ...vc, match_typed_subject_alt_names: sanMatchers(name) };
    out.checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
      const err = verifyPeerCertificate(cert, withSan);
      return err === null ? undefined : new Error(`upstream ${err}`);
    };
  }
  return out;
}
