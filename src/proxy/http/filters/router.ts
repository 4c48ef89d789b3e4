// HTTP filters: envoy.filters.http.router — forwards to the upstream cluster with timeouts, retries and mirroring.
import type { RouterConfig } from '../../config/types.js';
import type { CompiledRouteAction, HeaderMap } from '../../router/types.js';
import type { Host, UpstreamCluster, UpstreamFailure } from '../../upstream/types.js';
import type { ActiveStream } from '../active-stream.js';
import type { FilterStatus, HttpFilter } from '../filter.js';
import type { UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../upstream/pool/types.js';
import type { UpstreamRqStats } from '../request-stats.js';
import { Flag, LocalBody } from '../local-reply.js';
import { startMirror } from './mirror.js';
import { matchAllHeaders } from '../../router/header-matcher.js';
import { forwardRequestHeaders, forwardResponseHeaders } from '../hop-by-hop.js';

export class RouterFilter implements HttpFilter {
  constructor(
    readonly name: string,
    readonly config: RouterConfig,
    readonly random: () => number = Math.random,
  ) {}

  decodeHeaders(stream: ActiveStream): FilterStatus {
    const route = stream.route;
    if (route === null) return 'stop';
    const action = route.action;
    if (action.kind === 'direct_response') {
      stream.cm.stats.rqDirectResponse.inc();
      stream.sendLocalReply(action.status, action.body ?? '');
      return 'stop';
    }
    if (action.kind === 'redirect') {
      stream.cm.stats.rqRedirect.inc();
      stream.sendLocalReply(action.status, '', { location: action.location(stream) });
      return 'stop';
    }
    const choice = stream.chooseCluster();
    const cluster = choice === undefined ? undefined : stream.cm.ctx.clusters.get(choice.cluster);
    if (cluster === undefined) {
      stream.cm.stats.noCluster.inc();
      stream.addFlag(Flag.NoClusterFound);
      stream.sendLocalReply(503, LocalBody.noCluster);
      return 'stop';
    }
    new Forwarder(this, stream, action.route, cluster).start();
    return 'stop';
  }
}

/** One request's journey upstream: attempts, body buffering for retries, timers, response relay. */
class Forwarder implements UpstreamResponseHandler {
  private readonly head: UpstreamRequestHead;
  private readonly clusterStats: UpstreamRqStats;
  private readonly routeStats: UpstreamRqStats | undefined;
  private readonly hashKey: bigint | undefined;
  private readonly bufferLimit: number;
  private upstream: UpstreamStream | null = null;
  private host: Host | null = null;
  private attempt = 0;
  /** The current attempt goes over HTTP/2, where any response may end with trailers. */
  private upstreamH2 = false;
  private retriesLeft: number;
  private tried: Set<Host> | undefined;
  /** Body kept for retries; null once it outgrew the buffer limit (then no retry may resend it). */
  private body: Buffer[] | null = [];
  private bodyBytes = 0;
  private bodyDone = false;
  private bodyTrailers: HeaderMap | undefined;
  private globalTimer: NodeJS.Timeout | undefined;
  private tryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private tryStart = 0;
  private lastStatus = 0;
  /** True while an attempt is outstanding; cleared by its terminal callback (even a synchronous one). */
  private inflight = false;
  private responding = false;
  private done = false;
  private requestHeld = false;
  private retryHeld = false;
  private mirrors: UpstreamStream[] | null = null;

  constructor(
    private readonly filter: RouterFilter,
    private readonly stream: ActiveStream,
    private readonly action: CompiledRouteAction,
    private readonly cluster: UpstreamCluster,
  ) {
    const cm = stream.cm;
    this.clusterStats = cm.clusterStats.get(cluster);
    const match = stream.match!;
    this.routeStats = match.route.statName || match.route.name ? cm.routeStats.get(match) : undefined;
    this.retriesLeft = action.retry?.policy.num_retries ?? 0;
    const policy = cluster.config.lb_policy;
    this.hashKey = policy === 'RING_HASH' || policy === 'MAGLEV' ? action.hash(stream, stream.clientIp) : undefined;
    this.bufferLimit = cluster.config.per_connection_buffer_limit_bytes;
    this.head = this.buildHead();
    stream.upstreamCluster = cluster.name;
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
    const path = action.rewritePath(s.path);
    if (path !== s.path && !this.filter.config.suppress_envoy_headers) headers['x-envoy-original-path'] = s.path;
    let authority = action.rewriteHost(s) ?? choice?.hostRewrite ?? s.authority;
    if (action.autoHostRewrite) authority = ''; // filled per attempt from the chosen host
    if (action.timeout > 0 && !this.filter.config.suppress_envoy_headers) headers['x-envoy-expected-rq-timeout-ms'] = String(action.retry?.policy.per_try_timeout ?? action.timeout);
    return {
      method: s.method,
      path,
      authority,
      scheme: s.scheme,
      headers,
      hasBody: s.ds.hasBody,
      contentLength: s.ds.contentLength,
    };
  }

  start(): void {
    const s = this.stream;
    s.onReset = this.onDownstreamReset;
    if (!this.cluster.breakers.tryStartRequest()) {
      s.addFlag(Flag.UpstreamOverflow);
      s.sendLocalReply(503, LocalBody.overflow, this.overloadedHeaders());
      return;
    }
    this.requestHeld = true;
    this.clusterStats.rqActive.add(1);
    const timeout = this.action.timeout;
    if (timeout > 0) this.globalTimer = setTimeout(this.onGlobalTimeout, timeout);
    const idle = this.action.idleTimeout ?? s.cm.streamIdleTimeout;
    if (idle > 0) this.idleTimer = setTimeout(this.onIdleTimeout, idle);
    const requestTimeout = s.cm.config.request_timeout;
    if (requestTimeout > 0 && s.ds.hasBody) this.requestTimer = setTimeout(this.onRequestTimeout, requestTimeout);
    this.mirrors = startMirror(this.action.mirrors, s, this.head, this.filter.random);
    if (!this.sendAttempt()) return;
    s.ds.readBody(this.onRequestData, this.onRequestEnd);
  }

  /** Picks a host and starts one upstream attempt; false if the stream already ended (no host). */
  private sendAttempt(): boolean {
    const s = this.stream;
    const host = this.cluster.chooseHost({
      hashKey: this.hashKey,
      attempt: this.attempt,
      excluded: this.tried,
      hostSelectionRetryMaxAttempts: this.action.retry?.policy.host_selection_retry_max_attempts,
    });
    if (host === null) {
      this.clusterStats.noHealthyUpstream.inc();
      s.addFlag(Flag.NoHealthyUpstream);
      this.finish();
      s.sendLocalReply(503, LocalBody.noHealthyUpstream);
      return false;
    }
    this.host = host;
    host.activeRequests++;
    host.stats.rq_total++;
    s.upstreamHost = host.key;
    if (this.action.retry?.policy.retry_previous_hosts) (this.tried ??= new Set()).add(host);
    this.clusterStats.rqTotal.inc();
    this.routeStats?.rqTotal.inc();
    const head = this.action.autoHostRewrite ? { ...this.head, authority: host.hostname || `${host.address}:${host.port}` } : this.head;
    const pool = s.cm.ctx.pools.pool(this.cluster, host, s.ds.protocol === 'HTTP/2');
    this.tryStart = performance.now();
    const perTry = this.action.retry?.policy.per_try_timeout;
    if (perTry !== undefined && perTry > 0) this.tryTimer = setTimeout(this.onPerTryTimeout, perTry);
    this.inflight = true;
    this.upstreamH2 = pool.protocol === 'h2';
    const up = pool.request(head, this);
    if (!this.inflight) return !this.done; // the pool failed it synchronously; onError handled it
    this.upstream = up;
    up.onDrain(this.onUpstreamDrain);
    const body = this.body;
    if (body !== null) for (let i = 0; i < body.length; i++) up.write(body[i]);
    if (this.bodyDone) up.end(this.bodyTrailers);
    else if (this.attempt > 0) s.ds.resumeBody(); // the abandoned attempt may have paused it
    return true;
  }

  // ---- request body (downstream → upstream)
  private readonly onRequestData = (chunk: Buffer): void => {
    const s = this.stream;
    s.bytesReceived += chunk.length;
    if (this.body !== null) {
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > this.bufferLimit) this.body = null; // too big to replay: retries are off
      else this.body.push(chunk);
    }
    const mirrors = this.mirrors;
    if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i].write(chunk);
    this.touch();
    const up = this.upstream;
    if (up !== null && !up.write(chunk)) s.ds.pauseBody();
  };

  private readonly onRequestEnd = (trailers: HeaderMap | undefined): void => {
    if (this.requestTimer !== undefined) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
    this.bodyDone = true;
    this.bodyTrailers = trailers;
    const mirrors = this.mirrors;
    if (mirrors !== null) for (let i = 0; i < mirrors.length; i++) mirrors[i].end(trailers);
    this.upstream?.end(trailers);
  };

  private readonly onUpstreamDrain = (): void => {
    this.stream.ds.resumeBody();
  };

  // ---- response (upstream → downstream)
  onHeaders(status: number, headers: HeaderMap): void {
    if (this.tryTimer !== undefined) {
      clearTimeout(this.tryTimer);
      this.tryTimer = undefined;
    }
    const s = this.stream;
    const retry = this.action.retry;
    if (retry !== undefined) {
      const gs = headers['grpc-status'];
      const grpcStatus = typeof gs === 'string' ? Number(gs) : undefined;
      if (retry.retriableResponse(status, headers, grpcStatus)) {
        if (this.retriesLeft === 0) this.markRetryLimitExceeded();
        else if (this.canRetry()) {
          this.endAttempt(status);
          this.inflight = false;
          this.abortUpstream();
          this.scheduleRetry();
          return;
        }
      }
    }
    this.touch();
    const serviceTime = Math.round(performance.now() - this.tryStart);
    s.upstreamServiceTime = serviceTime;
    const out = forwardResponseHeaders(headers);
    if (!this.filter.config.suppress_envoy_headers) out['x-envoy-upstream-service-time'] = String(serviceTime);
    s.finalizeResponseHeaders(out, this.host?.key);
    s.responseCode = status;
    s.responseHeaders = out;
    this.responding = true;
    this.lastStatus = status;
    const ct = out['content-type'];
    // Trailers can follow gRPC, any HTTP/2 response, and HTTP/1.1 responses that announce them.
    const wantTrailers = s.isGrpc || this.upstreamH2 || out.trailer !== undefined || (typeof ct === 'string' && ct.startsWith('application/grpc'));
    const headOnly = s.method === 'HEAD' || status === 204 || status === 304;
    if (out['grpc-status'] !== undefined && wantTrailers) {
      // gRPC Trailers-Only response (grpc-status in the headers): it must stay one HEADERS frame with
      // END_STREAM, or clients read the status as initial metadata and report INTERNAL.
      s.ds.respondHeaders(status, out, true, false);
      return;
    }
    s.ds.respondHeaders(status, out, false, wantTrailers && !headOnly);
    s.ds.onResponseDrain(this.onDownstreamDrain);
  }

  onData(chunk: Buffer): void {
    const s = this.stream;
    s.bytesSent += chunk.length;
    this.touch();
    if (!s.ds.respondData(chunk)) this.upstream?.pauseResponse();
  }

  private readonly onDownstreamDrain = (): void => {
    this.upstream?.resumeResponse();
  };

  onEnd(trailers: HeaderMap | undefined): void {
    const s = this.stream;
    this.inflight = false;
    this.endAttempt(this.lastStatus);
    if (this.attempt > 0) this.clusterStats.rqRetrySuccess.inc();
    this.upstream = null;
    s.responseTrailers = trailers;
    this.finish();
    s.ds.respondEnd(trailers);
    s.complete();
  }

  onError(kind: UpstreamFailure, detail: string): void {
    this.inflight = false;
    if (this.done) return;
    if (this.tryTimer !== undefined) {
      clearTimeout(this.tryTimer);
      this.tryTimer = undefined;
    }
    this.upstream = null;
    this.failAttempt(kind, detail);
  }

  private failAttempt(kind: UpstreamFailure, detail: string): void {
    const s = this.stream;
    this.releaseHost(kind);
    if (kind === 'reset' || kind === 'refused-stream') this.clusterStats.rqRxReset.inc();
    if (this.responding) {
      // Headers already went downstream: all we can do is reset the client's stream.
      s.addFlag(Flag.UpstreamRemoteReset);
      this.finish();
      s.resetStream();
      return;
    }
    const retry = this.action.retry;
    if (retry !== undefined && this.retriesLeft > 0 && kind !== 'overflow' && retry.retriableFailure(kind) && this.canRetry()) {
      this.scheduleRetry();
      return;
    }
    if (retry !== undefined && this.retriesLeft === 0 && kind !== 'overflow' && retry.retriableFailure(kind)) this.markRetryLimitExceeded();
    this.finish();
    switch (kind) {
      case 'connect-failure':
        s.addFlag(Flag.UpstreamConnectionFailure);
        s.sendLocalReply(503, LocalBody.connectFailure);
        break;
      case 'overflow':
        s.addFlag(Flag.UpstreamOverflow);
        s.sendLocalReply(503, LocalBody.overflow, this.overloadedHeaders());
        break;
      case 'timeout':
        s.addFlag(Flag.UpstreamRequestTimeout);
        s.sendLocalReply(504, LocalBody.timeout);
        break;
      default:
        s.addFlag(Flag.UpstreamConnectionTermination);
        s.sendLocalReply(503, `${LocalBody.reset} (${detail})`);
    }
  }

  /** Counts a completed attempt and feeds outlier detection. */
  private endAttempt(status: number): void {
    const host = this.host;
    const elapsed = performance.now() - this.tryStart;
    this.clusterStats.response(status, elapsed);
    this.routeStats?.response(status, elapsed);
    if (host !== null) {
      host.activeRequests--;
      this.cluster.reportResult(host, { status }); // also counts the host's rq_success / rq_error
      this.host = null;
    }
  }

  private canRetry(): boolean {
    if (this.stream.ds.hasBody && this.body === null) return false; // body streamed past the buffer limit
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
    return this.filter.config.suppress_envoy_headers ? undefined : { 'x-envoy-overloaded': 'true' };
  }

  /** Envoy: a retriable outcome with no retries left counts upstream_rq_retry_limit_exceeded and sets URX. */
  private markRetryLimitExceeded(): void {
    if (this.stream.ds.hasBody && this.body === null) return; // the body size had already ruled retries out
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
    if (this.done) return;
    this.sendAttempt();
  };

  // ---- timers
  private touch(): void {
    this.idleTimer?.refresh();
  }

  /** The route timeout ends the request whatever attempt or backoff is in progress. */
  private readonly onGlobalTimeout = (): void => {
    this.globalTimer = undefined;
    if (this.done) return;
    this.clusterStats.rqTimeout.inc();
    this.abortUpstream();
    this.releaseHost('timeout');
    const s = this.stream;
    s.addFlag(Flag.UpstreamRequestTimeout);
    this.finish();
    if (this.responding) s.resetStream();
    else s.sendLocalReply(504, LocalBody.timeout);
  };

  private readonly onPerTryTimeout = (): void => {
    this.tryTimer = undefined;
    if (this.done || this.responding) return;
    this.clusterStats.rqPerTryTimeout.inc();
    this.abortUpstream();
    this.failAttempt('timeout', 'per-try timeout');
  };

  /** HCM request_timeout: the whole request (headers and body) must arrive in time, else 408. */
  private readonly onRequestTimeout = (): void => {
    this.requestTimer = undefined;
    if (this.done) return;
    const s = this.stream;
    s.cm.stats.rqTimeout.inc();
    this.abortUpstream();
    this.releaseHost(undefined);
    this.finish();
    if (this.responding) s.resetStream();
    else s.sendLocalReply(408, LocalBody.requestTimeout);
  };

  private readonly onIdleTimeout = (): void => {
    this.idleTimer = undefined;
    if (this.done) return;
    const s = this.stream;
    s.cm.stats.rqIdleTimeout.inc();
    s.addFlag(Flag.StreamIdleTimeout);
    this.abortUpstream();
    this.releaseHost(undefined);
    this.finish();
    if (this.responding) s.resetStream();
    else s.sendLocalReply(504, LocalBody.streamIdle);
  };

  private abortUpstream(): void {
    const up = this.upstream;
    this.upstream = null;
    this.inflight = false;
    if (up !== null) {
      this.clusterStats.rqTxReset.inc();
      up.abort();
    }
  }

  /** The current attempt's host is done with this request; a failure kind feeds outlier detection. */
  private releaseHost(failure: UpstreamFailure | undefined): void {
    const host = this.host;
    if (host === null) return;
    this.host = null;
    host.activeRequests--;
    if (failure === undefined) return;
    if (failure !== 'overflow') this.cluster.reportResult(host, { localFailure: failure });
  }

  private readonly onDownstreamReset = (): void => {
    if (this.done) return;
    this.abortUpstream();
    this.releaseHost(undefined);
    this.finish();
  };

  /** Releases everything the forwarder holds; idempotent. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.globalTimer !== undefined) clearTimeout(this.globalTimer);
    if (this.tryTimer !== undefined) clearTimeout(this.tryTimer);
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
    this.stream.onReset = undefined;
  }
}
