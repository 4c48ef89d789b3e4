// HTTP: downstream HTTP/1.1 codec — llhttp on a keep-alive socket, one request in flight per connection, one write per tick.
// node:http's server costs an IncomingMessage, a ServerResponse, header validation and several closures
// per request; this codec parses in place and serializes each response head as one latin1 string.
// Pipelined requests are served in turn, as Envoy does: a head that arrives while the previous response is
// still being written is parked (llhttp paused right after it, the socket paused) until that response ends.
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { HeaderMap } from '../router/types.js';
import { HTTPParser, headerLines, headersFromRaw, type LlhttpParser } from '../upstream/pool/http-parser.js';
import type { DownstreamStream } from './downstream.js';
import type { DownstreamConnectionInfo } from './types.js';
import { FieldCollector } from './h1-fields.js';
import { checkRequestHead } from './h1-request-checks.js';

const methods = (createRequire(import.meta.url)('_http_common') as { methods: string[] }).methods;
const CRLF = '\r\n';
/** Framing headers the codec writes itself. */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive']);
/** llhttp's HPE_PAUSED: returned by onHeadersComplete, execute() stops right after that head. */
const HPE_PAUSED = 21;
/** Bytes that arrive after a parked head despite the paused socket; a peer past this is not speaking HTTP/1.1 sensibly. */
const MAX_HELD_BYTES = 1024 * 1024;
/** Request body bytes buffered before a filter asks for the body; past this the socket is paused until it does. */
const MAX_EARLY_BODY_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export interface UpgradeRequest {
  method: string;
  url: string;
  headers: HeaderMap;
}

export interface H1CodecCallbacks {
  onRequest(stream: H1Stream, info: DownstreamConnectionInfo): void;
  /** An Upgrade request: the socket is handed over with the bytes read after the request head. */
  onUpgrade(req: UpgradeRequest, socket: Duplex, head: Buffer, info: DownstreamConnectionInfo): void;
  /** A request the codec rejected (answered 400/408/431 and closed here); for stats. */
  onProtocolError(code: string): void;
  onClose(conn: H1Connection): void;
}

export interface H1CodecOptions {
  idleTimeoutMs: number; // keep-alive idle timeout, 0 = none
  /** HCM common_http_protocol_options.max_headers_count: fields per request head, and per trailer section. */
  maxHeaderPairs: number;
  /** HCM max_request_headers_kb in bytes: target, names and values of a request head, and of a trailer section. */
  maxHeaderBytes: number;
  /** HCM request_headers_timeout: a request's headers must be complete this long after its first byte; 0 = none. */
  headersTimeoutMs: number;
}

/** A request head as parsed, before it becomes a stream. */
interface ParsedHead {
  method: string;
  url: string;
  raw: string[];
  minor: number;
  upgrade: boolean;
  keepAlive: boolean;
}

