// HTTP: envoy.filters.network.http_connection_manager — owns the HTTP/1.1 and HTTP/2 codecs for one filter chain.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { HttpConnectionManager } from '../config/types.js';
import type { RouteMatchResult, RouteTable } from '../router/types.js';
import type { ClusterManager } from '../upstream/types.js';
import type { PoolManager } from '../upstream/pool/pool-manager.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { AccessLogger } from '../telemetry/access-log.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import type { ServerHealth } from '../admin/health-check-state.js';
import type { DownstreamConnectionInfo, HttpConnectionHandler } from './types.js';
import { HttpFilterChain } from './filter/chain.js';
import { HcmStats, StatsCache } from './request-stats.js';
import { ActiveStream } from './active-stream.js';
import { H2Downstream } from './downstream.js';
import { H1Connection, type H1CodecCallbacks, type H1CodecOptions } from './h1-codec.js';
import { UpgradeDownstream } from './upgrade-downstream.js';
import { admitH2Stream, guardH2Session } from './h2-stream-guard.js';
import { LocalReplyRewriter } from './local-reply-config.js';
import type { PathOptions } from './request-path.js';
import { hcmHeaderOptions, type HcmHeaderOptions } from './hcm-headers.js';
import { acceptH1Connect } from './connect-tunnel.js';
import type { TracingRegistry } from '../tracing/registry.js';
import type { HcmTracer } from '../tracing/tracer.js';

/** What a connection manager needs from the rest of the proxy. */
export interface HcmContext {
  stats: StatsScope;
  clusters: ClusterManager;
  pools: PoolManager;
  /** Route table for an inline route_config, or the current RDS table by name (null until known). */
  routeTable(hcm: HttpConnectionManager): () => RouteTable | null;
  accessLogger(hcm: HttpConnectionManager): AccessLogger | null;
  random?: () => number;
  /** Envoy's layered runtime (fault.http.* keys and the like); filters read one snapshot per request. */
  runtime?: RuntimeSource;
  /** The server's /healthcheck/fail state (health_check filter). */
  health?: ServerHealth;
  /** The bootstrap node (add_user_agent). */
  node?: { id: string; cluster: string };
  /** Tracers for HCMs with `tracing` (absent: no spans anywhere). */
  tracing?: TracingRegistry;
}

const kInfo = Symbol('trellis.downstreamInfo');
type TaggedSocket = Duplex & { [kInfo]?: DownstreamConnectionInfo };

/** How long a draining HCM leaves idle HTTP/1 connections open (about an EDS push to the peers). */
const IDLE_CLOSE_DELAY_MS = 1000;

export class ConnectionManager implements HttpConnectionHandler {
  readonly stats: HcmStats;
  readonly filterChain: HttpFilterChain;
  /** Envoy's default per-connection buffer limit (1 MiB): the most a filter may make a stream hold. */
  readonly bufferLimit = 1024 * 1024;
  readonly accessLog: AccessLogger | null;
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly serverName: string;
  readonly serverHeader: HttpConnectionManager['server_header_transformation'];
  readonly websocket: boolean;
  /** http_protocol_options.accept_http_10: otherwise HTTP/1.0 requests get 426, as in Envoy. */
  readonly acceptHttp10: boolean;
  readonly streamIdleTimeout: number;
  readonly pathOptions: PathOptions;
  /** via, add_user_agent, host port stripping, :scheme. */
  readonly headerOptions: HcmHeaderOptions;
  /** local_reply_config, compiled; null when the HCM has none. */
  readonly localReply: LocalReplyRewriter | null;
  readonly clusterStats: StatsCache<object>;
  readonly routeStats: StatsCache<RouteMatchResult>;
  /** The HCM's tracer; null when tracing is off. */
  readonly tracer: HcmTracer | null;
  draining = false;
  private readonly currentRoutes: () => RouteTable | null;
  private readonly h1Options: H1CodecOptions;
  private readonly h1Connections = new Set<H1Connection>();
  private readonly h2: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<Duplex>();

