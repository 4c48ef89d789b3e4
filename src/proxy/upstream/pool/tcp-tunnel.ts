// Upstream pools: the upstream of a terminated CONNECT — one raw TCP (or TLS) connection per request, shaped as a
// pool exchange so the router drives it like any try: "200" once connected, then the bytes both ways (Envoy's TcpUpstream).
import type { Duplex } from 'node:stream';
import type { UpstreamFailure } from '../types.js';
import type { ConnectionPool, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from './types.js';

/** Borrows `inner`'s connection setup (target, TLS, breakers, stats) through connectRaw; never reuses a connection. */
export class TcpTunnelPool implements ConnectionPool {
  readonly protocol = 'http/1.1' as const;

  constructor(private readonly inner: ConnectionPool) {}

  request(_head: UpstreamRequestHead, handler: UpstreamResponseHandler): UpstreamStream {
    const t = new TunnelStream(handler);
    this.inner.connectRaw((err, socket) => t.connected(err, socket));
    return t;
  }

  connectRaw(cb: (err: UpstreamFailure | null, socket?: Duplex) => void): void {
    this.inner.connectRaw(cb);
  }

  drain(): void {}

  close(): void {}
}

class TunnelStream implements UpstreamStream {
  private socket: Duplex | null = null;
  /** Payload written before the connection was up. */
  private queued: Buffer[] = [];
  private ended = false;
  /** A terminal callback went to the handler, or the router abandoned the tunnel. */
  private finished = false;
  private drainCb: (() => void) | null = null;

  constructor(private readonly handler: UpstreamResponseHandler) {}

  connected(err: UpstreamFailure | null, socket: Duplex | undefined): void {
    if (this.finished) {
      socket?.destroy();
      return;
    }
    if (err !== null || socket === undefined) {
      this.finished = true;
      const kind = err ?? 'connect-failure';
      this.handler.onError(kind, kind === 'overflow' ? 'connection limit reached' : 'connection failure');
      return;
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.finished) this.handler.onData(chunk);
    });
    socket.once('end', () => {
      if (this.finished) return;
      this.finished = true;
      this.handler.onEnd(undefined);
    });
    socket.on('error', () => {}); // 'close' follows
    socket.once('close', () => {
      if (this.finished) return;
      this.finished = true;
      this.handler.onError('reset', 'connection reset');
    });
    socket.on('drain', () => this.drainCb?.());
    this.handler.onHeaders(200, {});
    if (this.finished) return; // the router gave up on it while taking the headers
    const queued = this.queued;
    this.queued = [];
    let flowing = true;
    for (const c of queued) flowing = socket.write(c);
    if (this.ended) socket.end();
    else if (queued.length > 0 && flowing) this.drainCb?.();
  }

  write(chunk: Buffer): boolean {
    if (this.finished) return true;
    const s = this.socket;
    if (s === null) {
      this.queued.push(chunk);
      return false; // the router waits for onDrain, called once the connection is up
    }
    return s.write(chunk);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.socket !== null && !this.finished) this.socket.end();
  }

  abort(): void {
    this.finished = true;
    this.socket?.destroy();
  }

  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  pauseResponse(): void {
    this.socket?.pause();
  }

  resumeResponse(): void {
    this.socket?.resume();
  }
}
