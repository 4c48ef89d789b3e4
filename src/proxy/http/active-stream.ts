// HTTP: one request through the connection manager — sanitize, route, run filters, reply, log, count.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { percentEncodeGrpcMessage } from './filters/grpc_common/headers.js';
import type { ClusterChoice, CompiledRoute, HeaderFormatContext, HeaderMap, RouteMatchResult, RouteRequest } from '../router/types.js';
import type { LocalReplyOptions, RequestHead, ResponseHead } from './filter/api.js';
import { FilterManager } from './filter/manager.js';
import type { AccessLogEntry } from '../telemetry/access-log.js';
import { tapRequest, tapSessions } from '../tap/tap-hook.js';
import type { DownstreamConnectionInfo } from './types.js';
import type { UpstreamConnectionEnd } from '../upstream/pool/types.js';
import type { DownstreamStream } from './downstream.js';
import type { ConnectionManager } from './connection-manager.js';
import { grpcStatusForHttp, type ResponseFlag } from './local-reply.js';
import { replyToTarget, sanitizePath, type PathVerdict } from './request-path.js';
import { appendVia, applyHeaderOptions } from './hcm-headers.js';
import { isConnectTarget, rejectDisallowedConnect } from './connect-policy.js';
import type { ActiveSpan } from '../tracing/tracer.js';
import type { PeerInfo } from '../telemetry/peer-info.js';

export { normalizePath } from './request-path.js';

const GRPC_CT = 'application/grpc';
const EMPTY = Buffer.alloc(0);

export class ActiveStream extends FilterManager implements RouteRequest {
  readonly startTime = Date.now();
  readonly startHr = performance.now();
  // RouteRequest
  authority: string;
  path: string;
  method: string;
  readonly headers: HeaderMap;
  scheme: 'http' | 'https';

  match: RouteMatchResult | null = null;
  route: CompiledRoute | null = null;
  private choice: ClusterChoice | undefined | null = null; // null = not chosen yet
  flags: ResponseFlag[] | null = null;
  responseCode = 0;
  bytesReceived = 0;
  bytesSent = 0;
  upstreamHost = '';
  /** The upstream connection that answered (for %UPSTREAM_LOCAL_ADDRESS%). */
  upstreamConnection: UpstreamConnectionEnd | undefined = undefined;
  upstreamCluster = '';
  upstreamServiceTime: number | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  /** Envoy's response code details of a local reply, for logs. */
  responseDetails = '';
  /** The body of the local reply, if the proxy made one (%LOCAL_REPLY_BODY%). */
  localReplyBody: string | undefined;
  finished = false;
  readonly isGrpc: boolean;
  /** The path as the client sent it (origin-form: an absolute-form target's path part), for logs and tap. */
  originalPath: string;
  requestId = '';
  /** The request's span when the HCM traces (sampled or not: the context is propagated either way). */
  span: ActiveSpan | null = null;
  /** Who the other end is, when istio.stats learned it from the peer metadata exchange (tap reads it). */
  peer: PeerInfo | undefined = undefined;
  /** The trusted client address (from the socket, or x-forwarded-for per xff_num_trusted_hops). */
  clientIp: string;
  clientPort: number;
  private drainRegistered = false;

  constructor(
    readonly cm: ConnectionManager,
    readonly ds: DownstreamStream,
    readonly conn: DownstreamConnectionInfo,
  ) {
    super();
    this.method = ds.method;
    this.headers = ds.headers;
    this.authority = ds.authority;
    this.path = ds.rawPath;
    this.originalPath = ds.rawPath;
    this.scheme = conn.tls !== undefined ? 'https' : 'http';
    this.clientIp = conn.remoteAddress;
    this.clientPort = conn.remotePort;
    const ct = ds.headers['content-type'];
    this.isGrpc = typeof ct === 'string' && ct.startsWith(GRPC_CT);
  }

  get request(): RequestHead {
    return this;
  }

  get bufferLimit(): number {
    return this.cm.bufferLimit;
  }