function statusFor(code: string): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_REQUEST_HEADERS_TIMEOUT') return 408;
  if (code === 'ERR_CODEC_EXCEPTION') return 500;
  if (code === 'ERR_UNSUPPORTED_TRANSFER_CODING') return 501;
  return 400;
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
  private readonly head: FieldCollector;
  private readonly trailers: FieldCollector;
  /** True from a message's first byte until its headers are complete; kOnHeaders in between carries head fields, after it trailers. */
  private inHead = true;
  /** The stream whose response is being written: at most one per connection. */
  private active: H1Stream | null = null;
  /** The stream whose request (body) is being read; null between messages. */
  private current: H1Stream | null = null;
  /** A complete head waiting for `active` to finish, and the bytes read after it. */
  private parked: ParsedHead | null = null;
  private held: Buffer | null = null;
  /** A rejection found inside a parser callback, acted on once execute() returns (callbacks never throw). */
  private fault: string | null = null;
  /** Status for a protocol error found behind a request still being answered: sent after that response. */
  private deferredStatus = 0;
  private bodyPaused = false;
  private readPaused = false;
  private inputEnded = false;
  private corkedThisTick = false;
  private executing = false;
  private closed = false;
  private upgrade: UpgradeRequest | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private headersTimer: NodeJS.Timeout | null = null;
  /** Set when the connection ends after the response in flight; no further requests are read. */
  private closing = false;
  /** Draining before the first request arrived: that request is still read, and its response closes the connection. */
  private drainBeforeFirst = false;
  private requests = 0;

  constructor(
    readonly socket: Duplex,
    readonly info: DownstreamConnectionInfo,
    private readonly cb: H1CodecCallbacks,
    private readonly opts: H1CodecOptions,
  ) {
    this.head = new FieldCollector(opts.maxHeaderPairs, opts.maxHeaderBytes);
    this.trailers = new FieldCollector(opts.maxHeaderPairs, opts.maxHeaderBytes);
    const p = new HTTPParser();
    // llhttp's own byte limit bounds any single line; FieldCollector bounds the head as a whole
    // (the binding's count restarts at each 32-field flush, so it alone lets ~100 KB heads through).
    p.initialize(HTTPParser.REQUEST, {}, opts.maxHeaderBytes);
    p[HTTPParser.kOnMessageBegin] = this.onMessageBegin;
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
    if (this.closed) return;
    if (this.parked !== null) {
      // Read before the pause took effect: kept for when the parked request's turn comes.
      this.hold(chunk);
      return;
    }
    if (this.deferredStatus !== 0) return; // only an error reply remains to be sent
    if (this.closing && this.current === null) return;
    this.feed(chunk);
  };

  private hold(chunk: Buffer): void {
    const held = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
    if (held.length > MAX_HELD_BYTES) {
      this.socket.destroy();
      return;
    }
    this.held = held;
  }

  /** Runs llhttp over `chunk`; parser callbacks only record rejections, acted on here. */
  private feed(chunk: Buffer): void {
    let r: number | Error;
    this.executing = true;
    try {
      r = this.parser.execute(chunk);
    } catch (e) {
      // A callback threw (a bug behind the codec): answer this connection, never crash the process.
      reportException(e);
      this.fault ??= 'ERR_CODEC_EXCEPTION';
      r = 0;
    }
    this.executing = false;
    if (this.closed) {
      this.parser.close();
      return;
    }
    const fault = this.fault;
    if (fault !== null) {
      this.fault = null;
      this.protocolError(fault);
      return;
    }
    if (this.parked !== null) {
      // onHeadersComplete parked a head and paused llhttp right after it (for an Upgrade head the binding
      // reports that pause as a plain byte count).
      const parsed = r instanceof Error ? ((r as Error & { bytesParsed?: number }).bytesParsed ?? chunk.length) : r;
      const rest = chunk.subarray(parsed);
      if (rest.length > 0) this.held = rest;
      this.updateFlow();
      return;
    }
    if (r instanceof Error) {
      const err = r as Error & { code?: string };
      if (this.closing) return; // heads after a closing response are not read
      this.protocolError(err.code ?? 'HPE_ERROR');
      return;
    }
    const up = this.upgrade;
    if (up !== null) {
      this.handOff(up, chunk.subarray(r));
      return;
    }
    this.updateFlow();
    this.finishIfInputDone();
  }

  private readonly onMessageBegin = (): number => {
    this.inHead = true;
    this.head.reset();
    this.trailers.reset();
    if (this.headersTimer === null && this.opts.headersTimeoutMs > 0 && !this.closing) {
      this.headersTimer = setTimeout(this.onHeadersTimeout, this.opts.headersTimeoutMs);
    }
    return 0;
  };

  /** Past 32 fields llhttp's binding flushes (fields, URL piece) here; after the head, this carries trailers. */
  private readonly onHeaders = (raw: string[], url: string): void => {
    if (this.fault !== null) return;
    if (this.inHead) {
      this.head.addUrl(url);
      this.head.add(raw);
      if (this.head.overflow) this.fault = 'HPE_HEADER_OVERFLOW';
    } else {
      // The binding repeats the request URL with a trailer flush: it is not part of the trailers.
      this.trailers.add(raw);
      if (this.trailers.overflow) this.fault = 'HPE_HEADER_OVERFLOW';
    }
  };

  /** `raw` and `url` are undefined when the head came through onHeaders (always, once the binding has flushed once). */
  private readonly onHeadersComplete = (
    _maj: number,
    minor: number,
    raw: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _msg: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    if (this.fault !== null || this.closing) return HPE_PAUSED; // stop parsing: this connection is ending
    this.inHead = false;
    this.clearHeadersTimer();
    const h = this.head;
    h.addUrl(url);
    h.add(raw);
    if (h.overflow) {
      // Envoy's max_headers_count / max_request_headers_kb: too many headers is a 431 like too many bytes.
      this.fault = 'HPE_HEADER_OVERFLOW';
      return HPE_PAUSED;
    }
    const head: ParsedHead = { method: methods[method] ?? 'GET', url: h.url, raw: h.fields, minor, upgrade, keepAlive };
    h.reset();
    const refused = checkRequestHead(head.url, head.raw);
    if (refused !== null) {
      this.fault = refused;
      return HPE_PAUSED;
    }
    if (this.active !== null) {
      this.parked = head;
      return HPE_PAUSED;
    }
    this.dispatch(head);
    return 0;
  };

  private dispatch(head: ParsedHead): void {
    const headers = headersFromRaw(head.raw);
    const m = head.method;
    // RFC 9113 retired the h2c upgrade; like Envoy we answer such a request in HTTP/1.1, then close
    // (llhttp stops parsing the connection after an upgrade request).
    const h2c = head.upgrade && typeof headers.upgrade === 'string' && headers.upgrade.toLowerCase() === 'h2c';
    // CONNECT is handed over like an upgrade: after its head the connection carries whatever the tunnel does.
    if (head.upgrade && !h2c) {
      this.upgrade = { method: m, url: head.url, headers };
      return;
    }
    if (h2c) {
      delete headers.upgrade;
      delete headers['http2-settings'];
      this.closing = true;
    }
    this.clearIdle();
    const stream = new H1Stream(this, m, head.url, headers, head.minor === 0 ? 'HTTP/1.0' : 'HTTP/1.1', head.keepAlive && !h2c);
    this.requests++;
    this.current = stream;
    this.active = stream;
    if (headers.expect === '100-continue') {
      // Like Envoy (proxy_100_continue off): answer the expectation here and do not forward it.
      this.write('HTTP/1.1 100 Continue\r\n\r\n');
      delete headers.expect;
    }
    this.cb.onRequest(stream, this.info);
  }

  private readonly onBody = (chunk: Buffer): void => {
    if (this.fault !== null) return;
    this.current?.deliverData(chunk);
  };

  private readonly onMessageComplete = (): void => {
    if (this.fault !== null) return;
    this.inHead = true;
    const s = this.current;
    this.current = null;
    this.bodyPaused = false;
    const t = this.trailers;
    const trailers = t.count > 0 ? headersFromRaw(t.fields) : undefined;
    t.reset();
    s?.deliverEnd(trailers);
  };

  private readonly onHeadersTimeout = (): void => {
    this.headersTimer = null;
    if (!this.closed && !this.closing && this.inHead) this.protocolError('ERR_REQUEST_HEADERS_TIMEOUT');
  };

  private protocolError(code: string): void {
    this.cb.onProtocolError(code);
    this.clearHeadersTimer();
    this.parked = null;
    this.held = null;
    const status = statusFor(code);
    const s = this.current;
    this.current = null;
    if (s !== null) {
      // The error is inside this request (body or trailers): if its response has begun, only a reset is left.
      if (s.headersWritten || this.active !== s) {
        this.socket.destroy();
        return;
      }
      this.active = null;
      s.abandon();
      this.replyAndClose(status);
      return;
    }
    if (this.active !== null) {
      // An earlier request is still being answered: its response goes first, then this error, then the close.
      this.deferredStatus = status;
      this.updateFlow();
      return;
    }
    this.replyAndClose(status);
  }

  private replyAndClose(status: number): void {
    this.closing = true;
    this.deferredStatus = 0;
    this.clearIdle();
    this.socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  }

  /** Pauses the socket while the stream being read asks for it, a head is parked, or only an error reply remains. */
  private updateFlow(): void {
    if (this.closed) return;
    const pause = this.bodyPaused || this.parked !== null || this.deferredStatus !== 0;
    if (pause === this.readPaused) return;
    this.readPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  /** The parked request's turn: make it a stream, then parse what was read after it. */
  private readonly unpark = (): void => {
    const head = this.parked;
    if (head === null || this.closed || this.active !== null) return;
    this.parked = null;
    const rest = this.held ?? EMPTY;
    this.held = null;
    try {
      this.dispatch(head);
    } catch (e) {
      reportException(e);
      this.protocolError('ERR_CODEC_EXCEPTION');
      return;
    }
    if (this.closed) return;
    const up = this.upgrade;
    if (up !== null) {
      this.handOff(up, rest);
      return;
    }
    this.parser.resume();
    this.feed(rest); // with no bytes too: llhttp then completes a message that has no body
  };

  private handOff(up: UpgradeRequest, rest: Buffer): void {
    this.upgrade = null;
    this.detach();
    this.cb.onUpgrade(up, this.socket, rest, this.info);
    if (this.readPaused) this.socket.resume();
  }

  // ---- output
  /** Writes for the active stream; batched per tick. */
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

  isActive(stream: H1Stream): boolean {
    return this.active === stream;
  }

  /** The active stream finished its response: the parked request (if any) goes next, or the connection closes. */
  streamDone(stream: H1Stream, keepAlive: boolean): void {
    if (this.active !== stream) return;
    this.active = null;
    if (!keepAlive || this.closed) {
      this.closing = true;
      this.parked = null;
      this.held = null;
      if (this.current === stream) this.current = null; // the rest of its body is not read
      this.socket.end();
      return;
    }
    if (this.deferredStatus !== 0) {
      this.replyAndClose(this.deferredStatus);
      return;
    }
    if (this.parked !== null) {
      // After the current call stack: an upstream pool releases its connection after this response's end,
      // so the next request can reuse it (and no parser runs re-entrantly).
      queueMicrotask(this.unpark);
      return;
    }
    if (this.current === null) this.armIdle();
    this.finishIfInputDone();
  }

  pauseBody(stream: H1Stream): void {
    if (stream !== this.current) return;
    this.bodyPaused = true;
    this.updateFlow();
  }

  resumeBody(stream: H1Stream): void {
    if (stream !== this.current) return;
    this.bodyPaused = false;
    this.updateFlow();
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
    this.clearHeadersTimer();
  }

  private clearHeadersTimer(): void {
    if (this.headersTimer !== null) {
      clearTimeout(this.headersTimer);
      this.headersTimer = null;
    }
  }

  private get idle(): boolean {
    return this.active === null && this.current === null && this.parked === null;
  }

  private readonly onIdle = (): void => {
    this.idleTimer = null;
    if (this.idle) this.socket.destroy();
  };

  /**
   * Idle keep-alive connections close at once when draining; busy ones after their response. One accepted just before
   * the drain whose request has not arrived yet is not reset (its client is about to send): it closes after answering.
   */
  drainIdle(): void {
    if (this.requests === 0 && !this.closing) {
      this.drainBeforeFirst = true;
      return;
    }
    const idle = this.idle;
    this.closing = true;
    if (idle) this.socket.end();
  }

  get draining(): boolean {
    return this.closing || this.drainBeforeFirst;
  }

  /** The client half-closed: once all it sent is answered, close (HTTP/1.1 has no half-close semantics). */
  private finishIfInputDone(): void {
    if (!this.inputEnded || this.closing || this.closed || !this.idle) return;
    this.closing = true;
    this.socket.end();
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
    this.inputEnded = true;
    this.finishIfInputDone();
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.clearIdle();
    if (!this.executing) this.parser.close();
    const current = this.current;
    const active = this.active;
    this.current = null;
    this.active = null;
    this.parked = null;
    this.held = null;
    active?.abandon();
    if (current !== active) current?.abandon();
    this.cb.onClose(this);
  };
}

