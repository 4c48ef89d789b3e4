// HTTP: the downstream end of an HTTP/1.1 CONNECT — a stream whose 2xx response opens a raw tunnel on the socket.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HeaderMap } from '../router/types.js';
import { headerLines } from '../upstream/pool/http-parser.js';
import { ActiveStream } from './active-stream.js';
import type { ConnectionManager } from './connection-manager.js';
import type { DownstreamStream } from './downstream.js';
import type { UpgradeRequest } from './h1-codec.js';
import type { DownstreamConnectionInfo } from './types.js';

const CRLF = '\r\n';
/** Framing the CONNECT stream writes itself (a tunnel has none; other replies are close-delimited or sized). */
const FRAMING: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive', 'content-length']);

/** An HTTP/1.1 CONNECT handed over by the codec: runs through the connection manager like any request. */
export function acceptH1Connect(cm: ConnectionManager, req: UpgradeRequest, socket: Duplex, head: Buffer, info: DownstreamConnectionInfo): void {
  new ActiveStream(cm, new H1ConnectStream(socket, req, head), info).start();
}

/**
 * The downstream end of an HTTP/1.1 CONNECT. The request has no path; its body is whatever the client
 * sends after the head. A 2xx response head opens the tunnel: then data goes out raw, unframed. Any
 * other response is a normal one, and the connection closes after it.
 */
export class H1ConnectStream implements DownstreamStream {
  readonly protocol = 'HTTP/1.1' as const;
  readonly method = 'CONNECT';
  readonly rawPath = '';
  readonly authority: string;
  readonly headers: HeaderMap;
  readonly hasBody = true;
  readonly contentLength = -1;
  responseStarted = false;
  private done = false;
  private abortCb: (() => void) | null = null;

  constructor(
    private readonly socket: Duplex,
    req: UpgradeRequest,
    private head: Buffer,
  ) {
    this.authority = req.url;
    this.headers = req.headers;
    socket.once('close', () => {
      if (!this.done) {
        this.done = true;
        this.abortCb?.();
      }
    });
  }

  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: HeaderMap | undefined) => void): void {
    const early = this.head;
    this.head = Buffer.alloc(0);
    if (early.length > 0) onData(early);
    this.socket.on('data', onData);
    this.socket.once('end', () => onEnd(undefined));
  }

  pauseBody(): void {
    this.socket.pause();
  }

  resumeBody(): void {
    this.socket.resume();
  }

  respondHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    if (this.done) return;
    this.responseStarted = true;
    let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}${CRLF}${headerLines(headers, FRAMING)}`;
    const tunnel = status >= 200 && status < 300 && !endStream;
    if (!tunnel) {
      const cl = headers['content-length'];
      if (typeof cl === 'string') out += `content-length: ${cl}${CRLF}`;
      else if (endStream) out += `content-length: 0${CRLF}`;
      out += `connection: close${CRLF}`;
    }
    this.socket.write(out + CRLF, 'latin1');
    if (endStream) this.respondEnd(undefined);
  }

  respondData(chunk: Buffer): boolean {
    if (this.done || chunk.length === 0) return true;
    return this.socket.write(chunk);
  }

  /** The response (or the tunnel's upstream direction) ended: our FIN; the client may still close its side. */
  respondEnd(_trailers: HeaderMap | undefined): void {
    if (this.done) return;
    this.done = true;
    this.socket.end();
  }

  onResponseDrain(cb: () => void): void {
    this.socket.on('drain', cb);
  }

  reset(): void {
    this.done = true;
    this.socket.destroy();
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }
}
