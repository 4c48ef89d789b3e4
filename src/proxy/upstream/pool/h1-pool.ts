// Upstream pools: HTTP/1.1 keep-alive connection pool for one host, driving llhttp directly.
import type { Duplex } from 'node:stream';
import type { CircuitBreakers, Host, UpstreamFailure } from '../types.js';
import type { Counter, Gauge } from '../../telemetry/stats.js';
import type { ConnectionPool, HeaderMap, UpstreamConnectionEnd, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from './types.js';
import { HTTPParser, headerLines, headersFromRaw, type LlhttpParser } from './http-parser.js';
import { openConnection, type ConnectTarget } from './connect.js';
import { trackHostConnection } from '../host.js';

export interface PoolStats {
  cxTotal: Counter;
  cxActive: Gauge;
  cxConnectFail: Counter;
  cxConnectTimeout: Counter;
  cxDestroy: Counter;
  cxHttp1Total: Counter;
  cxHttp2Total: Counter;
  rqPendingTotal: Counter;
}

export interface PoolOptions {
  host: Host;
  target: ConnectTarget;
  breakers: CircuitBreakers;
  stats: PoolStats;
  idleTimeoutMs: number; // 0 = keep forever
  maxRequestsPerConnection: number; // 0 = unlimited
  /** Header fields a response head (or its trailers) may have; a hostile upstream gets no more (Envoy's default: 100). */
  maxHeadersCount: number;
  /**
   * auto_config: the pool's TLS connections offer h2 and http/1.1 and must come back with this pool's protocol;
   * another choice fails the connection and tells the owner (the AutoPool) to learn the protocol again.
   */
  alpn?: { onMismatch(chosen: 'h2' | 'http/1.1'): void };
}

/** The protocol ALPN chose on a connection: h2, or HTTP/1.1 (also when the server does not speak ALPN). */
export function negotiatedProtocol(socket: Duplex): 'h2' | 'http/1.1' {
  return (socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2' ? 'h2' : 'http/1.1';
}

const CRLF = '\r\n';
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** One request/response exchange; is the UpstreamStream the router filter writes the body into. */
class H1Exchange implements UpstreamStream {
  conn: H1Connection | null = null;
  /** Body chunks written before a connection was assigned. */
  queued: Buffer[] | null = null;
  ended = false;
  endQueued = false;
  finished = false; // terminal callback delivered
  aborted = false;
  pendingCounted = false;
  drainCb: (() => void) | null = null;
  readonly chunked: boolean;
  readonly skipBody: boolean;
  responseStarted = false;
  reused = false;
  triedFresh = false;

  constructor(
    readonly pool: H1Pool,
    readonly head: UpstreamRequestHead,
    readonly handler: UpstreamResponseHandler,
  ) {
    this.chunked = head.hasBody && head.contentLength < 0;
    this.skipBody = head.method === 'HEAD';
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.aborted) return true;
    const conn = this.conn;
    if (conn === null) {
      (this.queued ??= []).push(chunk);
      return false;
    }
    return conn.writeBody(chunk, this.chunked);
  }

  end(trailers?: HeaderMap): void {
    if (this.ended) return;
    this.ended = true;
    if (this.conn === null) {
      this.endQueued = true;
      return;
    }
    this.conn.endBody(this.chunked, trailers);
  }

  abort(): void {
    if (this.finished || this.aborted) return;
    this.aborted = true;
    this.finished = true;
    if (this.conn !== null) this.conn.destroy();
    else this.pool.removePending(this);
  }

  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  pauseResponse(): void {
    this.conn?.socket.pause();
  }

  resumeResponse(): void {
    this.conn?.socket.resume();
  }

  fail(kind: UpstreamFailure, detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.handler.onError(kind, detail);
  }
}

/** One keep-alive socket with its parser; serves one exchange at a time. */
class H1Connection {
  readonly parser: LlhttpParser;
  exchange: H1Exchange | null = null;
  served = 0;
  closed = false;
  private executing = false;
  idleTimer: NodeJS.Timeout | null = null;
  private rawHeaders: string[] = [];
  private informational = false;
  private keepAlive = true;

  constructor(
    readonly pool: H1Pool,
    readonly socket: Duplex,
  ) {
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, {});
    parser[HTTPParser.kOnHeaders] = this.onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    parser[HTTPParser.kOnBody] = this.onBody;
    parser[HTTPParser.kOnMessageComplete] = this.onMessageComplete;
    this.parser = parser;
    socket.on('data', this.onData);
    socket.on('drain', this.onSocketDrain);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
  }

  assign(ex: H1Exchange): void {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.exchange = ex;
    ex.conn = this;
    ex.reused = this.served > 0;
    this.served++;
    this.rawHeaders = [];
    this.informational = false;
    const h = ex.head;
    let out = `${h.method} ${h.path} HTTP/1.1${CRLF}host: ${h.authority}${CRLF}`;
    const headers = h.headers;
    out += headerLines(headers);
    if (ex.chunked) out += `transfer-encoding: chunked${CRLF}`;
    else if (h.contentLength >= 0) out += `content-length: ${h.contentLength}${CRLF}`;
    else if (!NO_BODY_METHODS.has(h.method)) out += `content-length: 0${CRLF}`;
    out += CRLF;
    const queued = ex.queued;
    if (queued === null && !ex.endQueued) {
      this.socket.write(out, 'latin1');
      return;
    }
    // Coalesce the head with whatever body arrived while we were connecting.
    this.socket.cork();
    this.socket.write(out, 'latin1');
    if (queued !== null) {
      ex.queued = null;
      for (let i = 0; i < queued.length; i++) this.writeBody(queued[i], ex.chunked);
    }
    if (ex.endQueued) this.endBody(ex.chunked, undefined);
    this.socket.uncork();
    if (queued !== null && ex.drainCb !== null && !ex.endQueued) process.nextTick(this.onSocketDrain);
  }

  writeBody(chunk: Buffer, chunked: boolean): boolean {
    if (chunk.length === 0) return true;
    if (!chunked) return this.socket.write(chunk);
    this.socket.write(`${chunk.length.toString(16)}${CRLF}`, 'latin1');
    this.socket.write(chunk);
    return this.socket.write(CRLF, 'latin1');
  }

  endBody(chunked: boolean, trailers: HeaderMap | undefined): void {
    if (!chunked) return;
    let out = `0${CRLF}`;
    if (trailers !== undefined) {
      out += headerLines(trailers);
    }
    this.socket.write(out + CRLF, 'latin1');
  }

  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onSocketClose();
  }

  private readonly onData = (chunk: Buffer): void => {
    const ex = this.exchange;
    if (ex === null) {
      // Bytes on an idle connection: the server is not speaking HTTP/1.1 keep-alive correctly.
      this.destroy();
      return;
    }
    ex.responseStarted = true;
    this.executing = true;
    const r = this.parser.execute(chunk);
    this.executing = false;
    if (this.closed) {
      // Closed from inside a parser callback: the parser could only be freed now that execute returned.
      this.parser.close();
      return;
    }
    if (r instanceof Error) {
      this.exchange?.fail('reset', `upstream protocol error: ${r.message}`);
      this.destroy();
    }
  };

  private readonly onHeaders = (raw: string[]): void => {
    for (let i = 0; i < raw.length; i++) this.rawHeaders.push(raw[i]);
  };

  private readonly onHeadersComplete = (
    _maj: number,
    _min: number,
    raw: string[] | undefined,
    _method: unknown,
    _url: unknown,
    status: number,
    _msg: string,
    _upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    const ex = this.exchange;
    if (raw === undefined) {
      raw = this.rawHeaders;
    }
    this.rawHeaders = [];
    if (this.tooManyHeaders(raw)) return 0;
    if (status < 200) {
      this.informational = true;
      return 0;
    }
    this.keepAlive = keepAlive;
    if (ex !== null && !ex.finished) ex.handler.onHeaders(status, headersFromRaw(raw), this.socket as UpstreamConnectionEnd);
    return ex !== null && ex.skipBody ? 1 : 0;
  };

  /** Past max_headers_count the exchange fails (reset) and the connection goes: nothing more is read from it. */
  private tooManyHeaders(raw: readonly string[]): boolean {
    const max = this.pool.opts.maxHeadersCount;
    if (raw.length / 2 <= max) return false;
    this.exchange?.fail('reset', `upstream protocol error: more than ${max} header fields`);
    this.destroy();
    return true;
  }

  private readonly onBody = (chunk: Buffer): void => {
    const ex = this.exchange;
    if (ex !== null && !ex.finished) ex.handler.onData(chunk);
  };

  private readonly onMessageComplete = (): void => {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const ex = this.exchange;
    if (ex === null) return;
    if (this.tooManyHeaders(this.rawHeaders)) return;
    const trailers = this.rawHeaders.length > 0 ? headersFromRaw(this.rawHeaders) : undefined;
    this.rawHeaders = [];
    this.exchange = null;
    ex.conn = null;
    const reusable = this.keepAlive && ex.ended && !ex.aborted && ex.queued === null;
    if (!ex.finished) {
      ex.finished = true;
      ex.handler.onEnd(trailers);
    }
    if (this.closed) return;
    if (reusable) {
      // The exchange may have paused reading for downstream backpressure; that ends with it.
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.release(this);
    } else this.destroy();
  };

  private readonly onSocketDrain = (): void => {
    const ex = this.exchange;
    if (ex !== null && ex.drainCb !== null) ex.drainCb();
  };

  private readonly onSocketError = (): void => {
    // 'close' follows and does the bookkeeping.
  };

  private readonly onSocketClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const ex = this.exchange;
    // A response delimited by connection close completes in finish() (its callbacks need this.exchange).
    const r = ex !== null && !ex.finished && !this.executing ? this.parser.finish() : undefined;
    this.exchange = null;
    // Freeing the parser inside its own execute() would crash the process; onData frees it afterwards.
    if (!this.executing) this.parser.close();
    this.pool.closed(this);
    if (ex === null || ex.finished) return;
    ex.conn = null;
    if (!ex.responseStarted && ex.reused && !ex.triedFresh && !ex.head.hasBody && SAFE_METHODS.has(ex.head.method)) {
      // The server closed a keep-alive connection just as we reused it: a safe request (RFC 9110 §9.2.1)
      // is resent once on a new connection; anything else fails as a reset, as Envoy reports it.
      ex.triedFresh = true;
      this.pool.enqueue(ex);
      return;
    }
    ex.fail('reset', r instanceof Error ? r.message : 'upstream connection closed before the response completed');
  };
}

