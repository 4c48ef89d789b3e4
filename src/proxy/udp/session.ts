// UDP proxy: one session — a downstream address paired with its own upstream socket connected to one host; datagrams
// go both ways until neither side sends for idle_timeout.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Host, UpstreamCluster } from '../upstream/types.js';
import type { UdpClusterStats, UdpDownstreamStats } from './stats.js';

/** Datagrams sent before the upstream socket is connected wait here (a few ms at most); beyond this they are dropped. */
const MAX_QUEUED = 64;

export interface SessionDeps {
  readonly downstream: UdpDownstreamStats;
  readonly upstream: UdpClusterStats;
  readonly idleTimeoutMs: number;
  readonly maxUpstreamDatagram: number;
  /** Sends a datagram back to the session's downstream address. */
  sendDownstream(msg: Buffer, cb: (err: Error | null) => void): void;
  /** The session ended (idle, socket error, or closed by the proxy). */
  onClose(s: UdpSession, idle: boolean): void;
}

export class UdpSession {
  private readonly socket: dgram.Socket;
  private connected = false;
  private queue: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** ms of the last datagram either way; the idle timer re-arms for what is left instead of being reset per datagram. */
  private lastActivity = Date.now();
  private closed = false;

  constructor(
    readonly key: string,
    readonly cluster: UpstreamCluster,
    readonly host: Host,
    private readonly deps: SessionDeps,
  ) {
    this.socket = dgram.createSocket(isIPv6(host.address) ? 'udp6' : 'udp4');
    this.socket.on('error', () => {
      deps.upstream.sessRxErrors.inc();
      this.close(false);
    });
    this.socket.on('message', (msg) => this.fromUpstream(msg));
    this.socket.connect(host.port, host.address, () => {
      this.connected = true;
      const q = this.queue;
      this.queue = [];
      for (const m of q) this.sendUpstream(m);
    });
    host.stats.cx_total++;
    host.stats.cx_active++;
    if (deps.idleTimeoutMs > 0) this.armIdle(deps.idleTimeoutMs);
  }

  private armIdle(ms: number): void {
    this.timer = setTimeout(() => {
      const left = this.lastActivity + this.deps.idleTimeoutMs - Date.now();
      if (left > 0) this.armIdle(left);
      else this.close(true);
    }, ms);
    this.timer.unref();
  }

  /** A datagram from the downstream (already counted as received by the proxy). */
  fromDownstream(msg: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    if (this.connected) this.sendUpstream(msg);
    else if (this.queue.length < MAX_QUEUED) this.queue.push(msg);
    else this.deps.upstream.sessTxErrors.inc();
  }

  private sendUpstream(msg: Buffer): void {
    const u = this.deps.upstream;
    this.socket.send(msg, (err) => {
      if (err) u.sessTxErrors.inc();
      else {
        u.sessTxDatagrams.inc();
        u.txBytes.inc(msg.length);
      }
    });
  }

  private fromUpstream(msg: Buffer): void {
    if (this.closed) return;
    const { upstream: u, downstream: d } = this.deps;
    // Envoy reads into a max_rx_datagram_size buffer: a longer datagram is truncated by the kernel and dropped.
    if (msg.length > this.deps.maxUpstreamDatagram) {
      u.sessRxDropped.inc();
      return;
    }
    this.lastActivity = Date.now();
    u.sessRxDatagrams.inc();
    u.rxBytes.inc(msg.length);
    this.deps.sendDownstream(msg, (err) => {
      if (err) d.txErrors.inc();
      else {
        d.txDatagrams.inc();
        d.txBytes.inc(msg.length);
      }
    });
  }

  close(idle: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queue = [];
    this.host.stats.cx_active--;
    try {
      this.socket.close();
    } catch {
      // already closed after an error
    }
    this.deps.onClose(this, idle);
  }
}
