// Upstream pools: finds (or creates) the connection pool for a cluster's host, protocol and (auto_sni) server name.
import type tls from 'node:tls';
import type { HttpProtocolOptions, TransportSocket, UpstreamTlsContext } from '../../config/types.js';
import type { HeaderMap } from '../../router/types.js';
import type { Host, UpstreamCluster } from '../types.js';
import type { ConnectionPool } from './types.js';
import { H1Pool, type PoolStats } from './h1-pool.js';
import { H2Pool } from './h2-pool.js';
import { AUTO_ALPN, AutoPool } from './auto-pool.js';
import { autoHostName, requestHostOptions } from '../../tls/auto-host.js';
import { sdsNames, type SecretManager } from '../../tls/secret-manager.js';
import { clusterSockets, socketIndexFor } from '../socket-match.js';

/** Per host: pools by transport socket, protocol and, with auto_sni / auto_san_validation, by the request's host name. */
type HostPools = Map<string, ConnectionPool>;

type Protocol = HttpProtocolOptions['upstream_protocol'];
type AutoOptions = NonNullable<HttpProtocolOptions['upstream_http_protocol_options']>;

/** One transport socket of a cluster (its transport_socket or a transport_socket_matches entry) as resolved for connecting. */
interface SocketState {
  config: TransportSocket<UpstreamTlsContext> | undefined;
  /** undefined: plaintext. */
  tls: tls.ConnectionOptions | undefined;
  /** auto_sni / auto_san_validation (only with TLS). */
  auto: AutoOptions | undefined;
  /** TLS options per request host name (auto_sni / auto_san_validation), built once each. */
  byName: Map<string, tls.ConnectionOptions>;
}

/** Per-cluster state resolved once: stats handles and the TLS options of each of its sockets, shared by all its pools. */
interface ClusterPools {
  stats: PoolStats;
  /** In clusterSockets order: [0] transport_socket, [i + 1] transport_socket_matches[i]. */
  sockets: SocketState[];
  protocol: Protocol;
  idleTimeoutMs: number;
  maxRequestsPerConnection: number;
  maxHeadersCount: number;
  pools: Set<ConnectionPool>;
  /** The socket each host was last given: a host whose metadata moves it to another socket drains its old pools. */
  socketOfHost: WeakMap<Host, number>;
  /** Stops following the cluster's SDS secrets. */
  unwatch?: () => void;
}

/** The request an upstream pool is chosen for: its host (after rewrites) and headers (override_auto_sni_header). */
export interface PoolRequest {
  authority: string;
  headers: HeaderMap;
}