export class H1Pool implements ConnectionPool {
  readonly protocol = 'http/1.1' as const;
  private readonly idle: H1Connection[] = [];
  private readonly pending: H1Exchange[] = [];
  private readonly all = new Set<H1Connection>();
  private connecting = 0;
  private draining = false;

  constructor(readonly opts: PoolOptions) {}

  request(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    const ex = new H1Exchange(this, head, handler);
    this.enqueue(ex);
    return ex;
  }

  enqueue(ex: H1Exchange): void {
    const conn = this.idle.pop();
    if (conn !== undefined) {
      conn.assign(ex);
      return;
    }
    if (!this.opts.breakers.tryStartPending()) {
      // (the breaker counts upstream_rq_pending_overflow)
      ex.fail('overflow', 'pending request limit reached');
      return;
    }
    ex.pendingCounted = true;
    this.opts.stats.rqPendingTotal.inc();
    this.pending.push(ex);
    if (this.pending.length > this.connecting) this.connect();
  }

  removePending(ex: H1Exchange): void {
    const i = this.pending.indexOf(ex);
    if (i >= 0) {
      this.pending.splice(i, 1);
      this.endPending(ex);
    }
  }

  connectRaw(cb: (err: UpstreamFailure | null, socket?: Duplex) => void): void {
    const { breakers, stats, host } = this.opts;
    if (!breakers.tryOpenConnection()) {
      // (the breaker counts upstream_cx_overflow)
      cb('overflow');
      return;
    }
    stats.cxTotal.inc();
    host.stats.cx_total++;
    openConnection(this.opts.target, (err, socket, timedOut) => {
      if (err !== null || socket === undefined) {
        breakers.closeConnection();
        this.countConnectFailure(timedOut);
        cb('connect-failure');
        return;
      }
      stats.cxActive.add(1);
      trackHostConnection(host, socket);
      socket.once('close', () => {
        stats.cxActive.sub(1);
        breakers.closeConnection();
      });
      cb(null, socket);
    });
  }

