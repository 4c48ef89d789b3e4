// Listener: terminates downstream TLS for one filter chain (handshake, client-cert and SAN checks).
import tls from 'node:tls';
import type net from 'node:net';
import type { DownstreamTlsContext } from '../config/types.js';
import { downstreamTlsOptions } from '../tls/tls-options.js';
import { sdsNames, type SecretManager } from '../tls/secret-manager.js';
import { verifyPeerCertificate } from '../tls/peer-verify.js';
import { X509Certificate } from 'node:crypto';
import { dnsSans, uriSans } from '../tls/san.js';
import { peerSubjectOf } from '../tls/subject.js';
import type { ListenerStats } from './listener-stats.js';

export interface TlsResult {
  socket: tls.TLSSocket;
  sni?: string;
  alpn?: string;
  peerUriSans: string[];
  peerDnsSans: string[];
  peerSubject?: string;
  /** DER of the verified client certificate, when one was presented. */
  peerCertificate?: Buffer;
  /** URI SANs of the certificate this chain serves (x-forwarded-client-cert's By). */
  localUriSans: readonly string[];
}

interface Pending {
  stats: ListenerStats;
  cb: (r: TlsResult) => void;
}

/** The TLSSocket shares the raw socket's handle, so the 4-tuple identifies it on both sides. */
function tupleKey(s: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number }): string {
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;
}

/**
 * One unlistened tls.Server per filter chain: its secure context is built once, and going through
 * Server#emit('connection') is the only public way to get OpenSSL's chain verdict (`authorized`)
 * on the server side. The handshake result is routed back to the waiting connection by 4-tuple.
 */
export class TlsTerminator {
  private readonly server: tls.Server;
  private readonly pending = new Map<string, Pending>();
  /** The context with its SDS secrets in place; undefined while one is missing (then every handshake is refused). */
  private ctx: DownstreamTlsContext | undefined;
  /** URI SANs of the served certificate, read once per context (it changes only on rotation). */
  private localUris: readonly string[] = [];
  private readonly unwatch: (() => void) | undefined;

  constructor(
    private readonly config: DownstreamTlsContext,
    handshakeTimeoutMs: number | undefined,
    secrets?: SecretManager,
  ) {
    const names = sdsNames(config.common_tls_context);
    this.ctx = this.resolve(secrets);
    this.localUris = localUriSans(this.ctx);
    // requestCert / rejectUnauthorized come from the config, so a secret arriving later needs no new server
    const opts: tls.TlsOptions = downstreamTlsOptions(this.ctx ?? config);
    if (handshakeTimeoutMs && handshakeTimeoutMs > 0) opts.handshakeTimeout = handshakeTimeoutMs;
    this.server = tls.createServer(opts);
    this.server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s));
    this.server.on('tlsClientError', (err: Error & { code?: string }, s: tls.TLSSocket) => this.onError(err, s));
    if (names.length > 0 && secrets !== undefined) this.unwatch = secrets.watch(names, () => this.rotate(secrets));
  }

  private resolve(secrets: SecretManager | undefined): DownstreamTlsContext | undefined {
    const common = secrets === undefined ? this.config.common_tls_context : secrets.resolve(this.config.common_tls_context);
    if (common === undefined || sdsNames(common).length > 0) return undefined;
    return { ...this.config, common_tls_context: common };
  }

  /** A secret changed: new handshakes use the new context; open connections keep theirs (none is dropped). */
  private rotate(secrets: SecretManager): void {
    this.ctx = this.resolve(secrets);
    this.localUris = localUriSans(this.ctx);
    if (this.ctx !== undefined) this.server.setSecureContext(downstreamTlsOptions(this.ctx));
  }

  /** The chain is gone: stop following its secrets. */
  close(): void {
    this.unwatch?.();
  }

  /** Hands `raw` (peeked bytes already put back) to OpenSSL; `cb` runs only if the peer is accepted. */
  terminate(raw: net.Socket, stats: ListenerStats, cb: (r: TlsResult) => void): void {
    if (this.ctx === undefined) {
      // Envoy keeps such a listener warming; a chain without its certificate must not serve a handshake
      stats.sslConnectionError.inc();
      raw.destroy();
      return;
    }
    const key = tupleKey(raw);
    this.pending.set(key, { stats, cb });
    raw.once('close', () => this.pending.delete(key));
    this.server.emit('connection', raw);
  }

  private onSecure(s: tls.TLSSocket): void {
    const key = tupleKey(s);
    const p = this.pending.get(key);
    this.pending.delete(key);
    if (!p) {
      s.destroy();
      return;
    }
    const cert = s.getPeerCertificate();
    const presented = cert !== null && cert !== undefined && cert.raw !== undefined;
    if (presented && !s.authorized) {
      // Not required but presented and untrusted: Envoy fails such connections too.
      p.stats.sslFailVerifyError.inc();
      s.destroy();
      return;
    }
    const ctx = this.ctx ?? this.config;
    if (!presented && ctx.require_client_certificate) {
      p.stats.sslFailVerifyNoCert.inc();
      s.destroy();
      return;
    }
    if (presented && verifyPeerCertificate(cert, ctx.common_tls_context.validation_context) !== null) {
      p.stats.sslFailVerifySan.inc();
      s.destroy();
      return;
    }
    p.stats.sslHandshake.inc();
    const x509 = presented ? s.getPeerX509Certificate() : undefined;
    p.cb({
      socket: s,
      sni: typeof s.servername === 'string' ? s.servername : undefined,
      alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : undefined,
      peerUriSans: presented ? uriSans(cert) : [],
      peerDnsSans: presented ? dnsSans(cert) : [],
      // a mesh SVID has an empty subject: that must not throw in the handshake callback (it took the whole proxy down)
      peerSubject: peerSubjectOf(x509),
      ...(presented ? { peerCertificate: cert.raw } : {}),
      localUriSans: this.localUris,
    });
  }

  private onError(err: Error & { code?: string }, s: tls.TLSSocket): void {
    const key = tupleKey(s);
    const p = this.pending.get(key);
    this.pending.delete(key);
    if (!p) return;
    if (err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') p.stats.sslFailVerifyNoCert.inc();
    else p.stats.sslConnectionError.inc();
  }
}

/** URI SANs of the first certificate a context serves ([] without one, or when it does not parse). */
function localUriSans(ctx: DownstreamTlsContext | undefined): readonly string[] {
  const chain = ctx?.common_tls_context.tls_certificates[0]?.certificate_chain;
  if (chain === undefined) return [];
  try {
    return uriSans({ subjectaltname: new X509Certificate(chain).subjectAltName });
  } catch {
    return [];
  }
}