  /** Entry point: validates and sanitizes the request, matches a route, runs the filter chain. */
  start(): void {
    const cm = this.cm;
    const stats = cm.stats;
    stats.rqTotal.inc();
    stats.rqActive.add(1);
    if (this.ds.protocol === 'HTTP/2') stats.rqHttp2Total.inc();
    else stats.rqHttp1Total.inc();
    this.ds.onAbort(this.onDownstreamAbort);

    if (this.ds.protocol === 'HTTP/1.0' && !cm.acceptHttp10) {
      this.sendLocalReply(426, '');
      return;
    }
    const target = this.normalizeTarget();
    if (target !== 'continue') {
      replyToTarget(this, target);
      return;
    }
    this.sanitizeHeaders();
    applyHeaderOptions(this, cm.headerOptions);
    this.rematchRoute();
    if (this.method === 'CONNECT' && rejectDisallowedConnect(this)) return;
    if (cm.tracer !== null) this.span = cm.tracer.start(this);
    this.slots = cm.filterChain.create(this, this.route);
    const hasBody = this.ds.hasBody;
    this.decodeHeadersFrom(0, !hasBody);
    if (hasBody && !this.decodingStopped) this.ds.readBody(this.onBodyData, this.onBodyEnd);
  }

  rematchRoute(): void {
    const table = this.cm.routeTable;
    this.match = table === null ? null : table.match(this);
    this.route = this.match === null ? null : this.match.route;
    this.choice = null;
  }

  private readonly onBodyData = (chunk: Buffer): void => {
    this.bytesReceived += chunk.length;
    this.decodeDataFrom(0, chunk, false);
  };

  private readonly onBodyEnd = (trailers: HeaderMap | undefined): void => {
    if (trailers !== undefined) this.decodeTrailersFrom(0, trailers);
    else this.decodeDataFrom(0, EMPTY, true);
  };

  protected pauseBody(): void {
    this.ds.pauseBody();
  }

  protected resumeBody(): void {
    this.ds.resumeBody();
  }

  /** The route's cluster choice, drawn once per request (weighted splits draw at random). */
  chooseCluster(): ClusterChoice | undefined {
    if (this.choice === null) {
      const action = this.route?.action;
      this.choice = action !== undefined && action.kind === 'route' ? action.route.chooseCluster(this) : undefined;
    }
    return this.choice;
  }

  addFlag(flag: ResponseFlag): void {
    (this.flags ??= []).push(flag);
  }

  formatContext(upstreamHost?: string): HeaderFormatContext {
    const c = this.conn;
    return {
      downstreamRemoteAddress: `${this.clientIp}:${this.clientPort}`,
      downstreamLocalAddress: `${c.localAddress}:${c.localPort}`,
      upstreamHost,
      requestHeaders: this.headers,
      protocol: this.ds.protocol,
    };
  }

  /** A local reply from the connection manager itself (before or around the filters). */
  sendLocalReply(status: number, body: string, extraHeaders?: HeaderMap): void {
    this.localReplyFrom(this.slots.length - 1, status, body, extraHeaders === undefined ? undefined : { headers: extraHeaders });
  }

  /**
   * Envoy-style local reply, passed through the encoder filters from `from` down; gRPC requests get a
   * trailers-only gRPC response instead. Once the response has started, all that is left is a reset.
   */
  localReplyFrom(from: number, status: number, body: string, opts?: LocalReplyOptions): void {
    if (this.finished || this.encodingStopped) return;
    if (this.ds.responseStarted) {
      this.resetStream();
      return;
    }
    this.decodingStopped = true;
    if (opts?.flag !== undefined) this.addFlag(opts.flag);
    if (opts?.details !== undefined) this.responseDetails = opts.details;
    const headers: HeaderMap = opts?.headers ?? {};
    let localBody = body;
    if (this.cm.localReply !== null) ({ status, body, localBody } = this.cm.localReply.apply(this, status, body, headers));
    this.localReplyBody = localBody;
    if (this.isGrpc || opts?.grpcStatus !== undefined) {
      // Envoy keeps the reply's headers and makes it a trailers-only gRPC response
      delete headers['content-length'];
      headers['content-type'] = GRPC_CT;
      headers['grpc-status'] = String(opts?.grpcStatus ?? grpcStatusForHttp(status));
      // the gRPC spec's percent-encoding (only '%' and bytes outside ' '..'~'): "RBAC: access denied" stays readable
      headers['grpc-message'] = percentEncodeGrpcMessage(body || String(status));
      this.applyRouteResponseHeaders(headers);
      this.encodeHeadersFrom(from, { status: 200, headers }, true);
      return;
    }
    if (body.length > 0) {
      headers['content-type'] ??= 'text/plain';
      headers['content-length'] = String(Buffer.byteLength(body));
    } else if (headers['content-length'] === undefined) {
      headers['content-length'] = '0';
    }
    this.applyRouteResponseHeaders(headers);
    const empty = body.length === 0 || this.method === 'HEAD';
    this.encodeHeadersFrom(from, { status, headers }, empty);
    if (!empty) this.encodeDataFrom(from, Buffer.from(body), true);
  }

