// Upstream pools: auto_config — TLS connections offer h2 and http/1.1 and the host is spoken to in what ALPN chose.
import type { Duplex } from 'node:stream';
import type { UpstreamFailure } from '../types.js';
import type { ConnectionPool, HeaderMap, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from './types.js';
import { H1Pool, negotiatedProtocol, type PoolOptions } from './h1-pool.js';
import { H2Pool } from './h2-pool.js';
import { openConnection } from './connect.js';

type Protocol = 'h2' | 'http/1.1';

/** Envoy's default ALPN for an auto_config cluster whose TLS context names none. */
export const AUTO_ALPN = ['h2', 'http/1.1'];

/**
 * A request made before the host's protocol is known: body, end, flow control and abort are held until the first
 * connection's ALPN answer says which pool takes it.
 */
class DeferredStream implements UpstreamStream {
  private real: UpstreamStream | null = null;
  private queued: Buffer[] = [];
  private ended = false;
  private trailers: HeaderMap | undefined;
  private paused = false;
  private drainCb: (() => void) | null = null;
  aborted = false;

  constructor(
    readonly head: UpstreamRequestHead,
    readonly handler: UpstreamResponseHandler,
    private readonly owner: AutoPool,
  ) {}

  bind(real: UpstreamStream): void {
    this.real = real;
    if (this.drainCb !== null) real.onDrain(this.drainCb);
    if (this.paused) real.pauseResponse();
    const queued = this.queued;
    this.queued = [];
    for (const c of queued) real.write(c);
    if (this.ended) real.end(this.trailers);
    // writes before binding answered "full": the writer waits for a drain
    else if (queued.length > 0) process.nextTick(() => this.drainCb?.());
  }

  write(chunk: Buffer): boolean {
    if (this.real !== null) return this.real.write(chunk);
    if (!this.aborted) this.queued.push(chunk);
    return false;
  }

  end(trailers?: HeaderMap): void {
    if (this.real !== null) return this.real.end(trailers);
    this.ended = true;
    this.trailers = trailers;
  }

  abort(): void {
    if (this.real !== null) return this.real.abort();
    if (this.aborted) return;
    this.aborted = true;
    this.queued = [];
    this.owner.forget(this);
  }

  onDrain(cb: () => void): void {
    this.drainCb = cb;
    this.real?.onDrain(cb);
  }

  pauseResponse(): void {
    this.paused = true;
    this.real?.pauseResponse();
  }

  resumeResponse(): void {
    this.paused = false;
    this.real?.resumeResponse();
  }
}

/**
 * One host of an auto_config cluster. The first connection (opened here, offering h2,http/1.1) decides the protocol;
 * it then goes to an HTTP/2 or HTTP/1.1 pool, whose own new connections offer both again and must get the same
 * answer. If the server changes its mind, that connection fails its request (a retriable connect failure) and the
 * next request learns the protocol afresh.
 */
export class AutoPool implements ConnectionPool {
  private learned: Protocol | undefined;
  private h1: H1Pool | undefined;
  private h2: H2Pool | undefined;
  private raw: H1Pool | undefined;
  private probing = false;
  private closed = false;
  private readonly waiting: DeferredStream[] = [];

  constructor(private readonly opts: PoolOptions) {}

  /** What the router should expect (trailers on HTTP/2); HTTP/1.1 until a connection said otherwise. */
  get protocol(): Protocol {
    return this.learned ?? 'http/1.1';
  }

  request(head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    if (this.learned !== undefined) return this.pool(this.learned).request(head, handler);
    const d = new DeferredStream(head, handler, this);
    const { breakers, stats } = this.opts;
    if (!breakers.tryStartPending()) {
      handler.onError('overflow', 'pending request limit reached');
      return d;
    }
    stats.rqPendingTotal.inc();
    this.waiting.push(d);
    this.probe();
    return d;
  }

  forget(d: DeferredStream): void {
    const i = this.waiting.indexOf(d);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    this.opts.breakers.endPending();
  }

  /** Opens the connection whose ALPN answer decides the protocol; the waiting requests follow it. */
  private probe(): void {
    if (this.probing || this.closed) return;
    const { breakers, stats, host } = this.opts;
    if (!breakers.tryOpenConnection()) {
      this.failWaiting('overflow', 'connection limit reached');
      return;
    }
    this.probing = true;
    stats.cxTotal.inc();
    host.stats.cx_total++;
    openConnection(this.opts.target, (err, socket, timedOut) => {
      this.probing = false;
      if (err !== null || socket === undefined) {
        breakers.closeConnection();
        stats.cxConnectFail.inc();
        if (timedOut) stats.cxConnectTimeout.inc();
        host.stats.cx_connect_fail++;
        this.failWaiting('connect-failure', err?.message ?? 'connect failed');
        return;
      }
      if (this.closed) {
        breakers.closeConnection();
        socket.destroy();
        return;
      }
      const proto = negotiatedProtocol(socket);
      this.learned = proto;
      const pool = this.pool(proto);
      pool.adopt(socket);
      for (const d of this.waiting.splice(0)) {
        breakers.endPending();
        d.bind(pool.request(d.head, d.handler));
      }
    });
  }

  private pool(p: Protocol): H1Pool | H2Pool {
    const opts: PoolOptions = { ...this.opts, alpn: { onMismatch: this.onMismatch } };
    if (p === 'h2') return (this.h2 ??= new H2Pool(opts));
    return (this.h1 ??= new H1Pool(opts));
  }

  private readonly onMismatch = (): void => {
    this.learned = undefined;
  };

  private failWaiting(kind: UpstreamFailure, detail: string): void {
    for (const d of this.waiting.splice(0)) {
      this.opts.breakers.endPending();
      d.handler.onError(kind, detail);
    }
  }

  /** Upgrades (WebSocket) need HTTP/1.1: those connections offer only http/1.1. */
  connectRaw(cb: (err: UpstreamFailure | null, socket?: Duplex) => void): void {
    const t = this.opts.target;
    this.raw ??= new H1Pool({ ...this.opts, target: { ...t, tls: t.tls === undefined ? undefined : { ...t.tls, ALPNProtocols: ['http/1.1'] } } });
    this.raw.connectRaw(cb);
  }

  drain(): void {
    this.h1?.drain();
    this.h2?.drain();
    this.raw?.drain();
  }

  close(): void {
    this.closed = true;
    this.failWaiting('reset', 'pool closed');
    this.h1?.close();
    this.h2?.close();
    this.raw?.close();
  }
}
