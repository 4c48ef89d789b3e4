// HTTP: downstream HTTP/1.1 codec — llhttp on a keep-alive socket, pipelining-safe, one write per tick.
// node:http's server costs an IncomingMessage, a ServerResponse, header validation and several closures
// per request; this codec parses in place and serializes each response head as one latin1 string.
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { HeaderMap } from '../router/types.js';
import { HTTPParser, headerLines, headersFromRaw, type LlhttpParser } from '../upstream/pool/http-parser.js';
import type { DownstreamStream } from './downstream.js';
import type { DownstreamConnectionInfo } from './types.js';

const methods = (createRequire(import.meta.url)('_http_common') as { methods: string[] }).methods;
const CRLF = '\r\n';
/** Framing headers the codec writes itself. */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive']);
/** Envoy's default max_request_headers_kb (60 KiB); larger request heads get 431. */
const MAX_REQUEST_HEADERS_BYTES = 60 * 1024;

export interface UpgradeRequest {
  method: string;
  url: string;
  headers: HeaderMap;
}

export interface H1CodecCallbacks {
  onRequest(stream: H1Stream, info: DownstreamConnectionInfo): void;
  /** An Upgrade request: the socket is handed over with the bytes read after the request head. */
  onUpgrade(req: UpgradeRequest, socket: Duplex, head: Buffer, info: DownstreamConnectionInfo): void;
  /** A request the parser rejected (answered 400/431 and closed here); for stats. */
  onProtocolError(code: string): void;
  onClose(conn: H1Connection): void;
}

export interface H1CodecOptions {
  idleTimeoutMs: number; // keep-alive idle timeout, 0 = none
  maxHeaderPairs: number;
  /** HCM request_headers_timeout: a request's headers must be complete this long after its first byte; 0 = none. */
  headersTimeoutMs: number;
}

/** Batches every codec write of one tick: sockets are corked on first write and uncorked by one microtask. */
const corked: H1Connection[] = [];
let flushScheduled = false;
function flushCorked(): void {
  flushScheduled = false;
  for (let i = 0; i < corked.length; i++) corked[i].uncork();
  corked.length = 0;
}

export class H1Connection {
  private readonly parser: LlhttpParser;
  /** Streams in request order; only the first may write to the socket (pipelining). */
  private readonly queue: H1Stream[] = [];
  private current: H1Stream | null = null;
  private rawHeaders: string[] = [];
  private corkedThisTick = false;
  private executing = false;
  private closed = false;
  private upgrade: UpgradeRequest | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private headersTimer: NodeJS.Timeout | null = null;
  /** Set when a response said connection: close; no further requests are read. */
  private closing = false;

  constructor(
    readonly socket: Duplex,
    readonly info: DownstreamConnectionInfo,
    private readonly cb: H1CodecCallbacks,
    private readonly opts: H1CodecOptions,
  ) {
    const p = new HTTPParser();
    // The third argument is llhttp's header *size* limit (bytes), not a count: Envoy's max_request_headers_kb default.
    p.initialize(HTTPParser.REQUEST, {}, MAX_REQUEST_HEADERS_BYTES);
    p[HTTPParser.kOnHeaders] = this.onHeaders;
    p[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    p[HTTPParser.kOnBody] = this.onBody;
    p[HTTPParser.kOnMessageComplete] = this.onMessageComplete;
    this.parser = p;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
    this.armIdle();
  }

  // ---- input
  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    if (this.current === null && this.headersTimer === null && this.opts.headersTimeoutMs > 0) {
      this.headersTimer = setTimeout(this.onHeadersTimeout, this.opts.headersTimeoutMs);
    }
    this.executing = true;
    const r = this.parser.execute(chunk);
    this.executing = false;
    if (this.closed) {
      this.parser.close();
      return;
    }
    if (r instanceof Error) {
      this.protocolError((r as Error & { code?: string }).code ?? 'HPE_ERROR');
      return;
    }
    const up = this.upgrade;
    if (up !== null) {
      this.upgrade = null;
      this.detach();
      this.cb.onUpgrade(up, this.socket, chunk.subarray(r), this.info);
    }
  };

  private readonly onHeaders = (raw: string[]): void => {
    for (let i = 0; i < raw.length; i++) this.rawHeaders.push(raw[i]);
  };