  /** Route (and weighted-cluster) response header mutations. */
  applyRouteResponseHeaders(headers: HeaderMap, upstreamHost?: string): void {
    const route = this.route;
    if (route === null) return;
    const clusterEdits = this.choice?.responseHeaders;
    const withCluster = clusterEdits !== undefined && !clusterEdits.empty;
    if (withCluster || !route.responseHeaders.empty) {
      const ctx = this.formatContext(upstreamHost); // one context for both mutation lists
      if (withCluster) clusterEdits.apply(headers, ctx);
      if (!route.responseHeaders.empty) route.responseHeaders.apply(headers, ctx);
    }
  }

  // ---- the downstream end of the encoder chain
  protected writeHeaders(response: ResponseHead, endStream: boolean): void {
    const headers = response.headers;
    const cm = this.cm;
    if (cm.serverHeader === 'OVERWRITE' || (cm.serverHeader === 'APPEND_IF_ABSENT' && headers.server === undefined)) {
      headers.server = cm.serverName;
    }
    if (cm.draining && this.ds.protocol !== 'HTTP/2') headers.connection = 'close';
    if (cm.headerOptions.via !== '') appendVia(headers, cm.headerOptions.via);
    this.responseCode = response.status;
    this.responseHeaders = headers;
    this.ds.respondHeaders(response.status, headers, endStream, response.wantTrailers === true && !endStream);
    if (endStream) this.complete();
  }

  protected writeData(data: Buffer, endStream: boolean): void {
    if (data.length > 0) {
      this.bytesSent += data.length;
      if (!this.ds.respondData(data) && this.watermark !== undefined) {
        if (!this.drainRegistered) {
          this.drainRegistered = true;
          this.ds.onResponseDrain(this.onDownstreamDrain);
        }
        this.watermark.onAboveWriteBufferHighWatermark();
      }
    }
    if (endStream) {
      this.ds.respondEnd(undefined);
      this.complete();
    }
  }

  protected writeTrailers(trailers: HeaderMap): void {
    this.responseTrailers = trailers;
    this.ds.respondEnd(trailers);
    this.complete();
  }

  private readonly onDownstreamDrain = (): void => {
    this.watermark?.onBelowWriteBufferLowWatermark();
  };

  protected encodeOverflow(at: number): void {
    if (this.ds.responseStarted) this.resetStream();
    else {
      this.encodingStopped = false;
      this.localReplyFrom(at - 1, 500, 'Internal Server Error');
    }
  }

