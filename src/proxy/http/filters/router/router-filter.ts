// HTTP filters: envoy.filters.http.router — the terminal filter: route actions, then the request upstream
// with timeouts, retries (one UpstreamRequest per try), mirroring and the response relayed downstream.
import type { RouterConfig } from '../../../config/types.js';
import type { CompiledRouteAction, HeaderMap } from '../../../router/types.js';
import type { UpstreamCluster, UpstreamFailure } from '../../../upstream/types.js';
import type { UpstreamConnectionEnd, UpstreamRequestHead, UpstreamStream } from '../../../upstream/pool/types.js';
import type { UpstreamRqStats } from '../../request-stats.js';
import type { ActiveStream } from '../../active-stream.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, TrailersStatus, WatermarkCallbacks } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import { Flag, LocalBody } from '../../local-reply.js';
import { startMirror } from './mirror.js';
import { matchAllHeaders } from '../../../router/header-matcher.js';
import { leaseHost } from '../../../upstream/host-lease.js';
import { UpstreamRequest, type UpstreamRequestOwner } from './upstream-request.js';
import { forwardRequestHeaders, forwardResponseHeaders, upstreamBodyLength } from '../../hop-by-hop.js';
import { UpgradeDownstream } from '../../upgrade-downstream.js';
import { tunnelUpgrade } from '../../upgrade.js';
import { TcpTunnelPool } from '../../../upstream/pool/tcp-tunnel.js';

const EMPTY = Buffer.alloc(0);

/** What every request of one router filter shares. */
interface RouterShared {
  readonly config: RouterConfig;
  readonly random: () => number;
}

export function routerFilterFactory(config: RouterConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared: RouterShared = { config, random: ctx.random };
  return (cb) => new RouterFilter(shared, cb);
}

class RouterFilter implements HttpFilter, UpstreamRequestOwner, WatermarkCallbacks {
  private readonly stream: ActiveStream;
  private action!: CompiledRouteAction;
  private cluster!: UpstreamCluster;
  private head!: UpstreamRequestHead;
  private clusterStats!: UpstreamRqStats;
  private routeStats: UpstreamRqStats | undefined;
  private hashKey: bigint | undefined;
  private bufferLimit = 0;
  private hasBody = false;
  /** The try in flight, if any (none during a retry backoff). */
  private current: UpstreamRequest | null = null;
  private attempt = 0;
  private retriesLeft = 0;
  private tried: Set<UpstreamRequest['lease']['host']> | undefined;
  /** Body kept for retries; null once it outgrew the buffer limit (then no retry may resend it). */
  private body: Buffer[] | null = [];
  private bodyBytes = 0;
  private bodyDone = false;
  private bodyTrailers: HeaderMap | undefined;
  private globalTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private lastStatus = 0;
  private responding = false;
  /** A gRPC trailers-only response: its head goes downstream with the end of the stream. */
  private trailersOnlyHead: HeaderMap | undefined;
  private started = false;
  private done = false;
  private requestHeld = false;
  private retryHeld = false;
  private readPaused = false;
  private mirrors: UpstreamStream[] | null = null;
  /** A CONNECT terminated here (connect_config): one raw TCP try, no retries, no body replay, no route timeout. */
  private tunnel = false;

  constructor(
    private readonly shared: RouterShared,
    private readonly cb: FilterCallbacks,
  ) {
    this.stream = cb.stream;
  }

