// Listener: terminates downstream TLS for one filter chain (handshake, client-cert and SAN checks).
import tls from 'node:tls';
import type net from 'node:net';
import type { DownstreamTlsContext } from '../config/types.js';
import { downstreamTlsOptions } from '../tls/tls-options.js';
import { verifyPeerCertificate } from '../tls/peer-verify.js';
import { dnsSans, uriSans } from '../tls/san.js';
import type { ListenerStats } from './listener-stats.js';

export interface TlsResult {
  socket: tls.TLSSocket;
  sni?: string;
  alpn?: string;
  peerUriSans: string[];
  peerDnsSans: string[];
  peerSubject?: string;
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

  constructor(
    private readonly ctx: DownstreamTlsContext,
    handshakeTimeoutMs: number | undefined,
  ) {
    const opts: tls.TlsOptions = downstreamTlsOptions(ctx);
    if (handshakeTimeoutMs && handshakeTimeoutMs > 0) opts.handshakeTimeout = handshakeTimeoutMs;
    this.server = tls.createServer(opts);
    this.server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s));
    this.server.on('tlsClientError', (err: Error & { code?: string }, s: tls.TLSSocket) => this.onError(err, s));
  }

  /** Hands `raw` (peeked bytes already put back) to OpenSSL; `cb` runs only if the peer is accepted. */
  terminate(raw: net.Socket, stats: ListenerStats, cb: (r: TlsResult) => void): void {
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
    if (!presented && this.ctx.require_client_certificate) {
      p.stats.sslFailVerifyNoCert.inc();
      s.destroy();
      return;
    }
    if (presented && verifyPeerCertificate(cert, this.ctx.common_tls_context.validation_context) !== null) {
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
      // Envoy prints subjects RFC 2253 style: most significant RDN last, comma separated.
      peerSubject: x509 ? x509.subject.split('\n').reverse().join(',') : undefined,
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
