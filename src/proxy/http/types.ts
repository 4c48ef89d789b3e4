// HTTP: the contract between listeners (which accept, inspect and decrypt connections) and the HTTP connection manager.
import type { Duplex } from 'node:stream';

/** What the listener learned about a downstream connection before handing it on. */
export interface DownstreamConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Name of the listener and filter chain, for stats and config_dump. */
  readonly listenerName: string;
  readonly filterChainName: string;
  readonly tls?: {
    readonly sni?: string;
    readonly alpn?: string; // negotiated ALPN protocol ('h2', 'http/1.1')
    /** URI SANs of a verified client certificate (e.g. spiffe://…) */
    readonly peerUriSans: readonly string[];
    /** DNS SANs of a verified client certificate (RBAC's authenticated principal_name falls back to them). */
    readonly peerDnsSans?: readonly string[];
    readonly peerSubject?: string;
    /** The verified client certificate (DER) when one was presented: x-forwarded-client-cert's Hash and Cert. */
    readonly peerCertificate?: Buffer;
    /** URI SANs of our own certificate on this chain: x-forwarded-client-cert's By. */
    readonly localUriSans?: readonly string[];
  };
  /** The SNI tls_inspector read from a ClientHello this listener does not terminate (TLS passthrough). */
  readonly requestedServerName?: string;
}

/**
 * Handles HTTP connections for one http_connection_manager filter.
 * `protocol` is what the listener detected: 'h2' when ALPN said h2 or the HTTP/2 preface was seen,
 * 'http/1.1' otherwise. Bytes the listener peeked have been put back on `socket` before the call.
 */
export interface HttpConnectionHandler {
  handleConnection(socket: Duplex, info: DownstreamConnectionInfo, protocol: 'h2' | 'http/1.1'): void;
  /** Stop accepting new streams, let in-flight ones finish (GOAWAY / Connection: close), resolve when done or timed out. */
  drain(timeoutMs: number): Promise<void>;
}
