// UDP proxy: envoy.filters.udp_listener.udp_proxy — datagrams from each downstream address go through a session of
// their own (host picked once by the cluster's load balancer, optionally by hash), bounded by the cluster's
// max_connections circuit breaker.
import { xxhash64 } from '../../common/hash.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { ClusterManager } from '../upstream/types.js';
import { UdpSession } from './session.js';
import { udpClusterStats, udpDownstreamStats, type UdpDownstreamStats } from './stats.js';
import type { UdpProxyConfig } from './types.js';

/** A hard ceiling on sessions per listener, whatever the circuit breakers say (each session holds a socket). */
export const MAX_SESSIONS = 16384;

export interface Datagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
}

export interface UdpProxyDeps {
  readonly clusters: ClusterManager;
  readonly stats: StatsScope;
  /** Sends a datagram from the listener socket to a downstream address. */
  send(msg: Buffer, port: number, address: string, cb: (err: Error | null) => void): void;
}

export class UdpProxyFilter {
  private readonly sessions = new Map<string, UdpSession>();
  private readonly stats: UdpDownstreamStats;
  private readonly fixedHash: bigint | undefined;

  constructor(
    readonly config: UdpProxyConfig,
    private readonly deps: UdpProxyDeps,
  ) {
    this.stats = udpDownstreamStats(deps.stats, config.stat_prefix);
    const h = config.hash_policy;
    this.fixedHash = h?.kind === 'key' ? xxhash64(h.key) : undefined;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  onDatagram(d: Datagram): void {
    const st = this.stats;
    st.rxDatagrams.inc();
    st.rxBytes.inc(d.data.length);
    const key = `${d.address}|${d.port}`;
    let s = this.sessions.get(key);
    // a session whose host went unhealthy is replaced on its next datagram (Envoy)
    if (s !== undefined && s.host.health === 'unhealthy') {
      s.close(false);
      s = undefined;
    }
    s ??= this.newSession(key, d);
    s?.fromDownstream(d.data);
  }

  private newSession(key: string, d: Datagram): UdpSession | undefined {
    const cluster = this.deps.clusters.get(this.config.cluster);
    if (cluster === undefined) {
      this.stats.noRoute.inc();
      return undefined;
    }
    const cs = udpClusterStats(cluster);
    const hashKey = this.config.hash_policy?.kind === 'source_ip' ? xxhash64(d.address) : this.fixedHash;
    const host = cluster.chooseHost(hashKey === undefined ? { attempt: 0 } : { attempt: 0, hashKey });
    if (host === null) {
      cs.noneHealthy.inc();
      return undefined;
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      cs.overflow.inc();
      return undefined;
    }
    if (!cluster.breakers.tryOpenConnection()) return undefined; // counts upstream_cx_overflow itself
    const s = new UdpSession(key, cluster, host, {
      downstream: this.stats,
      upstream: cs,
      idleTimeoutMs: this.config.idle_timeout,
      maxUpstreamDatagram: this.config.max_upstream_rx_datagram_size,
      sendDownstream: (msg, cb) => this.deps.send(msg, d.port, d.address, cb),
      onClose: (closed, idle) => {
        if (this.sessions.get(closed.key) === closed) this.sessions.delete(closed.key);
        cluster.breakers.closeConnection();
        this.stats.sessActive.sub(1);
        if (idle) this.stats.idleTimeout.inc();
      },
    });
    this.sessions.set(key, s);
    this.stats.sessTotal.inc();
    this.stats.sessActive.add(1);
    return s;
  }

  /** Ends every session (listener removed, updated or the proxy stopping). */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.close(false);
  }
}