  private connect(): void {
    const { breakers, stats, host } = this.opts;
    if (!breakers.tryOpenConnection()) {
      // (the breaker counts upstream_cx_overflow)
      // Pending requests wait for a busy connection to free up (Envoy queues them the same way).
      if (this.all.size === 0 && this.connecting === 0) this.failPending('overflow', 'connection limit reached');
      return;
    }
    this.connecting++;
    stats.cxTotal.inc();
    stats.cxHttp1Total.inc();
    host.stats.cx_total++;
    openConnection(this.opts.target, (err, socket, timedOut) => {
      this.connecting--;
      if (err !== null || socket === undefined) {
        breakers.closeConnection();
        this.countConnectFailure(timedOut);
        const ex = this.pending.shift();
        if (ex !== undefined) {
          this.endPending(ex);
          ex.fail('connect-failure', err?.message ?? 'connect failed');
        }
        if (this.pending.length > this.connecting && this.all.size === 0) this.connect();
        return;
      }
      if (this.opts.alpn !== undefined && negotiatedProtocol(socket) !== 'http/1.1') {
        breakers.closeConnection();
        socket.destroy();
        const ex = this.pending.shift();
        if (ex !== undefined) {
          this.endPending(ex);
          ex.fail('connect-failure', 'ALPN chose h2 on a connection for HTTP/1.1');
        }
        this.opts.alpn.onMismatch('h2');
        return;
      }
      this.useSocket(socket);
    });
  }

