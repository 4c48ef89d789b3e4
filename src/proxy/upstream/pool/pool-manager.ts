// Upstream pools: finds (or creates) the connection pool for a cluster's host, protocol and (auto_sni) server name.
import type tls from 'node:tls';
import type { HttpProtocolOptions } from '../../config/types.js';
import type { HeaderMap } from '../../router/types.js';
import type { Host, UpstreamCluster } from '../types.js';
import type { ConnectionPool } from './types.js';
import { H1Pool, type PoolStats } from './h1-pool.js';
import { H2Pool } from './h2-pool.js';
import { AUTO_ALPN, AutoPool } from './auto-pool.js';
import { autoHostName, requestHostOptions } from '../../tls/auto-host.js';
import { sdsNames, type SecretManager } from '../../tls/secret-manager.js';

/** Per host: pools by protocol and, with auto_sni / auto_san_validation, by the request's host name. */
type HostPools = Map<string, ConnectionPool>;

type Protocol = HttpProtocolOptions['upstream_protocol'];

/** Per-cluster state resolved once: stats handles and TLS options shared by all its pools. */
interface ClusterPools {
  stats: PoolStats;
  tls: tls.ConnectionOptions | undefined;
  protocol: Protocol;
  idleTimeoutMs: number;
  maxRequestsPerConnection: number;
  maxHeadersCount: number;
  /** auto_sni / auto_san_validation (only with TLS). */
  auto: NonNullable<HttpProtocolOptions['upstream_http_protocol_options']> | undefined;
  /** TLS options per request host name (auto_sni / auto_san_validation), built once each. */
  byName: Map<string, tls.ConnectionOptions>;
  pools: Set<ConnectionPool>;
  /** Stops following the cluster's SDS secrets. */
  unwatch?: () => void;
}

/** The request an upstream pool is chosen for: its host (after rewrites) and headers (override_auto_sni_header). */
export interface PoolRequest {
  authority: string;
  headers: HeaderMap;
}

export type TlsOptionsFor = (cluster: UpstreamCluster) => tls.ConnectionOptions | undefined;

const UPSTREAM_IDLE_DEFAULT_MS = 3_600_000; // Envoy's default upstream idle_timeout: 1 hour
const UPSTREAM_MAX_HEADERS_DEFAULT = 100; // Envoy's default max_headers_count
/** Host names a cluster keeps TLS options (and each host its pools) for: request hosts come from clients. */
const MAX_NAMES = 256;

export class PoolManager {
  private readonly byHost = new WeakMap<Host, HostPools>();
  private readonly byCluster = new Map<UpstreamCluster, ClusterPools>();

  constructor(
    private readonly tlsOptionsFor: TlsOptionsFor,
    private readonly secrets?: SecretManager,
  ) {}

  /** The pool for `host` of `cluster`; `downstreamH2` picks h2 under USE_DOWNSTREAM; `req` names the host for auto_sni. */
  pool(cluster: UpstreamCluster, host: Host, downstreamH2: boolean, req?: PoolRequest): ConnectionPool {
    const cp = this.clusterPoolsOf(cluster);
    return this.hostPool(cluster, cp, host, cp.protocol === 'USE_DOWNSTREAM' ? (downstreamH2 ? 'HTTP2' : 'HTTP1') : cp.protocol, req);
  }

  /** A pool whose connectRaw opens plain TCP/TLS connections to `host` whatever the cluster's HTTP protocol (CONNECT tunnels). */
  rawPool(cluster: UpstreamCluster, host: Host, req?: PoolRequest): ConnectionPool {
    return this.hostPool(cluster, this.clusterPoolsOf(cluster), host, 'HTTP1', req);
  }

  private clusterPoolsOf(cluster: UpstreamCluster): ClusterPools {
    let cp = this.byCluster.get(cluster);
    if (cp === undefined) {
      cp = this.clusterPools(cluster);
      this.byCluster.set(cluster, cp);
    }
    return cp;
  }

