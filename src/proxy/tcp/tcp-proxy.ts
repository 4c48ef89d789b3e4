// TCP proxy: envoy.filters.network.tcp_proxy — picks a cluster and host, connects with retries, splices bytes.
import type { Duplex } from 'node:stream';
import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { TcpProxy } from '../config/types.js';
import type { DownstreamConnectionInfo } from '../http/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import type { ClusterManager, Host, UpstreamCluster } from '../upstream/types.js';
import { upstreamTlsConnectOptions } from '../tls/tls-options.js';
import { uriSans } from '../tls/san.js';
import { clusterSockets, socketIndexFor } from '../upstream/socket-match.js';
import { openConnection } from '../upstream/pool/connect.js';
import { trackHostConnection } from '../upstream/host.js';
import { splice } from './splice.js';
import type { AccessLogger } from '../telemetry/access-log.js';
import { connectionState, type ConnectionState } from '../network/connection-state.js';
import { FilteredSocket } from '../network/filtered-socket.js';
import { METADATA_EXCHANGE_TYPE } from '../network/filters/metadata_exchange/config.js';
import { ExchangeSide, exchangeStats, type ExchangeStats } from '../network/filters/metadata_exchange/filter.js';

/** What one TCP connection leaves for its access log line (cluster, flags and byte counts are in its ConnectionState). */
interface TcpSession {
  start: number;
  info: DownstreamConnectionInfo;
  upstreamHost: string;
  upstreamLocal?: string;
}

export interface TcpProxyDeps {
  clusterManager: ClusterManager;
  /** Root stats scope; this filter records under tcp.<stat_prefix>. */
  stats: StatsScope;
  /** Injectable for tests of weighted clusters. */
  random?: () => number;
  /** The filter's access_log, compiled by the proxy; null when none is configured. */
  accessLog?: AccessLogger | null;
  /**
   * The TLS options of the host's transport socket (transport_socket_matches applied, SDS secrets resolved), as the
   * HTTP pools use them; without it the socket's inline context is used as is.
   */
  upstreamTls?: (cluster: UpstreamCluster, host: Host) => ConnectionOptions | undefined;
}

interface TcpStats {
  cxTotal: Counter;
  noRoute: Counter;
  idleTimeout: Counter;
  flushTotal: Counter;
  rxBytes: Counter;
  txBytes: Counter;
  active: Gauge;
}

/** Built once per filter chain; handles every connection the chain receives. */
export class TcpProxyFilter {
  private readonly stats: TcpStats;
  private readonly totalWeight: number;
  private readonly live = new Set<Duplex>();
  private readonly random: () => number;
  private exchangeStats: ExchangeStats | undefined;

  constructor(
    readonly config: TcpProxy,
    private readonly deps: TcpProxyDeps,
  ) {
    const s = deps.stats.scope('tcp', ['envoy_tcp_prefix', config.stat_prefix]);
    this.stats = {
      cxTotal: s.counter('downstream_cx_total'),
      noRoute: s.counter('downstream_cx_no_route'),
      idleTimeout: s.counter('idle_timeout'),
      flushTotal: s.counter('upstream_flush_total'),
      rxBytes: s.counter('downstream_cx_rx_bytes_total'),
      txBytes: s.counter('downstream_cx_tx_bytes_total'),
      active: s.gauge('downstream_cx_active'),
    };
    const spec = config.cluster_specifier;
    this.totalWeight = spec.kind === 'weighted_clusters' ? spec.clusters.reduce((a, c) => a + c.weight, 0) : 0;
    this.random = deps.random ?? Math.random;
  }

  /** Open downstream connections (for drain and tests). */
  activeConnections(): number {
    return this.live.size;
  }

  /** Resets every connection (listener close after the drain period). */
  closeAll(): void {
    for (const s of this.live) s.destroy();
  }

  handleConnection(downstream: Duplex, info: DownstreamConnectionInfo): void {
    this.stats.cxTotal.inc();
    this.stats.active.add(1);
    this.live.add(downstream);
    const clusterName = this.pickClusterName();
    const state = connectionState(info);
    state.upstreamCluster = clusterName;
    const session: TcpSession | null = this.deps.accessLog != null ? { start: Date.now(), info, upstreamHost: '-' } : null;
    downstream.on('error', () => {});
    downstream.once('close', () => {
      this.live.delete(downstream);
      this.stats.active.sub(1);
      if (session !== null) this.log(session, state);
    });
    const cluster = this.deps.clusterManager.get(clusterName);
    if (!cluster) {
      this.stats.noRoute.inc();
      state.responseFlags = 'NR';
      downstream.destroy();
      return;
    }
    this.attempt(downstream, cluster, 0, session, state);
  }

  private log(s: TcpSession, state: ConnectionState): void {
    const { info } = s;
    this.deps.accessLog!.log({
      startTime: s.start,
      durationMs: Date.now() - s.start,
      method: '',
      path: '',
      authority: '',
      protocol: '',
      responseCode: 0,
      responseFlags: state.responseFlags,
      bytesReceived: state.bytesReceived,
      bytesSent: state.bytesSent,
      upstreamHost: s.upstreamHost,
      upstreamCluster: state.upstreamCluster,
      upstreamServiceTimeMs: undefined,
      downstreamRemoteAddress: `${info.remoteAddress}:${info.remotePort}`,
      downstreamLocalAddress: `${info.localAddress}:${info.localPort}`,
      requestHeaders: {},
      responseHeaders: {},
      routeName: '',
      requestId: '',
      connection: info,
      ...(s.upstreamLocal !== undefined ? { upstreamLocalAddress: s.upstreamLocal } : {}),
    });
  }