  constructor(
    readonly config: HttpConnectionManager,
    readonly ctx: HcmContext,
    direction: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND' = 'UNSPECIFIED',
  ) {
    this.stats = new HcmStats(ctx.stats, config.stat_prefix);
    this.tracer = ctx.tracing?.forHcm(config, direction, this.stats.scope) ?? null;
    this.accessLog = ctx.accessLogger(config);
    this.currentRoutes = ctx.routeTable(config);
    this.useRemoteAddress = config.use_remote_address;
    this.skipXffAppend = config.skip_xff_append;
    this.generateRequestId = config.generate_request_id;
    this.preserveExternalRequestId = config.preserve_external_request_id;
    this.serverName = config.server_name;
    this.serverHeader = config.server_header_transformation;
    this.acceptHttp10 = config.http_protocol_options.accept_http_10;
    this.websocket = config.upgrade_configs.some((u) => u.upgrade_type.toLowerCase() === 'websocket' && u.enabled);
    this.streamIdleTimeout = config.stream_idle_timeout;
    this.pathOptions = { normalizePath: config.normalize_path, mergeSlashes: config.merge_slashes, escapedSlashes: config.path_with_escaped_slashes_action ?? 'KEEP_UNCHANGED' };
    this.headerOptions = hcmHeaderOptions(config, ctx.node);
    const lrc = config.local_reply_config;
    this.localReply = lrc === undefined ? null : new LocalReplyRewriter(lrc, { runtime: ctx.runtime, random: ctx.random ?? Math.random });
    this.clusterStats = new StatsCache((c: object) => (c as { stats: StatsScope }).stats);
    // Keyed by the (prebuilt, per-route) match result, which names both the virtual host and the route.
    this.routeStats = new StatsCache((m: RouteMatchResult) => {
      const route = m.route.statName || m.route.name;
      return ctx.stats.scope('vhost', ['envoy_virtual_host', m.virtualHost.name], 'route', ['envoy_route', route]);
    });
    this.filterChain = new HttpFilterChain(config.http_filters, {
      stats: this.stats.scope,
      rootStats: ctx.stats,
      clusters: ctx.clusters,
      pools: ctx.pools,
      random: ctx.random ?? Math.random,
    });

    const common = config.common_http_protocol_options;
    this.h1Options = {
      idleTimeoutMs: common.idle_timeout ?? 3_600_000,
      maxHeaderPairs: common.max_headers_count ?? 100,
      maxHeaderBytes: config.max_request_headers_kb * 1024,
      headersTimeoutMs: config.request_headers_timeout,
    };

    const h2o = config.http2_protocol_options;
    this.h2 = http2.createServer({
      // max_headers_count for h2 too (nghttp2 counts the 4 request pseudo-headers as pairs); excess resets the stream.
      maxHeaderListPairs: this.h1Options.maxHeaderPairs + 4,
      settings: {
        maxHeaderListSize: this.h1Options.maxHeaderBytes,
        maxConcurrentStreams: h2o.max_concurrent_streams ?? 2147483647,
        initialWindowSize: h2o.initial_stream_window_size ?? 65535,
      },
    });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      guardH2Session(session, this.h1Options.idleTimeoutMs);
      if (this.draining) session.goaway();
    });
    this.h2.on('stream', this.onH2Stream);
  }

  get routeTable(): RouteTable | null {
    return this.currentRoutes();
  }

  handleConnection(socket: Duplex, info: DownstreamConnectionInfo, protocol: 'h2' | 'http/1.1'): void {
    const tagged = socket as TaggedSocket;
    tagged[kInfo] = info;
    const stats = this.stats;
    stats.cxTotal.inc();
    stats.cxActive.add(1);
    this.sockets.add(socket);
    socket.once('close', () => {
      stats.cxActive.sub(1);
      this.sockets.delete(socket);
    });
    const codec = this.config.codec_type;
    if (codec === 'HTTP2' || (codec === 'AUTO' && protocol === 'h2')) {
      stats.cxHttp2Total.inc();
      this.h2.emit('connection', socket);
    } else {
      stats.cxHttp1Total.inc();
      this.h1Connections.add(new H1Connection(socket, info, this.h1Callbacks, this.h1Options));
    }
  }

  private readonly h1Callbacks: H1CodecCallbacks = {
    onRequest: (stream, info) => new ActiveStream(this, stream, info).start(),
    onUpgrade: (req, socket, head, info) =>
      req.method === 'CONNECT' ? acceptH1Connect(this, req, socket, head, info) : new ActiveStream(this, new UpgradeDownstream(req, socket, head), info).start(),
    onProtocolError: () => this.stats.cxProtocolError.inc(),
    onClose: (conn) => this.h1Connections.delete(conn),
  };

  private readonly onH2Stream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number): void => {
    if (!admitH2Stream(stream, this.streamIdleTimeout)) return;
    const info = (stream.session?.socket as TaggedSocket | undefined)?.[kInfo];
    if (info === undefined) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    new ActiveStream(this, new H2Downstream(stream, headers, flags), info).start();
  };

  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    for (const s of this.sessions) s.goaway();
    const deadline = Date.now() + timeoutMs;
    // Idle keep-alive connections stay open a moment: a peer that has not yet heard this endpoint was withdrawn may be
    // sending on one right now (its request is answered, with Connection: close); closing them at once would reset it.
    const closeIdleAt = Date.now() + Math.min(IDLE_CLOSE_DELAY_MS, timeoutMs / 2);
    while (this.sockets.size > 0 && Date.now() < deadline) {
      if (Date.now() >= closeIdleAt) {
        for (const c of this.h1Connections) c.drainIdle();
        // HTTP/2 clients were told by GOAWAY; a session closes once its open streams are done
        for (const s of this.sessions) if (!s.closed) s.close();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.sockets) s.destroy();
  }
}