  private hostPool(cluster: UpstreamCluster, cp: ClusterPools, host: Host, protocol: Exclude<Protocol, 'USE_DOWNSTREAM'>, req: PoolRequest | undefined): ConnectionPool {
    const name = cp.auto !== undefined && req !== undefined ? autoHostName(req, cp.auto) : undefined;
    const key = name === undefined ? protocol : `${protocol} ${name}`;
    let hp = this.byHost.get(host);
    if (hp === undefined) {
      hp = new Map();
      this.byHost.set(host, hp);
    }
    let pool = hp.get(key);
    // a pool drained by a secret rotation is replaced: new connections use the new TLS context
    if (pool === undefined || !cp.pools.has(pool)) {
      const opts = {
        host,
        target: {
          // read per connection: a LOGICAL_DNS or dynamic_forward_proxy host re-resolved in place is followed
          get host(): string {
            return host.address;
          },
          port: host.port,
          timeoutMs: cluster.config.connect_timeout,
          tls: name === undefined ? cp.tls : this.tlsFor(cluster, cp, name),
        },
        breakers: cluster.breakers,
        stats: cp.stats,
        idleTimeoutMs: cp.idleTimeoutMs,
        maxRequestsPerConnection: cp.maxRequestsPerConnection,
        maxHeadersCount: cp.maxHeadersCount,
      };
      pool = protocol === 'AUTO' ? new AutoPool(opts) : protocol === 'HTTP2' ? new H2Pool(opts) : new H1Pool(opts);
      if (name !== undefined && hp.size >= MAX_NAMES) this.evictOldest(hp, cp);
      hp.set(key, pool);
      cp.pools.add(pool);
    }
    return pool;
  }

  /** The cluster's TLS options for one request host name: SNI and/or the SAN to accept. */
  private tlsFor(cluster: UpstreamCluster, cp: ClusterPools, name: string): tls.ConnectionOptions | undefined {
    const base = cp.tls;
    const ts = cluster.config.transport_socket;
    if (base === undefined || ts === undefined || cp.auto === undefined) return base;
    let o = cp.byName.get(name);
    if (o === undefined) {
      if (cp.byName.size >= MAX_NAMES) cp.byName.delete(cp.byName.keys().next().value!);
      o = requestHostOptions(base, ts.typed_config, name, cp.auto);
      cp.byName.set(name, o);
    }
    return o;
  }

  /** Too many request host names for one host: the oldest one's pool drains (its connections finish their work). */
  private evictOldest(hp: HostPools, cp: ClusterPools): void {
    for (const [k, p] of hp) {
      if (!k.includes(' ')) continue;
      hp.delete(k);
      cp.pools.delete(p);
      p.drain();
      return;
    }
  }

  private clusterPools(cluster: UpstreamCluster): ClusterPools {
    const s = cluster.stats;
    const http = cluster.config.typed_extension_protocol_options.http;
    const common = http?.common_http_protocol_options;
    const protocol = http?.upstream_protocol ?? 'HTTP1';
    const tlsOpts = this.clusterTls(cluster, protocol);
    const uhpo = http?.upstream_http_protocol_options;
    const cp: ClusterPools = {
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
      tls: tlsOpts,
      protocol,
      idleTimeoutMs: common?.idle_timeout ?? UPSTREAM_IDLE_DEFAULT_MS,
      maxRequestsPerConnection: common?.max_requests_per_connection ?? 0,
      maxHeadersCount: common?.max_headers_count ?? UPSTREAM_MAX_HEADERS_DEFAULT,
      auto: tlsOpts !== undefined && uhpo !== undefined && (uhpo.auto_sni || uhpo.auto_san_validation) ? uhpo : undefined,
      byName: new Map(),
      pools: new Set(),
    };
    const ts = cluster.config.transport_socket;
    const names = ts === undefined ? [] : sdsNames(ts.typed_config.common_tls_context);
    if (names.length > 0 && this.secrets !== undefined) cp.unwatch = this.secrets.watch(names, () => this.rotate(cluster, cp));
    return cp;
  }

  private clusterTls(cluster: UpstreamCluster, protocol: Protocol): tls.ConnectionOptions | undefined {
    const tlsOpts = this.tlsOptionsFor(cluster);
    // auto_config: offer h2 and http/1.1 unless the TLS context names its own ALPN
    return protocol === 'AUTO' && tlsOpts !== undefined && tlsOpts.ALPNProtocols === undefined ? { ...tlsOpts, ALPNProtocols: AUTO_ALPN } : tlsOpts;
  }

  /** A secret of the cluster changed: its pools drain (requests in flight finish) and new ones connect with it. */
  private rotate(cluster: UpstreamCluster, cp: ClusterPools): void {
    cp.tls = this.clusterTls(cluster, cp.protocol);
    cp.byName.clear();
    for (const p of cp.pools) p.drain();
    cp.pools.clear();
  }

  /** Closes the pools of clusters that are gone or were replaced. */
  retain(live: ReadonlySet<UpstreamCluster>): void {
    for (const [cluster, cp] of this.byCluster) {
      if (live.has(cluster)) continue;
      this.byCluster.delete(cluster);
      cp.unwatch?.();
      for (const p of cp.pools) p.drain();
    }
  }

  close(): void {
    for (const cp of this.byCluster.values()) {
      cp.unwatch?.();
      for (const p of cp.pools) p.close();
    }
    this.byCluster.clear();
  }
}