  private pickClusterName(): string {
    const spec = this.config.cluster_specifier;
    if (spec.kind === 'cluster') return spec.name;
    let r = this.random() * this.totalWeight;
    for (const c of spec.clusters) {
      if (r < c.weight) return c.name;
      r -= c.weight;
    }
    return spec.clusters[spec.clusters.length - 1]!.name;
  }

  /** The host's TLS options; a socket without `sni` sends the host's name (never an IP literal). */
  private tlsFor(cluster: UpstreamCluster, host: Host): ConnectionOptions | undefined {
    if (this.deps.upstreamTls === undefined) {
      const ts = clusterSockets(cluster.config)[socketIndexFor(cluster.config, host)];
      return ts ? upstreamTlsConnectOptions(ts.typed_config, host.hostname || undefined) : undefined;
    }
    const o = this.deps.upstreamTls(cluster, host);
    if (o === undefined || o.servername !== undefined || host.hostname === '' || isIP(host.hostname) !== 0) return o;
    return { ...o, servername: host.hostname };
  }

  /** Downstream bytes stay buffered (we do not read) until an upstream is connected, as Envoy's readDisable. */
  private attempt(downstream: Duplex, cluster: UpstreamCluster, attempt: number, session: TcpSession | null, state: ConnectionState): void {
    if (downstream.destroyed) return;
    const cs = cluster.stats;
    const host = cluster.chooseHost({ attempt });
    if (!host) {
      cs.counter('upstream_cx_none_healthy').inc();
      state.responseFlags = 'UH';
      downstream.destroy();
      return;
    }
    if (!cluster.breakers.tryOpenConnection()) {
      // (the breaker counts upstream_cx_overflow)
      state.responseFlags = 'UO';
      downstream.destroy();
      return;
    }
    if (session !== null) session.upstreamHost = host.key;
    cs.counter('upstream_cx_total').inc();
    host.stats.cx_total++;
    const active = cs.gauge('upstream_cx_active');
    active.add(1);
    const release = (): void => {
      active.sub(1);
      cluster.breakers.closeConnection();
    };
    const tlsOpts = this.tlsFor(cluster, host);
    openConnection({ host: host.address, port: host.port, timeoutMs: cluster.config.connect_timeout, tls: tlsOpts, allowHalfOpen: true }, (err, upstream, timedOut) => {
      if (err || !upstream) {
        release();
        this.connectFailed(cluster, host, timedOut);
        if (attempt + 1 < Math.max(1, this.config.max_connect_attempts)) this.attempt(downstream, cluster, attempt + 1, session, state);
        else {
          cs.counter('upstream_cx_connect_attempts_exceeded').inc();
          state.responseFlags = 'UF';
          downstream.destroy();
        }
        return;
      }
      if (downstream.destroyed) {
        release();
        upstream.destroy();
        return;
      }
      upstream.once('close', release);
      trackHostConnection(host, upstream);
      const local = upstream as Partial<Socket>;
      if (session !== null && local.localAddress !== undefined) session.upstreamLocal = `${local.localAddress}:${local.localPort ?? 0}`;
      if (state.wantsUpstreamSans && (upstream as Partial<TLSSocket>).encrypted === true) {
        // read now: a closed TLS socket no longer has its certificates
        const tls = upstream as TLSSocket;
        const own = tls.getCertificate();
        state.upstreamLocalUriSans = own !== null && 'subjectaltname' in own ? uriSans(own) : [];
        state.upstreamPeerUriSans = uriSans(tls.getPeerCertificate());
      }
      splice(downstream, this.exchanged(upstream, cluster, state), {
        idleTimeoutMs: this.config.idle_timeout,
        onIdleTimeout: () => this.stats.idleTimeout.inc(),
        onRxBytes: (n) => {
          this.stats.rxBytes.inc(n);
          state.bytesReceived += n;
        },
        onTxBytes: (n) => {
          this.stats.txBytes.inc(n);
          state.bytesSent += n;
        },
        onUpstreamFlush: () => this.stats.flushTotal.inc(),
        onDone: () => {},
      });
    });
  }

  /**
   * The upstream as tcp_proxy reads it: with the cluster's istio.metadata_exchange and the exchange's ALPN negotiated,
   * our frame goes out first and the server's frame is read off the front (its peer kept for istio.stats).
   */
  private exchanged(upstream: Duplex, cluster: UpstreamCluster, state: ConnectionState): Duplex {
    const mx = cluster.config.filters?.find((f) => f.typed_config['@type'] === METADATA_EXCHANGE_TYPE)?.typed_config;
    if (mx === undefined) return upstream;
    const stats = (this.exchangeStats ??= exchangeStats(this.deps.stats));
    if ((upstream as Partial<TLSSocket>).alpnProtocol !== mx.protocol) {
      stats.alpnNotFound.inc();
      return upstream;
    }
    const side = new ExchangeSide(stats, (peer) => (state.upstreamPeer = peer));
    side.start((b) => upstream.write(b));
    return new FilteredSocket(upstream, [{ onData: (data, end) => side.onData(data, end) }]);
  }

  private connectFailed(cluster: UpstreamCluster, host: Host, timedOut: boolean): void {
    cluster.stats.counter('upstream_cx_connect_fail').inc();
    if (timedOut) cluster.stats.counter('upstream_cx_connect_timeout').inc();
    host.stats.cx_connect_fail++;
    cluster.reportResult(host, { localFailure: 'connect-failure' });
  }
}
