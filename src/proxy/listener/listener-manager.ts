// Listener: binds, updates and drains listeners; swaps filter chains atomically for new connections.
import net from 'node:net';
import type { FilterChain, HttpConnectionManager, Listener, AccessLog } from '../config/types.js';
import type { AccessLogger } from '../telemetry/access-log.js';
import type { HttpConnectionHandler } from '../http/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { ClusterManager } from '../upstream/types.js';
import { allChains, compileListener, type CompiledFilterChain, type CompiledListener } from './compile.js';
import { serveConnection } from './connection.js';
import type { NetworkFilterContext } from '../network/registry.js';
import { listenerStatName, listenerStats, type ListenerStats } from './listener-stats.js';
import { UdpListeners } from '../udp/udp-listeners.js';
import type { SecretManager } from '../tls/secret-manager.js';

export interface ListenerManagerOptions {
  stats: StatsScope;
  clusterManager: ClusterManager;
  createHttpHandler(hcm: HttpConnectionManager, listener: Listener, chain: FilterChain): HttpConnectionHandler;
  /** Builds access loggers for tcp_proxy filters (the proxy owns and closes them). */
  accessLogger?(logs: readonly AccessLog[]): AccessLogger | null;
  /** What non-terminal network filters (rbac, local_ratelimit …) may use. */
  networkFilters?: NetworkFilterContext;
  /** How long connections of removed listeners / filter chains may live on (Envoy's --drain-time-s, default 600 s). */
  drainTimeMs?: number;
  /** Secrets TLS contexts name through SDS. */
  secrets?: SecretManager;
}

export interface BoundAddress {
  name: string;
  address: string;
  port: number;
}

interface ActiveListener {
  /** Swapped in one assignment on update; each connection reads it once, at accept. */
  current: CompiledListener;
  readonly server: net.Server;
  readonly addressKey: string;
  readonly stats: ListenerStats;
  readonly address: string;
  readonly port: number;
  readonly raw: Set<net.Socket>;
}

function addressKey(l: Listener): string {
  const a = l.address.socket_address;
  return `${a.protocol}|${a.address}|${a.port_value}`;
}

export class ListenerManager {
  private readonly active = new Map<string, ActiveListener>();
  private readonly draining = new Set<Promise<void>>();
  private readonly drainTimeMs: number;
  private closed = false;
  /** Updates run one at a time: a second update must see the first one's bound listeners. */
  private queue: Promise<void> = Promise.resolve();
  /** Listeners on UDP addresses (udp_proxy) live in their own set. */
  private readonly udp: UdpListeners;

  constructor(private readonly opts: ListenerManagerOptions) {
    this.drainTimeMs = opts.drainTimeMs ?? 600_000;
    this.udp = new UdpListeners({ clusters: opts.clusterManager, stats: opts.stats });
  }