  /** auto_config: a connection the AutoPool opened (and counted) whose ALPN chose HTTP/1.1. */
  adopt(socket: Duplex): void {
    this.opts.stats.cxHttp1Total.inc();
    this.useSocket(socket);
  }

  private useSocket(socket: Duplex): void {
    this.opts.stats.cxActive.add(1);
    trackHostConnection(this.opts.host, socket);
    const conn = new H1Connection(this, socket);
    this.all.add(conn);
    this.release(conn);
  }

  private countConnectFailure(timedOut: boolean): void {
    const { stats, host } = this.opts;
    stats.cxConnectFail.inc();
    if (timedOut) stats.cxConnectTimeout.inc();
    host.stats.cx_connect_fail++;
  }

  private endPending(ex: H1Exchange): void {
    if (ex.pendingCounted) {
      ex.pendingCounted = false;
      this.opts.breakers.endPending();
    }
  }

  private failPending(kind: UpstreamFailure, detail: string): void {
    const list = this.pending.splice(0);
    for (const ex of list) {
      this.endPending(ex);
      ex.fail(kind, detail);
    }
  }

  /** A connection finished its exchange (or just connected): give it the next request or park it. */
  release(conn: H1Connection): void {
    const max = this.opts.maxRequestsPerConnection;
    if (this.draining || (max > 0 && conn.served >= max)) {
      conn.destroy();
      return;
    }
    const ex = this.pending.shift();
    if (ex !== undefined) {
      this.endPending(ex);
      conn.assign(ex);
      return;
    }
    this.idle.push(conn);
    if (this.opts.idleTimeoutMs > 0) {
      conn.idleTimer = setTimeout(() => conn.destroy(), this.opts.idleTimeoutMs);
      conn.idleTimer.unref();
    }
  }

  closed(conn: H1Connection): void {
    if (!this.all.delete(conn)) return;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    this.opts.stats.cxActive.sub(1);
    this.opts.stats.cxDestroy.inc();
    this.opts.breakers.closeConnection();
    if (this.pending.length > this.connecting) this.connect();
  }

  drain(): void {
    this.draining = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
  }

  close(): void {
    this.drain();
    this.failPending('reset', 'pool closed');
    for (const conn of [...this.all]) conn.destroy();
  }
}