  private readonly onHeadersComplete = (
    _maj: number,
    minor: number,
    raw: string[] | undefined,
    method: number,
    url: string,
    _status: unknown,
    _msg: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    if (this.closing) return 0; // a rejected request ended this connection: ignore what follows it
    const rawList = raw ?? this.rawHeaders;
    if (rawList.length > 2 * this.opts.maxHeaderPairs) {
      // Envoy's max_headers_count: too many headers is a 431 like too many bytes.
      this.rawHeaders = [];
      this.protocolError('HPE_HEADER_OVERFLOW');
      return 0;
    }
    const headers = headersFromRaw(rawList);
    this.rawHeaders = [];
    const m = methods[method] ?? 'GET';
    // RFC 9113 retired the h2c upgrade; like Envoy we answer such a request in HTTP/1.1, then close
    // (llhttp stops parsing the connection after an upgrade request).
    const h2c = upgrade && typeof headers.upgrade === 'string' && headers.upgrade.toLowerCase() === 'h2c';
    if (upgrade && !h2c && m !== 'CONNECT') {
      this.upgrade = { method: m, url, headers };
      return 0;
    }
    if (h2c) {
      delete headers.upgrade;
      delete headers['http2-settings'];
      this.closing = true;
    }
    this.clearIdle();
    const stream = new H1Stream(this, m, url, headers, minor === 0 ? 'HTTP/1.0' : 'HTTP/1.1', keepAlive && !h2c);
    this.current = stream;
    this.queue.push(stream);
    if (headers.expect === '100-continue') {
      // Like Envoy (proxy_100_continue off): answer the expectation here and do not forward it.
      if (this.queue.length === 1) this.write('HTTP/1.1 100 Continue\r\n\r\n');
      delete headers.expect;
    }
    this.cb.onRequest(stream, this.info);
    return 0;
  };

  private readonly onBody = (chunk: Buffer): void => {
    this.current?.deliverData(chunk);
  };

  private readonly onMessageComplete = (): void => {
    const s = this.current;
    if (s === null) return;
    this.current = null;
    const trailers = this.rawHeaders.length > 0 ? headersFromRaw(this.rawHeaders) : undefined;
    this.rawHeaders = [];
    s.deliverEnd(trailers);
  };

  private readonly onHeadersTimeout = (): void => {
    this.headersTimer = null;
    if (!this.closed && this.current === null) this.protocolError('ERR_REQUEST_HEADERS_TIMEOUT');
  };

  private protocolError(code: string): void {
    this.cb.onProtocolError(code);
    const s = this.current;
    this.current = null;
    if (s !== null && s.headersWritten) {
      this.socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_REQUEST_HEADERS_TIMEOUT' ? 408 : 400;
    // Streams still waiting for their turn are abandoned: the connection ends after this reply.
    for (const q of this.queue) q.abandon();
    this.queue.length = 0;
    this.closing = true;
    this.socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  }

  // ---- output
  /** Writes for the stream at the head of the queue; batched per tick. */
  write(data: string | Buffer): boolean {
    const socket = this.socket;
    if (!this.corkedThisTick) {
      this.corkedThisTick = true;
      socket.cork();
      corked.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flushCorked);
      }
    }
    return typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data);
  }

  uncork(): void {
    this.corkedThisTick = false;
    this.socket.uncork();
  }

  /** True while the parser is still reading this stream's request (its body has not ended). */
  isReading(stream: H1Stream): boolean {
    return this.current === stream;
  }

  isHead(stream: H1Stream): boolean {
    return this.queue[0] === stream;
  }

  /** The head stream finished its response: the next one may write, or the connection closes. */
  streamDone(stream: H1Stream, keepAlive: boolean): void {
    if (this.queue[0] !== stream) return;
    this.queue.shift();
    if (!keepAlive) {
      this.closing = true;
      for (const q of this.queue) q.abandon();
      this.queue.length = 0;
      this.socket.end();
      return;
    }
    const next = this.queue[0];
    if (next !== undefined) next.becomeHead();
    else if (this.current === null) this.armIdle();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- lifecycle
  private armIdle(): void {
    const ms = this.opts.idleTimeoutMs;
    if (ms <= 0) return;
    if (this.idleTimer === null) {
      this.idleTimer = setTimeout(this.onIdle, ms);
      this.idleTimer.unref();
    } else this.idleTimer.refresh();
  }

  /** Clears the keep-alive idle timer and the request-headers timer (a request has arrived, or the connection ended). */
  private clearIdle(): void {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.headersTimer !== null) {
      clearTimeout(this.headersTimer);
      this.headersTimer = null;
    }
  }

  private readonly onIdle = (): void => {
    this.idleTimer = null;
    if (this.queue.length === 0 && this.current === null) this.socket.destroy();
  };

  /** Idle keep-alive connections close at once when draining; busy ones after their response. */
  drainIdle(): void {
    if (this.queue.length === 0 && this.current === null) this.socket.end();
    else this.closing = true;
  }

  get draining(): boolean {
    return this.closing;
  }

  private detach(): void {
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('error', this.onError);
    this.socket.removeListener('close', this.onClose);
    this.socket.removeListener('end', this.onEnd);
    this.clearIdle();
    this.closed = true;
    if (!this.executing) this.parser.close();
  }

  private readonly onError = (): void => {
    // 'close' follows.
  };

  private readonly onEnd = (): void => {
    // The client half-closed: answer what is in flight, then close (HTTP/1.1 has no half-close semantics).
    if (this.queue.length === 0) this.socket.end();
    else this.closing = true;
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.clearIdle();
    if (!this.executing) this.parser.close();
    const current = this.current;
    this.current = null;
    for (const s of this.queue) s.abandon();
    this.queue.length = 0;
    current?.abandon();
    this.cb.onClose(this);
  };
}