function reportException(e: unknown): void {
  process.stderr.write(`h1 codec: exception while handling a request: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
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
  // request body delivery
  private bodyData: ((chunk: Buffer) => void) | null = null;
  private bodyEnd: ((t: HeaderMap | undefined) => void) | null = null;
  private early: Buffer[] | null = null;
  private earlyBytes = 0;
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
    // The codec admitted only 1*DIGIT values up to 2^53-1 (h1-request-checks.ts): Number() is exact.
    const cl = headers['content-length'];
    this.contentLength = typeof cl === 'string' ? Number(cl) : -1;
    this.hasBody = this.contentLength > 0 || headers['transfer-encoding'] !== undefined;
  }

  // ---- request body
  deliverData(chunk: Buffer): void {
    if (this.bodyData !== null) this.bodyData(chunk);
    else if (!this.done) {
      (this.early ??= []).push(chunk);
      this.earlyBytes += chunk.length;
      // No filter has asked for the body yet (e.g. a fault delay): stop reading rather than buffer it all.
      if (this.earlyBytes > MAX_EARLY_BODY_BYTES) this.conn.pauseBody(this);
    }
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
      if (this.earlyBytes > MAX_EARLY_BODY_BYTES) this.conn.resumeBody(this);
    }
    if (this.earlyEnd) onEnd(this.earlyTrailers);
  }

  pauseBody(): void {
    this.conn.pauseBody(this);
  }

  resumeBody(): void {
    this.conn.resumeBody(this);
  }

  // ---- response
  respondHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    if (this.done) return;
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

  /** The connection closed under this stream, or the codec refused the rest of its request. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    if (this.drainCb !== null) this.conn.socket.removeListener('drain', this.onSocketDrain);
    this.abortCb?.();
  }

  private out(data: string | Buffer): boolean {
    // Only the active stream owns the socket (an abandoned one may still be called by its filters).
    if (!this.conn.isActive(this)) return true;
    return this.conn.write(data);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.drainCb !== null) this.conn.socket.removeListener('drain', this.onSocketDrain);
    this.conn.streamDone(this, this.keepAlive);
  }
}