/** Connect options for one TLS transport socket of `cluster` (its SDS secrets resolved); undefined = plaintext. */
export type TlsOptionsFor = (socket: TransportSocket<UpstreamTlsContext>, cluster: UpstreamCluster) => tls.ConnectionOptions | undefined;

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

  /** The TLS options (undefined: plaintext) connections to `host` of `cluster` use, for callers that open their own (tcp_proxy). */
  upstreamTls(cluster: UpstreamCluster, host: Host): tls.ConnectionOptions | undefined {
    const cp = this.clusterPoolsOf(cluster);
    return cp.sockets[this.socketOf(cp, cluster, host)]!.tls;
  }

  /** The host's socket index; a host that moved to another socket since its last pool has its old pools drained. */
  private socketOf(cp: ClusterPools, cluster: UpstreamCluster, host: Host): number {
    if (cp.sockets.length === 1) return 0;
    const idx = socketIndexFor(cluster.config, host);
    const before = cp.socketOfHost.get(host);
    if (before !== idx) {
      cp.socketOfHost.set(host, idx);
      if (before !== undefined) this.drainHostSocket(cp, host, before);
    }
    return idx;
  }

  private drainHostSocket(cp: ClusterPools, host: Host, socket: number): void {
    const hp = this.byHost.get(host);
    if (hp === undefined) return;
    const prefix = `${socket} `;
    for (const [k, p] of hp) {
      if (!k.startsWith(prefix) || !cp.pools.has(p)) continue;
      hp.delete(k);
      cp.pools.delete(p);
      p.drain();
    }
  }

  private hostPool(cluster: UpstreamCluster, cp: ClusterPools, host: Host, protocol: Exclude<Protocol, 'USE_DOWNSTREAM'>, req: PoolRequest | undefined): ConnectionPool {
    const socketIdx = this.socketOf(cp, cluster, host);
    const socket = cp.sockets[socketIdx]!;
    const name = socket.auto !== undefined && req !== undefined ? autoHostName(req, socket.auto) : undefined;
    // hosts with different sockets never share a connection: the socket is part of every pool key
    const key = name === undefined ? `${socketIdx} ${protocol}` : `${socketIdx} ${protocol} ${name}`;
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
          tls: name === undefined ? socket.tls : this.tlsFor(socket, name),
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

  /** A socket's TLS options for one request host name: SNI and/or the SAN to accept. */
  private tlsFor(socket: SocketState, name: string): tls.ConnectionOptions | undefined {
    const base = socket.tls;
    if (base === undefined || socket.config === undefined || socket.auto === undefined) return base;
    let o = socket.byName.get(name);
    if (o === undefined) {
      if (socket.byName.size >= MAX_NAMES) socket.byName.delete(socket.byName.keys().next().value!);
      o = requestHostOptions(base, socket.config.typed_config, name, socket.auto);
      socket.byName.set(name, o);
    }
    return o;
  }

  /** Too many request host names for one host: the oldest one's pool drains (its connections finish their work). */
  private evictOldest(hp: HostPools, cp: ClusterPools): void {
    for (const [k, p] of hp) {
      if (k.split(' ').length < 3) continue; // "<socket> <protocol>": not a per-name pool
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
      sockets: this.socketStates(cluster, protocol),
      protocol,
      idleTimeoutMs: common?.idle_timeout ?? UPSTREAM_IDLE_DEFAULT_MS,
      maxRequestsPerConnection: common?.max_requests_per_connection ?? 0,
      maxHeadersCount: common?.max_headers_count ?? UPSTREAM_MAX_HEADERS_DEFAULT,
      pools: new Set(),
      socketOfHost: new WeakMap(),
    };
    const names = [...new Set(cp.sockets.flatMap((st) => (st.config === undefined ? [] : sdsNames(st.config.typed_config.common_tls_context))))];
    if (names.length > 0 && this.secrets !== undefined) cp.unwatch = this.secrets.watch(names, () => this.rotate(cluster, cp));
    return cp;
  }

  private socketStates(cluster: UpstreamCluster, protocol: Protocol): SocketState[] {
    const uhpo = cluster.config.typed_extension_protocol_options.http?.upstream_http_protocol_options;
    return clusterSockets(cluster.config).map((config) => {
      const tlsOpts = config === undefined ? undefined : this.socketTls(cluster, config, protocol);
      return {
        config,
        tls: tlsOpts,
        auto: tlsOpts !== undefined && uhpo !== undefined && (uhpo.auto_sni || uhpo.auto_san_validation) ? uhpo : undefined,
        byName: new Map(),
      };
    });
  }

  private socketTls(cluster: UpstreamCluster, config: TransportSocket<UpstreamTlsContext>, protocol: Protocol): tls.ConnectionOptions | undefined {
    const tlsOpts = this.tlsOptionsFor(config, cluster);
    // auto_config: offer h2 and http/1.1 unless the TLS context names its own ALPN
    return protocol === 'AUTO' && tlsOpts !== undefined && tlsOpts.ALPNProtocols === undefined ? { ...tlsOpts, ALPNProtocols: AUTO_ALPN } : tlsOpts;
  }

  /** A secret of the cluster changed: its pools drain (requests in flight finish) and new ones connect with it. */
  private rotate(cluster: UpstreamCluster, cp: ClusterPools): void {
    cp.sockets = this.socketStates(cluster, cp.protocol);
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