  // ---------------------------------------------------------------- decoding
  decodeHeaders(_req: unknown, endStream: boolean): HeadersStatus {
    const s = this.stream;
    const stats = s.cm.stats;
    const route = this.cb.route();
    if (route === null) {
      stats.noRoute.inc();
      this.cb.sendLocalReply(404, '', { flag: Flag.NoRoute, details: 'route_not_found' });
      return 'stop';
    }
    const requireTls = s.match?.virtualHost.requireTls ?? 'NONE';
    if (requireTls !== 'NONE' && s.scheme === 'http') {
      const host = s.authority.replace(/:\d+$/, '');
      this.cb.sendLocalReply(301, '', { headers: { location: `https://${host}${s.path}` } });
      return 'stop';
    }
    const action = route.action;
    if (action.kind === 'direct_response') {
      stats.rqDirectResponse.inc();
      this.cb.sendLocalReply(action.status, action.body ?? '');
      return 'stop';
    }
    if (action.kind === 'redirect') {
      stats.rqRedirect.inc();
      this.cb.sendLocalReply(action.status, '', { headers: { location: action.location(s) } });
      return 'stop';
    }
    const choice = s.chooseCluster();
    const cluster = choice === undefined ? undefined : s.cm.ctx.clusters.get(choice.cluster);
    if (cluster === undefined) {
      stats.noCluster.inc();
      this.cb.sendLocalReply(503, LocalBody.noCluster, { flag: Flag.NoClusterFound });
      return 'stop';
    }
    if (s.ds instanceof UpgradeDownstream) tunnelUpgrade(s, s.ds, action.route, cluster, this.cb);
    else this.begin(action.route, cluster, !endStream);
    return 'stop';
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    if (this.done) return 'stop';
    if (data.length > 0) {
      if (this.body !== null) {
        this.bodyBytes += data.length;
        if (this.bodyBytes > this.bufferLimit) this.body = null; // too big to replay: retries are off
        else this.body.push(data);
      }
      const mirrors = this.mirrors;
      if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i].write(data);
      this.touch();
      const up = this.current?.stream;
      if (up != null && !up.write(data)) this.pauseRead();
    }
    if (endStream) this.onRequestEnd(undefined);
    return 'stop';
  }

  decodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.done) this.onRequestEnd(trailers);
    return 'stop';
  }

  private begin(action: CompiledRouteAction, cluster: UpstreamCluster, hasBody: boolean): void {
    const s = this.stream;
    const cm = s.cm;
    this.started = true;
    this.action = action;
    this.cluster = cluster;
    this.hasBody = hasBody;
    this.bodyDone = !hasBody;
    this.tunnel = s.method === 'CONNECT' && action.connectTerminate === true;
    if (this.tunnel) this.body = null;
    this.clusterStats = cm.clusterStats.get(cluster);
    const match = s.match!;
    this.routeStats = match.route.statName || match.route.name ? cm.routeStats.get(match) : undefined;
    this.retriesLeft = this.tunnel ? 0 : (action.retry?.policy.num_retries ?? 0);
    const policy = cluster.config.lb_policy;
    this.hashKey = policy === 'RING_HASH' || policy === 'MAGLEV' ? action.hash(s, s.clientIp) : undefined;
    this.bufferLimit = cluster.config.per_connection_buffer_limit_bytes;
    this.head = this.buildHead();
    s.upstreamCluster = cluster.name;
    if (!cluster.breakers.tryStartRequest()) {
      this.cb.sendLocalReply(503, LocalBody.overflow, { headers: this.overloadedHeaders(), flag: Flag.UpstreamOverflow });
      return;
    }
    this.requestHeld = true;
    this.clusterStats.rqActive.add(1);
    const timeout = action.timeout;
    if (timeout > 0 && !this.tunnel) this.globalTimer = setTimeout(this.onGlobalTimeout, timeout);
    const idle = action.idleTimeout ?? cm.streamIdleTimeout;
    if (idle > 0) this.idleTimer = setTimeout(this.onIdleTimeout, idle);
    const requestTimeout = cm.config.request_timeout;
    if (requestTimeout > 0 && hasBody && !this.tunnel) this.requestTimer = setTimeout(this.onRequestTimeout, requestTimeout);
    const mirrors = (this.mirrors = this.tunnel ? null : startMirror(action.mirrors, s, this.head, this.shared.random));
    if (mirrors !== null && !hasBody) for (let i = 0; i < mirrors.length; i++) mirrors[i].end();
    this.cb.setWatermarkCallbacks(this);
    this.sendAttempt();
  }

  private buildHead(): UpstreamRequestHead {
    const s = this.stream;
    const headers = forwardRequestHeaders(s.headers);
    const route = s.route!;
    const choice = s.chooseCluster();
    const clusterEdits = choice?.requestHeaders !== undefined && !choice.requestHeaders.empty ? choice.requestHeaders : undefined;
    if (clusterEdits !== undefined || !route.requestHeaders.empty) {
      const ctx = s.formatContext();
      clusterEdits?.apply(headers, ctx);
      if (!route.requestHeaders.empty) route.requestHeaders.apply(headers, ctx);
    }
    const action = this.action;
    const suppress = this.shared.config.suppress_envoy_headers;
    const path = action.rewritePath(s.path);
    if (path !== s.path && !suppress) headers['x-envoy-original-path'] = s.path;
    let authority = action.rewriteHost(s) ?? choice?.hostRewrite ?? s.authority;
    if (action.autoHostRewrite) authority = ''; // filled per attempt from the chosen host
    if (action.timeout > 0 && !suppress) headers['x-envoy-expected-rq-timeout-ms'] = String(action.retry?.policy.per_try_timeout ?? action.timeout);
    // scheme_header_transformation.match_upstream: :scheme says whether the upstream hop is TLS
    const scheme = s.cm.headerOptions.schemeMatchUpstream ? (this.cluster.config.transport_socket !== undefined ? 'https' : 'http') : s.scheme;
    return { method: s.method, path, authority, scheme, headers, hasBody: this.hasBody, contentLength: upstreamBodyLength(s.headers) };
  }

  /** Leases a host and starts one try; on no host the request ends with 503 UH. */
  private sendAttempt(): void {
    const s = this.stream;
    const retry = this.action.retry?.policy;
    const lease = leaseHost(this.cluster, {
      hashKey: this.hashKey,
      attempt: this.attempt,
      excluded: this.tried,
      hostSelectionRetryMaxAttempts: retry?.host_selection_retry_max_attempts,
      authority: s.authority,
    });
    if (lease === null) {
      this.clusterStats.noHealthyUpstream.inc();
      this.finish();
      this.cb.sendLocalReply(503, LocalBody.noHealthyUpstream, { flag: Flag.NoHealthyUpstream });
      return;
    }
    const host = lease.host;
    host.stats.rq_total++;
    s.upstreamHost = host.key;
    if (retry?.retry_previous_hosts) (this.tried ??= new Set()).add(host);
    this.clusterStats.rqTotal.inc();
    this.routeStats?.rqTotal.inc();
    const head = this.action.autoHostRewrite ? { ...this.head, authority: host.hostname || `${host.address}:${host.port}` } : this.head;
    const pools = s.cm.ctx.pools;
    const poolReq = { authority: head.authority, headers: s.headers };
    const pool = this.tunnel ? new TcpTunnelPool(pools.rawPool(this.cluster, host, poolReq)) : pools.pool(this.cluster, host, s.ds.protocol === 'HTTP/2', poolReq);
    const up = new UpstreamRequest(this, lease, pool, retry?.per_try_timeout);
    this.current = up;
    up.send(head);
    const stream = up.stream;
    if (stream === null) return; // the pool failed it synchronously; onUpstreamError handled it
    stream.onDrain(this.onUpstreamDrain);
    const body = this.body;
    if (body !== null) for (let i = 0; i < body.length; i++) stream.write(body[i]);
    if (this.bodyDone) stream.end(this.bodyTrailers);
    else if (this.attempt > 0) this.resumeRead(); // the abandoned try may have paused the downstream
  }

  private onRequestEnd(trailers: HeaderMap | undefined): void {
    if (this.requestTimer !== undefined) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
    this.bodyDone = true;
    this.bodyTrailers = trailers;
    const mirrors = this.mirrors;
    if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i].end(trailers);
    this.current?.stream?.end(trailers);
  }

  private pauseRead(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    this.cb.readDisable(true);
  }

  private resumeRead(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    this.cb.readDisable(false);
  }

  private readonly onUpstreamDrain = (): void => {
    this.resumeRead();
  };

  // ---------------------------------------------------------------- response (upstream → downstream)
  onUpstreamHeaders(up: UpstreamRequest, status: number, headers: HeaderMap, conn?: UpstreamConnectionEnd): void {
    if (up !== this.current) return;
    const s = this.stream;
    const retry = this.action.retry;
    if (retry !== undefined) {
      const gs = headers['grpc-status'];
      const grpcStatus = typeof gs === 'string' ? Number(gs) : undefined;
      if (retry.retriableResponse(status, headers, grpcStatus)) {
        if (this.retriesLeft === 0) this.markRetryLimitExceeded();
        else if (this.canRetry()) {
          this.endAttempt(up, status);
          this.abortCurrent();
          this.scheduleRetry();
          return;
        }
      }
    }
    this.touch();
    const serviceTime = Math.round(performance.now() - up.startHr);
    s.upstreamServiceTime = serviceTime;
    s.responseDetails = 'via_upstream';
    s.upstreamConnection = conn;
    const out = forwardResponseHeaders(headers);
    if (!this.shared.config.suppress_envoy_headers) out['x-envoy-upstream-service-time'] = String(serviceTime);
    s.applyRouteResponseHeaders(out, up.lease.host.key);
    this.responding = true;
    this.lastStatus = status;
    const ct = out['content-type'];
    // Trailers can follow gRPC, any HTTP/2 response, and HTTP/1.1 responses that announce them.
    const wantTrailers = s.isGrpc || up.h2 || out.trailer !== undefined || (typeof ct === 'string' && ct.startsWith('application/grpc'));
    if (out['grpc-status'] !== undefined && wantTrailers) {
      // gRPC Trailers-Only (grpc-status in the headers): it must stay one HEADERS frame with END_STREAM, or
      // clients read the status as initial metadata; it goes downstream when the upstream stream ends.
      this.trailersOnlyHead = out;
      return;
    }
    const headOnly = s.method === 'HEAD' || status === 204 || status === 304;
    this.cb.encodeHeaders({ status, headers: out, wantTrailers: wantTrailers && !headOnly }, false);
  }

  onUpstreamData(up: UpstreamRequest, chunk: Buffer): void {
    if (up !== this.current) return;
    this.touch();
    this.flushTrailersOnlyHead(false);
    this.cb.encodeData(chunk, false);
  }

  onUpstreamEnd(up: UpstreamRequest, trailers: HeaderMap | undefined): void {
    if (up !== this.current) return;
    this.current = null;
    this.endAttempt(up, this.lastStatus);
    if (this.attempt > 0) this.clusterStats.rqRetrySuccess.inc();
    this.finish();
    if (this.flushTrailersOnlyHead(trailers === undefined)) {
      if (trailers !== undefined) this.cb.encodeTrailers(trailers);
      return;
    }
    if (trailers !== undefined) this.cb.encodeTrailers(trailers);
    else this.cb.encodeData(EMPTY, true);
  }

  /** Sends a held trailers-only head; true if there was one. */
  private flushTrailersOnlyHead(endStream: boolean): boolean {
    const head = this.trailersOnlyHead;
    if (head === undefined) return false;
    this.trailersOnlyHead = undefined;
    this.cb.encodeHeaders({ status: this.lastStatus, headers: head, wantTrailers: !endStream }, endStream);
    return true;
  }

  onUpstreamError(up: UpstreamRequest, kind: UpstreamFailure, detail: string): void {
    if (up !== this.current || this.done) return;
    this.current = null;
    this.failAttempt(up, kind, detail);
  }

  onPerTryTimeout(up: UpstreamRequest): void {
    if (up !== this.current || this.done || this.responding) return;
    this.clusterStats.rqPerTryTimeout.inc();
    this.abortCurrent();
    this.failAttempt(up, 'timeout', 'per-try timeout');
  }

  // WatermarkCallbacks: the downstream cannot take more of the response, then can again.
  onAboveWriteBufferHighWatermark(): void {
    this.current?.stream?.pauseResponse();
  }

  onBelowWriteBufferLowWatermark(): void {
    this.current?.stream?.resumeResponse();
  }

  private failAttempt(up: UpstreamRequest, kind: UpstreamFailure, detail: string): void {
    const s = this.stream;
    up.lease.release({ localFailure: kind });
    if (kind === 'reset' || kind === 'refused-stream') this.clusterStats.rqRxReset.inc();
    if (this.responding) {
      // Headers already went downstream: all we can do is reset the client's stream.
      s.addFlag(Flag.UpstreamRemoteReset);
      this.finish();
      this.cb.resetStream();
      return;
    }
    const retry = this.action.retry;
    const retriable = retry !== undefined && kind !== 'overflow' && retry.retriableFailure(kind);
    if (retriable && this.retriesLeft > 0 && this.canRetry()) {
      this.scheduleRetry();
      return;
    }
    if (retriable && this.retriesLeft === 0) this.markRetryLimitExceeded();
    this.finish();
    switch (kind) {
      case 'connect-failure':
        this.cb.sendLocalReply(503, LocalBody.connectFailure, { flag: Flag.UpstreamConnectionFailure });
        break;
      case 'overflow':
        this.cb.sendLocalReply(503, LocalBody.overflow, { headers: this.overloadedHeaders(), flag: Flag.UpstreamOverflow });
        break;
      case 'timeout':
        this.cb.sendLocalReply(504, LocalBody.timeout, { flag: Flag.UpstreamRequestTimeout });
        break;
      default:
        this.cb.sendLocalReply(503, `${LocalBody.reset} (${detail})`, { flag: Flag.UpstreamConnectionTermination });
    }
  }

  /** Counts a completed try and feeds outlier detection. */
  private endAttempt(up: UpstreamRequest, status: number): void {
    const elapsed = performance.now() - up.startHr;
    this.clusterStats.response(status, elapsed);
    this.routeStats?.response(status, elapsed);
    up.lease.release({ status }); // also counts the host's rq_success / rq_error
  }

  private canRetry(): boolean {
    if (this.hasBody && this.body === null) return false; // body streamed past the buffer limit
    const only = this.action.retry?.retriableRequestHeaders;
    if (only !== undefined && only.length > 0 && !matchAllHeaders(only, this.stream)) return false; // Envoy: ANDed
    if (this.retryHeld) {
      this.cluster.breakers.endRetry();
      this.retryHeld = false;
    }
    if (!this.cluster.breakers.tryStartRetry()) {
      // The breaker itself counts upstream_rq_retry_overflow; Envoy flags the request UO.
      this.stream.addFlag(Flag.UpstreamOverflow);
      return false;
    }
    this.retryHeld = true;
    return true;
  }

  /** Envoy marks replies for requests dropped by circuit breaking with x-envoy-overloaded: true. */
  private overloadedHeaders(): HeaderMap | undefined {
    return this.shared.config.suppress_envoy_headers ? undefined : { 'x-envoy-overloaded': 'true' };
  }

  /** Envoy: a retriable outcome with no retries left counts upstream_rq_retry_limit_exceeded and sets URX. */
  private markRetryLimitExceeded(): void {
    if (this.hasBody && this.body === null) return; // the body size had already ruled retries out
    this.stream.addFlag(Flag.UpstreamRetryLimitExceeded);
    this.clusterStats.rqRetryLimitExceeded.inc();
  }

  private scheduleRetry(): void {
    this.retriesLeft--;
    this.attempt++;
    this.clusterStats.rqRetry.inc();
    const delay = this.action.retry!.backoff(this.attempt);
    this.retryTimer = setTimeout(this.onRetryTimer, delay);
  }

  private readonly onRetryTimer = (): void => {
    this.retryTimer = undefined;
    if (!this.done) this.sendAttempt();
  };

  // ---------------------------------------------------------------- timers
  private touch(): void {
    this.idleTimer?.refresh();
  }

  /** The route timeout ends the request whatever try or backoff is in progress. */
  private readonly onGlobalTimeout = (): void => {
    this.globalTimer = undefined;
    if (this.done) return;
    this.clusterStats.rqTimeout.inc();
    this.abortCurrent('timeout');
    this.endWith(Flag.UpstreamRequestTimeout, 504, LocalBody.timeout);
  };

  /** HCM request_timeout: the whole request (headers and body) must arrive in time, else 408. */
  private readonly onRequestTimeout = (): void => {
    this.requestTimer = undefined;
    if (this.done) return;
    this.stream.cm.stats.rqTimeout.inc();
    this.abortCurrent();
    this.endWith(undefined, 408, LocalBody.requestTimeout);
  };

  private readonly onIdleTimeout = (): void => {
    this.idleTimer = undefined;
    if (this.done) return;
    this.stream.cm.stats.rqIdleTimeout.inc();
    this.abortCurrent();
    this.endWith(Flag.StreamIdleTimeout, 504, LocalBody.streamIdle);
  };

  /** Ends the request on a timer: a local reply, or a reset once the response has started. */
  private endWith(flag: (typeof Flag)[keyof typeof Flag] | undefined, status: number, body: string): void {
    if (flag !== undefined) this.stream.addFlag(flag);
    this.finish();
    if (this.responding && this.trailersOnlyHead === undefined) this.cb.resetStream();
    else this.cb.sendLocalReply(status, body);
  }

  /** Abandons the try in flight; `failure` (a timeout) feeds outlier detection. */
  private abortCurrent(failure?: UpstreamFailure): void {
    const up = this.current;
    this.current = null;
    if (up === null) return;
    if (up.abort()) this.clusterStats.rqTxReset.inc();
    up.lease.release(failure === undefined ? undefined : { localFailure: failure });
  }

  /** The stream ended under the router (downstream reset, or a reply from elsewhere): drop the upstream. */
  onDestroy(): void {
    if (!this.started || this.done) return;
    this.abortCurrent();
    this.finish();
  }

  /** Releases everything the router holds for the request; idempotent. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.globalTimer !== undefined) clearTimeout(this.globalTimer);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
    if (this.requestHeld) {
      this.requestHeld = false;
      this.cluster.breakers.endRequest();
      this.clusterStats.rqActive.sub(1);
    }
    if (this.retryHeld) {
      this.retryHeld = false;
      this.cluster.breakers.endRetry();
    }
    this.body = null;
  }
}