  /** The stream is done: stats, access log, filter cleanup. Idempotent. */
  complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.decodingStopped = true;
    this.encodingStopped = true;
    const stats = this.cm.stats;
    stats.rqActive.sub(1);
    stats.rqCompleted.inc();
    const cls = (this.responseCode / 100) | 0;
    if (cls >= 1 && cls <= 5) stats.rqXx[cls].inc();
    const duration = performance.now() - this.startHr;
    stats.rqTime.record(duration);
    this.destroyFilters();
    if (this.span !== null) this.span.tracer.finish(this.span, this);
    const log = this.cm.accessLog;
    if (log !== null) log.log(this.accessLogEntry(duration));
    if (tapSessions.active) tapRequest(this.conn, () => this.accessLogEntry(duration), this.peer);
  }

  /** Abort the downstream (used once a response has started and the upstream failed). */
  resetStream(): void {
    if (this.finished) return;
    this.cm.stats.rqTxReset.inc();
    this.ds.reset();
    this.complete();
  }

  private readonly onDownstreamAbort = (): void => {
    if (this.finished) return;
    this.cm.stats.rqRxReset.inc();
    this.addFlag('DC');
    this.complete();
  };

  accessLogEntry(durationMs: number): AccessLogEntry {
    const c = this.conn;
    return {
      startTime: this.startTime,
      durationMs,
      method: this.method,
      path: this.originalPath,
      authority: this.authority,
      protocol: this.ds.protocol,
      responseCode: this.responseCode,
      responseFlags: this.flags === null ? '-' : this.flags.join(','),
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      upstreamHost: this.upstreamHost || '-',
      upstreamCluster: this.upstreamCluster || '-',
      upstreamServiceTimeMs: this.upstreamServiceTime,
      downstreamRemoteAddress: `${this.clientIp}:${this.clientPort}`,
      downstreamLocalAddress: `${c.localAddress}:${c.localPort}`,
      requestHeaders: this.headers,
      responseHeaders: this.responseHeaders ?? {},
      responseTrailers: this.responseTrailers,
      routeName: this.route?.name ?? '',
      requestId: this.requestId,
      localReplyBody: this.localReplyBody,
      responseCodeDetails: this.responseDetails,
      connection: c,
      upstreamLocalAddress: localEnd(this.upstreamConnection),
    };
  }

  /** Absolute-form targets (proxy requests) become authority + path; anything else must be origin-form. */
  private normalizeTarget(): PathVerdict | 'malformed' {
    // CONNECT host:port has no path
    if (this.method === 'CONNECT' && this.path === '') return isConnectTarget(this.authority) ? 'continue' : 'malformed';
    if (!this.splitTarget()) return 'malformed';
    const r = sanitizePath(this.path, this.cm.pathOptions);
    this.path = r.path;
    return r.verdict;
  }

  private splitTarget(): boolean {
    const p = this.path;
    if (p.charCodeAt(0) === 47 /* '/' */) return this.authority.length > 0;
    if (p === '*' && this.method === 'OPTIONS') return this.authority.length > 0;
    if (p.startsWith('http://') || p.startsWith('https://')) {
      const start = p.indexOf('//') + 2;
      let end = p.indexOf('/', start);
      const q = p.indexOf('?', start);
      if (end < 0 || (q >= 0 && q < end)) end = q;
      this.authority = end < 0 ? p.slice(start) : p.slice(start, end);
      this.path = end < 0 ? '/' : p[end] === '?' ? '/' + p.slice(end) : p.slice(end);
      this.originalPath = this.path; // as Envoy's codec makes :path of an absolute URL
      return this.authority.length > 0;
    }
    return false;
  }

  /**
   * x-forwarded-for / -proto, the trusted client address and x-envoy-external-address, as Envoy's
   * connection manager computes them from use_remote_address and xff_num_trusted_hops.
   */
  private sanitizeHeaders(): void {
    const cm = this.cm;
    const h = this.headers;
    const xff = h['x-forwarded-for'];
    const hops = cm.config.xff_num_trusted_hops;
    const peer = this.conn.remoteAddress;
    if (cm.useRemoteAddress) {
      // The peer is the client unless `hops` trusted proxies in front of us each appended an entry.
      if (hops > 0 && typeof xff === 'string') this.setClientFromXff(xff, hops - 1);
      if (!cm.skipXffAppend) h['x-forwarded-for'] = typeof xff === 'string' && xff.length > 0 ? `${xff}, ${peer}` : peer;
      h['x-forwarded-proto'] = this.scheme;
      if (!isInternalAddress(this.clientIp)) h['x-envoy-external-address'] = this.clientIp;
    } else {
      // Without use_remote_address the client is the XFF entry `hops` positions from the right.
      if (typeof xff === 'string') this.setClientFromXff(xff, hops);
      if (h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = this.scheme;
    }
    const id = h['x-request-id'];
    if (typeof id === 'string' && id.length > 0 && (cm.preserveExternalRequestId || !cm.useRemoteAddress)) {
      this.requestId = id;
    } else if (cm.generateRequestId) {
      this.requestId = randomUUID();
      h['x-request-id'] = this.requestId;
    }
    const internal = cm.routeTable?.internalOnlyHeaders;
    if (internal !== undefined) for (let i = 0; i < internal.length; i++) delete h[internal[i]];
  }

  private setClientFromXff(xff: string, fromRight: number): void {
    const parts = xff.split(',');
    const i = parts.length - 1 - fromRight;
    if (i < 0) return;
    const ip = parts[i].trim();
    if (ip.length > 0 && isIP(ip) !== 0) {
      this.clientIp = ip;
      this.clientPort = 0;
    }
  }
}

/** RFC 1918, loopback and unique-local addresses count as internal (Envoy's default internal_address_config). */
function isInternalAddress(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd][0-9a-f]{2}:)/i.test(ip);
}

function localEnd(c: UpstreamConnectionEnd | undefined): string | undefined {
  return c?.localAddress === undefined ? undefined : `${c.localAddress}:${c.localPort ?? 0}`;
}
