// Upstream pools: the dispatch interface the router filter uses to send one request to one host.
import type { Duplex } from 'node:stream';
import type { UpstreamFailure } from '../types.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface UpstreamRequestHead {
  method: string;
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  /** Lower-case names, no pseudo-headers, no hop-by-hop headers. */
  headers: HeaderMap;
  /** Whether a body follows (false = end of stream right after the headers). */
  hasBody: boolean;
  /** Expected body length when known (content-length), else -1 (chunked on HTTP/1.1). */
  contentLength: number;
}

/** The local end of an upstream connection, read only when a log asks for it. */
export interface UpstreamConnectionEnd {
  readonly localAddress?: string;
  readonly localPort?: number;
}

/** Callbacks for one upstream request; exactly one of onEnd / onError ends it. */
export interface UpstreamResponseHandler {
  /** `conn` is the connection that carried the exchange (its local end is %UPSTREAM_LOCAL_ADDRESS%). */
  onHeaders(status: number, headers: HeaderMap, conn?: UpstreamConnectionEnd): void;
  onData(chunk: Buffer): void;
  onEnd(trailers: HeaderMap | undefined): void;
  onError(kind: UpstreamFailure, detail: string): void;
}

/** The request side of one upstream exchange: body writes with backpressure. */
export interface UpstreamStream {
  /** false = the upstream's buffer is full; wait for the drain callback given to `onDrain`. */
  write(chunk: Buffer): boolean;
  end(trailers?: HeaderMap): void;
  /** Abandon the exchange (downstream reset, timeout): the connection is not reused. */
  abort(): void;
  onDrain(cb: () => void): void;
  /** Response-side backpressure: stop/restart reading the upstream response. */
  pauseResponse(): void;
  resumeResponse(): void;
}

export interface ConnectionPool {
  /** Starts a request; the handler gets exactly one terminal callback (onEnd or onError). */
  request(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream;
  /** Opens a raw connection for an HTTP/1.1 upgrade (WebSocket); resolves with the socket or a failure kind. */
  connectRaw(cb: (err: UpstreamFailure | null, socket?: Duplex) => void): void;
  readonly protocol: 'http/1.1' | 'h2';
  /** Close idle connections now and the rest when their requests finish. */
  drain(): void;
  close(): void;
}