  /**
   * Applies a full listener set (LDS state of the world). Listeners whose address is unchanged keep
   * their socket and get the new chains for new connections; unchanged chains keep their handlers.
   * Rejects (after applying everything else) if any listener failed to bind.
   */
  update(listeners: Listener[]): Promise<void> {
    const run = this.queue.then(() => this.apply(listeners));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(all: Listener[]): Promise<void> {
    if (this.closed) throw new Error('listener manager is closed');
    const udpFailures = this.udp.update(all.filter((l) => l.udp !== undefined));
    const listeners = all.filter((l) => l.udp === undefined);
    const wanted = new Map(listeners.map((l) => [l.name, l]));
    // Stop accepting on removed / re-addressed listeners first, so a new one may take the port.
    for (const [name, al] of this.active) {
      const next = wanted.get(name);
      if (!next || addressKey(next) !== al.addressKey) {
        this.active.delete(name);
        this.retire(al, this.drainTimeMs);
      }
    }
    const failures: string[] = [];
    await Promise.all(
      listeners.map(async (l) => {
        const al = this.active.get(l.name);
        if (al) {
          const before = allChains(al.current);
          try {
            al.current = compileListener(l, this.opts, before);
          } catch (e) {
            failures.push(`listener ${l.name}: ${(e as Error).message} (previous config kept)`);
            return;
          }
          const kept = new Set(allChains(al.current));
          for (const c of before) if (!kept.has(c)) this.retireChain(c, this.drainTimeMs);
          return;
        }
        try {
          this.active.set(l.name, await this.bind(l));
        } catch (e) {
          failures.push(`listener ${l.name}: ${(e as Error).message}`);
        }
      }),
    );
    failures.push(...(await udpFailures));
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /** The actually bound addresses (port 0 resolved). */
  addresses(): BoundAddress[] {
    return [...[...this.active.entries()].map(([name, al]) => ({ name, address: al.address, port: al.port })), ...this.udp.addresses()];
  }

  /**
   * Stops all listeners: no new connections, HTTP handlers drain (within `drainTimeoutMs`, else each
   * HCM's drain_timeout), then every remaining connection is reset.
   */
  async close(drainTimeoutMs?: number): Promise<void> {
    this.closed = true;
    await this.queue;
    for (const al of this.active.values()) this.retire(al, 0, drainTimeoutMs);
    this.active.clear();
    this.udp.close();
    await Promise.all([...this.draining]);
  }

  private bind(l: Listener): Promise<ActiveListener> {
    const sa = l.address.socket_address;
    if (sa.protocol !== 'TCP') return Promise.reject(new Error(`protocol ${sa.protocol} is not supported`));
    const compiled = compileListener(l, this.opts, []);
    // allowHalfOpen: tcp_proxy forwards FINs and Node's HTTP server expects it; noDelay: Envoy sets TCP_NODELAY.
    const server = net.createServer({
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: l.per_connection_buffer_limit_bytes > 0 ? l.per_connection_buffer_limit_bytes : undefined,
    });
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => {
        // The handlers made for this listener will never see a connection; let them go.
        for (const c of allChains(compiled)) if (c.terminal.kind === 'http') void c.terminal.handler.drain(0);
        reject(e);
      };
      server.once('error', onError);
      server.listen({ host: sa.address, port: sa.port_value }, () => {
        server.removeListener('error', onError);
        const addr = server.address() as net.AddressInfo;
        const al: ActiveListener = {
          current: compiled,
          server,
          addressKey: addressKey(l),
          stats: listenerStats(this.opts.stats, listenerStatName(addr.address, addr.port, l.stat_prefix)),
          address: addr.address,
          port: addr.port,
          raw: new Set(),
        };
        server.on('error', () => {}); // accept errors (EMFILE…) must not crash the proxy
        server.on('connection', (s: net.Socket) => this.accept(al, s));
        resolve(al);
      });
    });
  }

  private accept(al: ActiveListener, raw: net.Socket): void {
    const start = Date.now();
    al.stats.cxTotal.inc();
    al.stats.cxActive.add(1);
    al.raw.add(raw);
    raw.on('error', () => {}); // resets surface as 'close'; the owner of the socket logs if it cares
    raw.once('close', () => {
      al.raw.delete(raw);
      al.stats.cxActive.sub(1);
      al.stats.cxDestroy.inc();
      al.stats.cxLengthMs.record(Date.now() - start);
    });
    serveConnection(raw, al.current, al.stats);
  }

  /** Stops accepting now; lets connections drain for up to `graceMs`, then resets what is left. */
  private retire(al: ActiveListener, graceMs: number, httpDrainMs?: number): void {
    al.server.close();
    const chains = allChains(al.current);
    for (const c of chains) c.tls?.close();
    const done = Promise.all(chains.map((c) => this.drainChain(c, graceMs, httpDrainMs))).then(() => {
      for (const s of al.raw) s.destroy();
    });
    this.track(done);
  }

  private retireChain(c: CompiledFilterChain, graceMs: number): void {
    c.tls?.close(); // no new handshakes on it: it stops following its secrets
    this.track(this.drainChain(c, graceMs).then(() => {
      for (const s of c.connections) s.destroy();
    }));
  }

  /** HTTP: ask the handler to drain within the HCM's drain_timeout. TCP: wait for connections to end, up to `graceMs`. */
  private async drainChain(c: CompiledFilterChain, graceMs: number, httpDrainMs?: number): Promise<void> {
    const t = c.terminal;
    if (t.kind === 'http') {
      const hcmMs = httpDrainMs ?? t.hcm.drain_timeout;
      const ms = graceMs === 0 ? hcmMs : Math.min(graceMs, hcmMs);
      const deadline = Date.now() + ms;
      await t.handler.drain(ms);
      // The HCM drains the connections it was handed; one accepted on this chain may still be sniffing its codec. Handed
      // over, it is answered with Connection: close (the HCM is draining): wait for it too, until the same deadline.
      while (c.connections.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        await t.handler.drain(Math.max(0, deadline - Date.now()));
      }
      return;
    }
    if (c.connections.size === 0 || graceMs === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      timer.unref();
      const check = (): void => {
        if (c.connections.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const s of c.connections) s.once('close', () => setImmediate(check));
    });
  }

  private track(p: Promise<void>): void {
    const q = p.catch(() => {}).finally(() => this.draining.delete(q));
    this.draining.add(q);
  }
}
