// Upstream pools: finds (or creates) the connection pool for a cluster's host and protocol (and SNI, with auto_sni).
import type tls from 'node:tls';
import type { Host, UpstreamCluster } from '../types.js';
import type { ConnectionPool } from './types.js';
import type { ConnectTarget } from './connect.js';
import { H1Pool, type PoolStats } from './h1-pool.js';
import { H2Pool } from './h2-pool.js';
import { autoTlsTarget, sniFromAuthority } from './auto-sni.js';

interface HostPools {
  h1?: ConnectionPool;
  h2?: ConnectionPool;
  /** With auto_sni / auto_san_validation: the pools of each server name. */
  bySni?: Map<string, HostPools>;
}

/** Per-cluster state resolved once: stats handles and TLS options shared by all its pools. */
interface ClusterPools {
  stats: PoolStats;
  tls: tls.ConnectionOptions | undefined;
  protocol: 'HTTP1' | 'HTTP2' | 'USE_DOWNSTREAM';
  idleTimeoutMs: number;
  maxRequestsPerConnection: number;
  /** upstream_http_protocol_options: SNI / SAN check per request authority (TLS clusters only). */
  autoSni: boolean;
  autoSan: boolean;
  pools: Set<ConnectionPool>;
}

export type TlsOptionsFor = (cluster: UpstreamCluster) => tls.ConnectionOptions | undefined;

const UPSTREAM_IDLE_DEFAULT_MS = 3_600_000; // Envoy's default upstream idle_timeout: 1 hour

export class PoolManager {
  private readonly byHost = new WeakMap<Host, HostPools>();
  private readonly byCluster = new Map<UpstreamCluster, ClusterPools>();

  constructor(private readonly tlsOptionsFor: TlsOptionsFor) {}

  /**
   * The pool for `host` of `cluster`; `downstreamH2` picks h2 under USE_DOWNSTREAM. `authority` is the
   * upstream request's host header: with auto_sni / auto_san_validation it names the TLS server, so
   * connections for different authorities are pooled apart.
   */
  pool(cluster: UpstreamCluster, host: Host, downstreamH2: boolean, authority?: string): ConnectionPool {
    const cp = this.clusterPoolsOf(cluster);
    return this.hostPool(cluster, cp, host, cp.protocol === 'HTTP2' || (cp.protocol === 'USE_DOWNSTREAM' && downstreamH2), authority);
  }

  /** A pool whose connectRaw opens plain TCP/TLS connections to `host` whatever the cluster's HTTP protocol (CONNECT tunnels). */
  rawPool(cluster: UpstreamCluster, host: Host, authority?: string): ConnectionPool {
    return this.hostPool(cluster, this.clusterPoolsOf(cluster), host, false, authority);
  }

  private clusterPoolsOf(cluster: UpstreamCluster): ClusterPools {
    let cp = this.byCluster.get(cluster);
    if (cp === undefined) {
      cp = this.clusterPools(cluster);
      this.byCluster.set(cluster, cp);
    }
    return cp;
  }

  private hostPool(cluster: UpstreamCluster, cp: ClusterPools, host: Host, h2: boolean, authority: string | undefined): ConnectionPool {
    const sni = cp.autoSni || cp.autoSan ? sniFromAuthority(authority ?? host.hostname) : '';
    let hp: HostPools | undefined = this.byHost.get(host);
    if (hp === undefined) {
      hp = {};
      this.byHost.set(host, hp);
    }
    if (sni !== '') {
      const bySni: Map<string, HostPools> = (hp.bySni ??= new Map());
      let sp = bySni.get(sni);
      if (sp === undefined) {
        sp = {};
        bySni.set(sni, sp);
      }
      hp = sp;
    }
    let pool = h2 ? hp.h2 : hp.h1;
    if (pool === undefined) {
      const opts = {
        host,
        target: this.target(cluster, cp, host, sni),
        breakers: cluster.breakers,
        stats: cp.stats,
        idleTimeoutMs: cp.idleTimeoutMs,
        maxRequestsPerConnection: cp.maxRequestsPerConnection,
      };
      pool = h2 ? new H2Pool(opts) : new H1Pool(opts);
      if (h2) hp.h2 = pool;
      else hp.h1 = pool;
      cp.pools.add(pool);
    }
    return pool;
  }

  private clusterPools(cluster: UpstreamCluster): ClusterPools {
    const s = cluster.stats;
    const http = cluster.config.typed_extension_protocol_options.http;
    const common = http?.common_http_protocol_options;
    return {
      stats: {
        cxTotal: s.counter('upstream_cx_total'),
        cxActive: s.gauge('upstream_cx_active'),
        cxConnectFail: s.counter('upstream_cx_connect_fail'),
        cxConnectTimeout: s.counter('upstream_cx_connect_timeout'),
        cxDestroy: s.counter('upstream_cx_destroy'),
        cxHttp1Total: s.counter('upstream_cx_http1_total'),
        cxHttp2Total: s.counter('upstream_cx_http2_total'),
        rqPendingTotal: s.counter('upstream_rq_pending_total'),
      },
      tls: this.tlsOptionsFor(cluster),
      protocol: http?.upstream_protocol ?? 'HTTP1',
      idleTimeoutMs: common?.idle_timeout ?? UPSTREAM_IDLE_DEFAULT_MS,
      maxRequestsPerConnection: common?.max_requests_per_connection ?? 0,
      autoSni: http?.upstream_http_protocol_options?.auto_sni === true,
      autoSan: http?.upstream_http_protocol_options?.auto_san_validation === true,
      pools: new Set(),
    };
  }

  /** Where a pool connects; the address is read per connection, so a host re-resolved by DNS is followed. */
  private target(cluster: UpstreamCluster, cp: ClusterPools, host: Host, sni: string): ConnectTarget {
    const auto = autoTlsTarget(cp.tls, sni, cp.autoSni, cp.autoSan);
    return {
      get host(): string {
        return host.address;
      },
      port: host.port,
      timeoutMs: cluster.config.connect_timeout,
      tls: auto.tls,
      ...(auto.verifyPeer !== undefined ? { verifyPeer: auto.verifyPeer } : {}),
    };
  }

  /** Closes the pools of clusters that are gone or were replaced. */
  retain(live: ReadonlySet<UpstreamCluster>): void {
    for (const [cluster, cp] of this.byCluster) {
      if (live.has(cluster)) continue;
      this.byCluster.delete(cluster);
      for (const p of cp.pools) p.drain();
    }
  }

  close(): void {
    for (const cp of this.byCluster.values()) for (const p of cp.pools) p.close();
    this.byCluster.clear();
  }
}
