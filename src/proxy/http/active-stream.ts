// HTTP: one request through the connection manager — sanitize, route, run filters, reply, log, count.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { ClusterChoice, CompiledRoute, HeaderFormatContext, HeaderMap, RouteMatchResult, RouteRequest } from '../router/types.js';
import type { AccessLogEntry } from '../telemetry/access-log.js';
import type { DownstreamConnectionInfo } from './types.js';
import type { DownstreamStream } from './downstream.js';
import type { ConnectionManager } from './connection-manager.js';
import { grpcStatusForHttp, type ResponseFlag } from './local-reply.js';

const GRPC_CT = 'application/grpc';

export class ActiveStream implements RouteRequest {
  readonly startTime = Date.now();
  readonly startHr = performance.now();
  // RouteRequest
  authority: string;
  path: string;
  readonly method: string;
  readonly headers: HeaderMap;
  readonly scheme: 'http' | 'https';

  match: RouteMatchResult | null = null;
  route: CompiledRoute | null = null;
  private choice: ClusterChoice | undefined | null = null; // null = not chosen yet
  private filterIndex = 0;
  flags: ResponseFlag[] | null = null;
  responseCode = 0;
  bytesReceived = 0;
  bytesSent = 0;
  upstreamHost = '';
  upstreamCluster = '';
  upstreamServiceTime: number | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  finished = false;
  readonly isGrpc: boolean;
  readonly originalPath: string;
  requestId = '';
  faultTimer: NodeJS.Timeout | undefined;
  /** Set by the cors filter: headers added to the response of an allowed cross-origin request. */
  corsResponseHeaders: HeaderMap | undefined;
  /** The trusted client address (from the socket, or x-forwarded-for per xff_num_trusted_hops). */
  clientIp: string;
  clientPort: number;
  /** Set by the router filter: aborts its upstream work when the stream is destroyed. */
  onReset: (() => void) | undefined;

  constructor(
    readonly cm: ConnectionManager,
    readonly ds: DownstreamStream,
    readonly conn: DownstreamConnectionInfo,
  ) {
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
    if (!this.normalizeTarget()) {
      this.sendLocalReply(400, 'Bad Request');
      return;
    }
    this.sanitizeHeaders();
    const table = cm.routeTable;
    this.match = table === null ? null : table.match(this);
    if (this.match === null) {
      stats.noRoute.inc();
      this.addFlag('NR');
      this.sendLocalReply(404, '');
      return;
    }
    this.route = this.match.route;
    const requireTls = this.match.virtualHost.requireTls;
    if (requireTls !== 'NONE' && this.scheme === 'http') {
      this.redirectToHttps();
      return;
    }
    this.continueDecoding();
  }

