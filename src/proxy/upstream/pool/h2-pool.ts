// Upstream pools: HTTP/2 pool for one host — one multiplexed session, replaced on GOAWAY or close.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { UpstreamFailure } from '../types.js';
import type { ConnectionPool, HeaderMap, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from './types.js';
import { openConnection } from './connect.js';
import { trackHostConnection } from '../host.js';
import { negotiatedProtocol, type PoolOptions } from './h1-pool.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

class H2Exchange implements UpstreamStream {
  stream: http2.ClientHttp2Stream | null = null;
  queued: Buffer[] | null = null;
  endQueued = false;
  finished = false;
  drainCb: (() => void) | null = null;
  private trailers: HeaderMap | undefined;

  constructor(
    readonly pool: H2Pool,
    readonly head: UpstreamRequestHead,
    readonly handler: UpstreamResponseHandler,
  ) {}

  attach(session: http2.ClientHttp2Session): void {
    const h = this.head;
    const headers: http2.OutgoingHttpHeaders = {
      ':method': h.method,
      ':path': h.path,
      ':authority': h.authority,
      ':scheme': h.scheme,
    };
    const src = h.headers;
    for (const name in src) {
      const v = src[name];
      if (v !== undefined) headers[name] = v;
    }
    if (h.contentLength >= 0) headers['content-length'] = String(h.contentLength);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: !h.hasBody });
    } catch (err) {
      this.fail('reset', (err as Error).message);
      return;
    }
    this.stream = stream;
    stream.on('response', (rh) => {
      const status = Number(rh[':status']);
      if (status < 200) return;
      const out: HeaderMap = {};
      for (const name in rh) if (name.charCodeAt(0) !== 58 /* ':' */) out[name] = rh[name];
      if (!this.finished) this.handler.onHeaders(status, out, session.socket);
    });
    stream.on('data', (chunk: Buffer) => {
      if (!this.finished) this.handler.onData(chunk);
    });
    stream.on('trailers', (t) => {
      const out: HeaderMap = {};
      for (const name in t) out[name] = t[name];
      this.trailers = out;
    });
    stream.on('end', () => {
      if (this.finished) return;
      this.finished = true;
      this.handler.onEnd(this.trailers);
    });
    stream.on('drain', () => this.drainCb?.());
    stream.on('error', () => {});
    stream.on('close', () => {
      if (this.finished) return;
      this.fail(stream.rstCode === NGHTTP2_REFUSED_STREAM ? 'refused-stream' : 'reset', `upstream stream reset (code ${stream.rstCode})`);
    });
    const queued = this.queued;
    if (queued !== null) {
      this.queued = null;
      for (const c of queued) stream.write(c);
      if (!this.endQueued) process.nextTick(() => this.drainCb?.());
    }
    if (this.endQueued) this.end();
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return true;
    if (this.stream === null) {
      (this.queued ??= []).push(chunk);
      return false;
    }
    return this.stream.write(chunk);
  }

  /** Request trailers are not forwarded over HTTP/2 (gRPC clients never send them). */
  end(): void {
    if (this.stream === null) {
      this.endQueued = true;
      return;
    }
    if (this.head.hasBody) this.stream.end();
  }

  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stream !== null) this.stream.close(NGHTTP2_CANCEL);
    else this.pool.removePending(this);
  }

  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  pauseResponse(): void {
    this.stream?.pause();
  }

  resumeResponse(): void {
    this.stream?.resume();
  }

  fail(kind: UpstreamFailure, detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.handler.onError(kind, detail);
  }
}

export class H2Pool implements ConnectionPool {
  readonly protocol = 'h2' as const;
  private session: http2.ClientHttp2Session | null = null;
  private connecting = false;
  private readonly pending: H2Exchange[] = [];
  private readonly sessions = new Set<http2.ClientHttp2Session>();
  private closed = false;

  constructor(private readonly opts: PoolOptions) {}

