// HTTP: the downstream of an HTTP/1.1 Upgrade request (WebSocket) while the filter chain decides on it —
// filters see it like any request; a local reply closes the connection; the router hands the socket to the tunnel.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HeaderMap } from '../router/types.js';
import type { DownstreamStream } from './downstream.js';
import type { UpgradeRequest } from './h1-codec.js';
import { headerLines } from '../upstream/pool/http-parser.js';

const CONNECTION: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive', 'upgrade']);

export class UpgradeDownstream implements DownstreamStream {
  readonly protocol = 'HTTP/1.1' as const;
  readonly method: string;
  readonly rawPath: string;
  readonly authority: string;
  readonly headers: HeaderMap;
  readonly hasBody = false;
  readonly contentLength = -1;
  responseStarted = false;
  /** The socket went to the tunnel (or the reply ended): its close is no longer an abort. */
  private handedOver = false;

  constructor(
    readonly req: UpgradeRequest,
    readonly socket: Duplex,
    /** Bytes the client sent after its request head (the first WebSocket frames, possibly). */
    readonly head: Buffer,
  ) {
    // Nothing the client sends next is read until a filter or the upstream has answered.
    socket.pause();
    this.method = req.method;
    this.rawPath = req.url;
    const host = req.headers.host;
    this.authority = typeof host === 'string' ? host : '';
    this.headers = req.headers;
  }

  /** The router takes the socket for the tunnel; the stream's completion is then the tunnel's. */
  takeSocket(): Duplex {
    this.handedOver = true;
    return this.socket;
  }

  readBody(_onData: (chunk: Buffer) => void, onEnd: (trailers: HeaderMap | undefined) => void): void {
    onEnd(undefined);
  }
  pauseBody(): void {}
  resumeBody(): void {}

  respondHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    this.responseStarted = true;
    // connection: close — without a content-length the body ends with the connection
    this.socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n${headerLines(headers, CONNECTION)}connection: close\r\n\r\n`, 'latin1');
    if (endStream) this.respondEnd(undefined);
  }
  respondData(chunk: Buffer): boolean {
    return this.socket.write(chunk);
  }
  respondEnd(_trailers: HeaderMap | undefined): void {
    if (this.handedOver) return;
    this.handedOver = true;
    this.socket.resume(); // read and drop what the client sends next, so its close is seen
    this.socket.end();
  }
  onResponseDrain(cb: () => void): void {
    this.socket.on('drain', cb);
  }
  reset(): void {
    this.handedOver = true;
    this.socket.destroy();
  }
  onAbort(cb: () => void): void {
    this.socket.once('close', () => {
      if (!this.handedOver) cb();
    });
  }
}