  /** Runs the remaining filters; a filter that returned 'stop' calls this again to resume. */
  continueDecoding(): void {
    const filters = this.cm.filters;
    while (this.filterIndex < filters.length && !this.finished && !this.ds.responseStarted) {
      const f = filters[this.filterIndex++];
      if (f.decodeHeaders(this) === 'stop') return;
    }
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

  /** Envoy-style local reply; gRPC requests get a trailers-only gRPC response instead. */
  sendLocalReply(status: number, body: string, extraHeaders?: HeaderMap): void {
    if (this.finished) return;
    if (this.ds.responseStarted) {
      this.resetStream();
      return;
    }
    if (this.isGrpc) {
      this.sendGrpcLocalReply(grpcStatusForHttp(status), body || String(status));
      return;
    }
    const headers: HeaderMap = extraHeaders ?? {};
    if (body.length > 0) {
      headers['content-type'] ??= 'text/plain';
      headers['content-length'] = String(Buffer.byteLength(body));
    } else if (headers['content-length'] === undefined) {
      headers['content-length'] = '0';
    }
    this.finalizeResponseHeaders(headers);
    this.responseCode = status;
    this.responseHeaders = headers;
    const empty = body.length === 0 || this.method === 'HEAD';
    this.ds.respondHeaders(status, headers, empty, false);
    if (!empty) {
      const buf = Buffer.from(body);
      this.bytesSent += buf.length;
      this.ds.respondData(buf);
      this.ds.respondEnd(undefined);
    }
    this.complete();
  }

  sendGrpcLocalReply(grpcStatus: number, message: string): void {
    if (this.finished) return;
    const headers: HeaderMap = {
      'content-type': GRPC_CT,
      'grpc-status': String(grpcStatus),
      'grpc-message': encodeURIComponent(message),
    };
    this.finalizeResponseHeaders(headers);
    this.responseCode = 200;
    this.responseHeaders = headers;
    this.ds.respondHeaders(200, headers, true, false);
    this.complete();
  }

  /** Route (and weighted-cluster) response header mutations plus the server header. */
  finalizeResponseHeaders(headers: HeaderMap, upstreamHost?: string): void {
    const route = this.route;
    if (route !== null) {
      const clusterEdits = this.choice?.responseHeaders;
      const withCluster = clusterEdits !== undefined && !clusterEdits.empty;
      if (withCluster || !route.responseHeaders.empty) {
        const ctx = this.formatContext(upstreamHost); // one context for both mutation lists
        if (withCluster) clusterEdits.apply(headers, ctx);
        if (!route.responseHeaders.empty) route.responseHeaders.apply(headers, ctx);
      }
    }
    const cors = this.corsResponseHeaders;
    if (cors !== undefined) for (const k in cors) if (cors[k] !== undefined) headers[k] = cors[k];
    const cm = this.cm;
    if (cm.serverHeader === 'OVERWRITE' || (cm.serverHeader === 'APPEND_IF_ABSENT' && headers.server === undefined)) {
      headers.server = cm.serverName;
    }
    if (cm.draining && this.ds.protocol !== 'HTTP/2') headers.connection = 'close';
  }

  /** The stream is done: stats, access log, filter cleanup. Idempotent. */
  complete(): void {
    if (this.finished) return;
    this.finished = true;
    const stats = this.cm.stats;
    stats.rqActive.sub(1);
    stats.rqCompleted.inc();
    const cls = (this.responseCode / 100) | 0;
    if (cls >= 1 && cls <= 5) stats.rqXx[cls].inc();
    const duration = performance.now() - this.startHr;
    stats.rqTime.record(duration);
    const filters = this.cm.filters;
    for (let i = 0; i < this.filterIndex && i < filters.length; i++) filters[i].onDestroy?.(this);
    const log = this.cm.accessLog;
    if (log !== null) log.log(this.accessLogEntry(duration));
  }

  /** Abort the downstream (used once a response has started and the upstream failed). */
  resetStream(): void {
    this.cm.stats.rqTxReset.inc();
    this.ds.reset();
    this.complete();
  }

  private readonly onDownstreamAbort = (): void => {
    if (this.finished) return;
    this.cm.stats.rqRxReset.inc();
    this.addFlag('DC');
    this.onReset?.();
    this.complete();
  };

  private accessLogEntry(durationMs: number): AccessLogEntry {
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
    };
  }

  /** Absolute-form targets (proxy requests) become authority + path; anything else must be origin-form. */
  private normalizeTarget(): boolean {
    if (!this.splitTarget()) return false;
    const cm = this.cm;
    if (cm.normalizePath || cm.mergeSlashes) this.path = normalizePath(this.path, cm.normalizePath, cm.mergeSlashes);
    return true;
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

  private redirectToHttps(): void {
    const host = this.authority.replace(/:\d+$/, '');
    this.sendLocalReply(301, '', { location: `https://${host}${this.path}` });
  }
}

/** RFC 1918, loopback and unique-local addresses count as internal (Envoy's default internal_address_config). */
function isInternalAddress(ip: string): boolean {
  return /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd][0-9a-f]{2}:)/i.test(ip);
}

/**
 * HCM normalize_path (RFC 3986 §5.2.4 dot-segment removal, after decoding percent-encoded unreserved
 * characters as Envoy does) and merge_slashes, applied to the path before routing; the query is kept.
 */
export function normalizePath(raw: string, dotSegments: boolean, mergeSlashes: boolean): string {
  const q = raw.indexOf('?');
  let path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  if (dotSegments) {
    path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
    });
    const out: string[] = [];
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      if (s === '.') {
        if (i === segs.length - 1) out.push('');
      } else if (s === '..') {
        out.pop();
        if (i === segs.length - 1) out.push('');
      } else out.push(s);
    }
    path = '/' + out.join('/');
  }
  if (mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  return path + query;
}