/** One request/response on an H1Connection. */
export class H1Stream implements DownstreamStream {
  readonly authority: string;
  readonly hasBody: boolean;
  readonly contentLength: number;
  responseStarted = false;
  headersWritten = false;
  private chunked = false;
  private keepAlive: boolean;
  private done = false;
  /** Response bytes produced before this stream reached the head of the pipeline. */
  private pending: (string | Buffer)[] | null = null;
  private pendingEnd = false;
  // request body delivery
  private bodyData: ((chunk: Buffer) => void) | null = null;
  private bodyEnd: ((t: HeaderMap | undefined) => void) | null = null;
  private early: Buffer[] | null = null;
  private earlyEnd = false;
  private earlyTrailers: HeaderMap | undefined;
  private abortCb: (() => void) | null = null;
  private drainCb: (() => void) | null = null;
  private headOnly: boolean;

  constructor(
    private readonly conn: H1Connection,
    readonly method: string,
    readonly rawPath: string,
    readonly headers: HeaderMap,
    readonly protocol: 'HTTP/1.0' | 'HTTP/1.1',
    keepAlive: boolean,
  ) {
    this.keepAlive = keepAlive;
    this.headOnly = method === 'HEAD';
    const host = headers.host;
    this.authority = typeof host === 'string' ? host : '';
    const cl = headers['content-length'];
    this.contentLength = typeof cl === 'string' ? Number(cl) : -1;
    this.hasBody = this.contentLength > 0 || headers['transfer-encoding'] !== undefined;
  }

  // ---- request body
  deliverData(chunk: Buffer): void {
    if (this.bodyData !== null) this.bodyData(chunk);
    else if (!this.done) (this.early ??= []).push(chunk);
  }

  deliverEnd(trailers: HeaderMap | undefined): void {
    if (this.bodyEnd !== null) this.bodyEnd(trailers);
    else {
      this.earlyEnd = true;
      this.earlyTrailers = trailers;
    }
  }

  readBody(onData: (chunk: Buffer) => void, onEnd: (trailers: HeaderMap | undefined) => void): void {
    if (!this.hasBody) {
      onEnd(undefined);
      return;
    }
    this.bodyData = onData;
    this.bodyEnd = onEnd;
    const early = this.early;
    if (early !== null) {
      this.early = null;
      for (let i = 0; i < early.length; i++) onData(early[i]);
    }
    if (this.earlyEnd) onEnd(this.earlyTrailers);
  }

  pauseBody(): void {
    this.conn.pause();
  }

  resumeBody(): void {
    this.conn.resume();
  }

  // ---- response
  respondHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    this.responseStarted = true;
    // A response that starts before its request body was read closes the connection afterwards.
    this.keepAlive =
      this.keepAlive && !this.conn.draining && headers.connection !== 'close' && !(this.hasBody && this.conn.isReading(this) && this.bodyData === null);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}${CRLF}`;
    head += headerLines(headers, CONNECTION_HEADERS);
    const noBody = this.headOnly || status === 204 || status === 304 || status < 200;
    if (!noBody && headers['content-length'] === undefined) {
      if (endStream) head += `content-length: 0${CRLF}`;
      else if (this.protocol === 'HTTP/1.1') {
        head += `transfer-encoding: chunked${CRLF}`;
        this.chunked = true;
      } else this.keepAlive = false; // HTTP/1.0: the body ends when the connection does
    }
    if (!this.keepAlive) head += `connection: close${CRLF}`;
    else if (this.protocol === 'HTTP/1.0') head += `connection: keep-alive${CRLF}`;
    this.out(head + CRLF);
    this.headersWritten = true;
    if (endStream) this.finish();
  }

  respondData(chunk: Buffer): boolean {
    if (this.done || this.headOnly || chunk.length === 0) return true;
    if (this.chunked) {
      this.out(`${chunk.length.toString(16)}${CRLF}`);
      this.out(chunk);
      return this.out(CRLF);
    }
    return this.out(chunk);
  }

  respondEnd(trailers: HeaderMap | undefined): void {
    if (this.done) return;
    if (this.chunked) {
      let tail = `0${CRLF}`;
      if (trailers !== undefined) {
        tail += headerLines(trailers);
      }
      this.out(tail + CRLF);
    }
    this.finish();
  }

  onResponseDrain(cb: () => void): void {
    if (this.drainCb === null) this.conn.socket.on('drain', this.onSocketDrain);
    this.drainCb = cb;
  }

  private readonly onSocketDrain = (): void => {
    this.drainCb?.();
  };

  reset(): void {
    this.done = true;
    this.conn.destroy();
  }

  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }

  /** The connection closed under this stream (or it was dropped from the pipeline). */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.abortCb?.();
  }

  becomeHead(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) for (let i = 0; i < pending.length; i++) this.conn.write(pending[i]);
    if (this.pendingEnd) this.conn.streamDone(this, this.keepAlive);
  }

  private out(data: string | Buffer): boolean {
    if (this.conn.isHead(this)) return this.conn.write(data);
    (this.pending ??= []).push(data);
    return true;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.drainCb !== null) this.conn.socket.removeListener('drain', this.onSocketDrain);
    if (this.conn.isHead(this)) this.conn.streamDone(this, this.keepAlive);
    else this.pendingEnd = true;
  }
}