  request(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    const ex = new H2Exchange(this, head, handler);
    const s = this.session;
    if (s !== null && !s.closed && !s.destroyed) {
      ex.attach(s);
      return ex;
    }
    if (!this.opts.breakers.tryStartPending()) {
      // (the breaker counts upstream_rq_pending_overflow)
      ex.fail('overflow', 'pending request limit reached');
      return ex;
    }
    this.opts.stats.rqPendingTotal.inc();
    this.pending.push(ex);
    this.connect();
    return ex;
  }

  removePending(ex: H2Exchange): void {
    const i = this.pending.indexOf(ex);
    if (i >= 0) {
      this.pending.splice(i, 1);
      this.opts.breakers.endPending();
    }
  }

  connectRaw(cb: (err: UpstreamFailure | null, socket?: Duplex) => void): void {
    cb('connect-failure');
  }

  private connect(): void {
    if (this.connecting || this.closed) return;
    const { breakers, stats, host } = this.opts;
    if (!breakers.tryOpenConnection()) {
      // (the breaker counts upstream_cx_overflow)
      this.failPending('overflow', 'connection limit reached');
      return;
    }
    this.connecting = true;
    stats.cxTotal.inc();
    stats.cxHttp2Total.inc();
    host.stats.cx_total++;
    const target = this.opts.target;
    // auto_config keeps the pool's offer (h2 and http/1.1) and checks what was chosen
    const tlsOpts = target.tls && this.opts.alpn === undefined ? { ...target.tls, ALPNProtocols: ['h2'] } : target.tls;
    openConnection({ ...target, tls: tlsOpts }, (err, socket, timedOut) => {
      this.connecting = false;
      if (err !== null || socket === undefined) {
        breakers.closeConnection();
        stats.cxConnectFail.inc();
        if (timedOut) stats.cxConnectTimeout.inc();
        host.stats.cx_connect_fail++;
        this.failPending('connect-failure', err?.message ?? 'connect failed');
        return;
      }
      if (this.closed) {
        breakers.closeConnection();
        socket.destroy();
        return;
      }
      if (this.opts.alpn !== undefined && negotiatedProtocol(socket) !== 'h2') {
        breakers.closeConnection();
        socket.destroy();
        this.failPending('connect-failure', 'ALPN chose http/1.1 on a connection for h2');
        this.opts.alpn.onMismatch('http/1.1');
        return;
      }
      this.useSocket(socket);
    });
  }

  /** auto_config: a connection the AutoPool opened (and counted) whose ALPN chose h2. */
  adopt(socket: Duplex): void {
    this.opts.stats.cxHttp2Total.inc();
    this.useSocket(socket);
  }

  private useSocket(socket: Duplex): void {
    const { breakers, stats, host, target } = this.opts;
    const scheme = target.tls ? 'https' : 'http';
    // maxHeaderListPairs counts the :status pseudo-header too; Envoy's max_headers_count is about fields
    const session = http2.connect(`${scheme}://${target.host}:${target.port}`, { createConnection: () => socket, maxHeaderListPairs: this.opts.maxHeadersCount + 1 });
    stats.cxActive.add(1);
    trackHostConnection(host, socket);
    this.sessions.add(session);
    this.session = session;
    const retire = (): void => {
      if (this.session === session) this.session = null;
    };
    session.on('goaway', retire);
    session.on('error', retire);
    session.on('close', () => {
      retire();
      if (this.sessions.delete(session)) {
        stats.cxActive.sub(1);
        stats.cxDestroy.inc();
        breakers.closeConnection();
      }
      if (this.pending.length > 0) this.connect();
    });
    const list = this.pending.splice(0);
    for (const ex of list) {
      breakers.endPending();
      ex.attach(session);
    }
  }

  private failPending(kind: UpstreamFailure, detail: string): void {
    for (const ex of this.pending.splice(0)) {
      this.opts.breakers.endPending();
      ex.fail(kind, detail);
    }
  }

  drain(): void {
    const s = this.session;
    this.session = null;
    if (s !== null) s.close();
  }

  close(): void {
    this.closed = true;
    this.failPending('reset', 'pool closed');
    for (const s of this.sessions) s.destroy();
  }
}
