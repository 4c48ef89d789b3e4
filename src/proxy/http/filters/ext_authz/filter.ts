// HTTP filters: envoy.filters.http.ext_authz — holds the request while an HTTP or gRPC authorization service
// decides; allows (with its header edits), denies with its reply, or applies failure_mode_allow / status_on_error.
import type { HeaderMap } from '../../../router/types.js';
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { UpstreamCluster } from '../../../upstream/types.js';
import { asyncHttpCall, type AsyncCall } from '../../../upstream/async-client.js';
import type { ActiveStream } from '../../active-stream.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import { Flag } from '../../local-reply.js';
import { compileMetadataMatcher } from '../../../rbac/metadata-matcher.js';
import type { DynamicMetadata } from '../../../rbac/attributes.js';
import { HeaderKeyMatcher, PARTIAL_BODY_HEADER, checkAttributes, checkHeaderMap } from './check-request.js';
import { GrpcServiceClient } from './grpc-service.js';
import { HttpServiceConfig } from './http-service.js';
import { editQuery } from './query.js';
import { answerIsValid, mutatesRequest, validPair, type AuthzDenied, type AuthzOk, type AuthzResult, type HeaderPair } from './result.js';
import { EXT_AUTHZ_PER_ROUTE_TYPE, type BufferSettings, type ExtAuthzConfig, type ExtAuthzPerRoute } from './types.js';

/** Dynamic metadata namespace the filter writes. */
export const METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
export const FAILURE_MODE_ALLOWED_HEADER = 'x-envoy-auth-failure-mode-allowed';

interface ExtAuthzStats {
  ok: Counter;
  denied: Counter;
  error: Counter;
  failureModeAllowed: Counter;
  disabled: Counter;
  invalid: Counter;
}

function statsIn(scope: StatsScope, prefix: string): ExtAuthzStats {
  const s = prefix === '' ? scope.scope('ext_authz') : scope.scope('ext_authz', prefix);
  return {
    ok: s.counter('ok'),
    denied: s.counter('denied'),
    error: s.counter('error'),
    failureModeAllowed: s.counter('failure_mode_allowed'),
    disabled: s.counter('disabled'),
    invalid: s.counter('invalid'),
  };
}

/** Per filter in a chain: compiled matchers, the service client and stats, shared by every request. */
class ExtAuthzShared {
  readonly stats: ExtAuthzStats;
  /** Envoy also counts ok/denied/error/failure_mode_allowed under cluster.<route cluster>.ext_authz. */
  private readonly clusterStats = new WeakMap<UpstreamCluster, ExtAuthzStats>();
  readonly http: HttpServiceConfig | undefined;
  readonly grpc: GrpcServiceClient | undefined;
  readonly allow: HeaderKeyMatcher | undefined;
  readonly deny: HeaderKeyMatcher | undefined;
  /** filter_enabled_metadata, compiled (its regexes were checked with the config). */
  readonly enabledByMetadata: ((md: DynamicMetadata | undefined) => boolean) | undefined;
  private nextId = 1;

  constructor(
    readonly config: ExtAuthzConfig,
    readonly ctx: HttpFilterContext,
  ) {
    this.stats = statsIn(ctx.stats, config.stat_prefix);
    const svc = config.service;
    if (svc.kind === 'http') {
      this.http = new HttpServiceConfig(svc, config.allowed_headers);
      this.allow = this.http.requestHeaders;
    } else {
      // Built here, once per chain: this is what loads the gRPC codec (and its protos) the first time.
      this.grpc = new GrpcServiceClient(svc, ctx.clusters, ctx.pools);
      this.allow = config.allowed_headers === undefined ? undefined : new HeaderKeyMatcher(config.allowed_headers);
    }
    this.deny = config.disallowed_headers === undefined ? undefined : new HeaderKeyMatcher(config.disallowed_headers);
    this.enabledByMetadata = config.filter_enabled_metadata === undefined ? undefined : compileMetadataMatcher(config.filter_enabled_metadata, 'filter_enabled_metadata', []);
  }

  clusterStatsFor(name: string | undefined): ExtAuthzStats | undefined {
    const c = name === undefined ? undefined : this.ctx.clusters.get(name);
    if (c === undefined) return undefined;
    let s = this.clusterStats.get(c);
    if (s === undefined) {
      s = statsIn(c.stats, this.config.stat_prefix);
      this.clusterStats.set(c, s);
    }
    return s;
  }

  streamId(): string {
    return String(this.nextId++);
  }

  /** filter_enabled: its default_value fraction (trellis has no runtime layer yet, so runtime_key is not read). */
  enabled(stream: ActiveStream): boolean {
    const fe = this.config.filter_enabled;
    return (fe === undefined || this.ctx.random() < fe.fraction) && (this.enabledByMetadata === undefined || this.enabledByMetadata(stream.dynamicMetadata));
  }
}

export function extAuthzFilterFactory(config: ExtAuthzConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new ExtAuthzShared(config, ctx);
  return (cb) => new ExtAuthzFilter(shared, cb);
}

/** Adds to a header map (arrays for repeats), for replies and response edits. */
function appendHeader(h: HeaderMap, k: string, v: string): void {
  const cur = h[k];
  if (cur === undefined) h[k] = v;
  else h[k] = typeof cur === 'string' ? [cur, v] : [...cur, v];
}

class ExtAuthzFilter implements HttpFilter {
  /** Present only while the body is being buffered for the check: without it the manager holds data with flow control. */
  decodeData: ((data: Buffer, endStream: boolean) => DataStatus) | undefined = undefined;
  private state: 'idle' | 'buffering' | 'calling' | 'done' = 'idle';
  private call: AsyncCall | undefined;
  private bufferSettings: BufferSettings | undefined;
  private contextExtensions: Record<string, string> = {};
  private responseEdits: AuthzOk | undefined;
  private startedAt = 0;
  private clusterStats: ExtAuthzStats | undefined;

  constructor(
    private readonly shared: ExtAuthzShared,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead, endStream: boolean): HeadersStatus {
    const shared = this.shared;
    const config = shared.config;
    const perRoute = this.cb.perRouteConfig<ExtAuthzPerRoute>();
    const route = perRoute?.['@type'] === EXT_AUTHZ_PER_ROUTE_TYPE ? perRoute : undefined;
    if (route?.disabled === true) return 'continue';
    if (!shared.enabled(this.cb.stream)) {
      shared.stats.disabled.inc();
      if (config.deny_at_disable?.default_value === true) {
        this.cb.sendLocalReply(config.status_on_error, '', { flag: Flag.UnauthorizedExternalService, details: 'ext_authz_error' });
        return 'stop';
      }
      return 'continue';
    }
    const cs = route?.check_settings;
    this.contextExtensions = cs?.context_extensions ?? {};
    const settings = cs?.disable_request_body_buffering === true ? undefined : (cs?.with_request_body ?? config.with_request_body);
    const upgrade = req.headers.upgrade !== undefined || req.method === 'CONNECT';
    if (settings !== undefined && !endStream && !upgrade) {
      this.bufferSettings = settings;
      this.state = 'buffering';
      this.decodeData = this.bufferBody;
      return 'stop';
    }
    this.startCheck(undefined);
    return 'stop';
  }

  /** with_request_body: hold the body up to max_request_bytes (413 past it unless allow_partial_message), then check. */
  private readonly bufferBody = (data: Buffer, endStream: boolean): DataStatus => {
    const settings = this.bufferSettings!;
    const held = this.cb.decodingBuffer();
    const total = (held?.length ?? 0) + data.length;
    if (!settings.allow_partial_message && total > settings.max_request_bytes) {
      this.decodeData = undefined;
      this.state = 'done';
      this.cb.sendLocalReply(413, 'Payload Too Large', { details: 'request_payload_too_large' });
      return 'stop';
    }
    if (endStream || (settings.allow_partial_message && total >= settings.max_request_bytes)) {
      // The manager adds `data` to the held buffer after this returns; the check needs all of it now.
      this.decodeData = undefined;
      this.startCheck(held === undefined || held.length === 0 ? data : Buffer.concat([held, data]));
    }
    return 'stop-buffer';
  };

  decodeTrailers(): TrailersStatus {
    if (this.state === 'buffering') {
      this.decodeData = undefined;
      this.startCheck(this.cb.decodingBuffer() ?? Buffer.alloc(0));
    }
    return this.state === 'calling' ? 'stop' : 'continue';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    const e = this.responseEdits;
    if (e === undefined) return 'continue';
    const h = res.headers;
    for (const [k, v] of e.responseHeadersToAdd) if (validPair([k, v])) appendHeader(h, k, v);
    for (const [k, v] of e.responseHeadersToSet) if (validPair([k, v])) h[k] = v;
    for (const [k, v] of e.responseHeadersToAddIfAbsent) if (validPair([k, v]) && h[k] === undefined) h[k] = v;
    for (const [k, v] of e.responseHeadersToOverwriteIfExists) if (validPair([k, v]) && h[k] !== undefined) h[k] = v;
    return 'continue';
  }

  onDestroy(): void {
    const c = this.call;
    this.call = undefined;
    this.state = 'done';
    c?.cancel();
  }

  /** `body`: the buffered request body when with_request_body applies (undefined = no body in the check). */
  private startCheck(body: Buffer | undefined): void {
    const shared = this.shared;
    const stream = this.cb.stream;
    this.state = 'calling';
    this.startedAt = performance.now();
    this.clusterStats = shared.clusterStatsFor(stream.chooseCluster()?.cluster);
    const headers = checkHeaderMap(stream, shared.allow, shared.deny);
    let checkBody: Buffer | undefined;
    if (body !== undefined) {
      const max = this.bufferSettings!.max_request_bytes;
      checkBody = body.length > max ? body.subarray(0, max) : body;
      // Envoy adds this to the check's headers (after allow-listing for gRPC; an HTTP service gets it only if allowed)
      const partial = checkBody.length !== body.length ? 'true' : 'false';
      if (shared.http === undefined || shared.allow?.matches(PARTIAL_BODY_HEADER) === true) headers[PARTIAL_BODY_HEADER] = partial;
    }
    const done = (r: AuthzResult): void => {
      if (this.state !== 'calling') return;
      this.call = undefined;
      this.onAnswer(r);
    };
    if (shared.http !== undefined) {
      const svc = shared.http.service;
      const http = shared.http;
      this.call = asyncHttpCall(shared.ctx.clusters, shared.ctx.pools, svc.server_uri.cluster, http.request(headers, checkBody, stream.formatContext()), { timeoutMs: svc.server_uri.timeout }, (err, res) =>
        done(err !== null || res === undefined ? { kind: 'error', reason: `authorization call failed: ${err ?? 'no response'}` } : http.answer(res)),
      );
    } else {
      const attrs = checkAttributes(stream, headers, {
        id: shared.streamId(),
        body: checkBody,
        bodyAsBytes: this.bufferSettings?.pack_as_bytes === true,
        contextExtensions: this.contextExtensions,
        metadataNamespaces: shared.config.metadata_context_namespaces,
        includeTlsSession: shared.config.include_tls_session,
      });
      this.call = shared.grpc!.check(attrs, done);
    }
  }

  private count(pick: (s: ExtAuthzStats) => Counter): void {
    pick(this.shared.stats).inc();
    if (this.clusterStats !== undefined) pick(this.clusterStats).inc();
  }

  private onAnswer(r: AuthzResult): void {
    this.state = 'done';
    const config = this.shared.config;
    if (r.kind !== 'error' && r.dynamicMetadata !== undefined && config.enable_dynamic_metadata_ingestion) {
      const md = r.kind === 'ok' ? { ...r.dynamicMetadata, ext_authz_duration: Math.round(performance.now() - this.startedAt) } : r.dynamicMetadata;
      this.cb.setDynamicMetadata(METADATA_NAMESPACE, md);
    }
    if (r.kind !== 'error' && config.validate_mutations && !answerIsValid(r)) {
      this.shared.stats.invalid.inc();
      this.cb.sendLocalReply(500, '', { details: 'ext_authz_invalid' });
      return;
    }
    switch (r.kind) {
      case 'ok':
        this.allow(r);
        return;
      case 'denied':
        this.deny(r);
        return;
      default:
        this.count((s) => s.error);
        if (config.failure_mode_allow) {
          this.count((s) => s.failureModeAllowed);
          if (config.failure_mode_allow_header_add) this.cb.stream.headers[FAILURE_MODE_ALLOWED_HEADER] = 'true';
          this.cb.continueDecoding();
        } else {
          this.cb.sendLocalReply(config.status_on_error, '', { flag: Flag.UnauthorizedExternalService, details: 'ext_authz_error' });
        }
    }
  }

  private allow(r: AuthzOk): void {
    const stream = this.cb.stream;
    const h = stream.headers;
    // Invalid names or values (CR/LF, pseudo-headers) are never written: they could split an HTTP/1 request.
    for (const p of r.headersToSet) if (validPair(p)) setRequestHeader(stream, p);
    for (const [k, v] of r.headersToAppend) {
      if (!validPair([k, v])) continue;
      const cur = h[k];
      // Envoy appends only to a header the request has, joining with ','
      if (typeof cur === 'string') h[k] = `${cur},${v}`;
      else if (Array.isArray(cur) && cur.length > 0) h[k] = [...cur, v];
    }
    for (const k of r.headersToRemove) if (k !== 'host' && k.charCodeAt(0) !== 58) delete h[k];
    if (r.queryParametersToSet.length > 0 || r.queryParametersToRemove.length > 0) {
      stream.path = editQuery(stream.path, r.queryParametersToSet, r.queryParametersToRemove);
    }
    if (this.shared.config.clear_route_cache && mutatesRequest(r)) this.cb.clearRouteCache();
    const edits = r.responseHeadersToAdd.length + r.responseHeadersToSet.length + r.responseHeadersToAddIfAbsent.length + r.responseHeadersToOverwriteIfExists.length;
    if (edits > 0) this.responseEdits = r;
    this.count((s) => s.ok);
    this.cb.continueDecoding();
  }

  private deny(r: AuthzDenied): void {
    this.count((s) => s.denied);
    const headers: HeaderMap = {};
    for (const p of r.headers) if (validPair(p)) appendHeader(headers, p[0], p[1]);
    let body = r.body;
    const max = this.shared.config.max_denied_response_body_bytes;
    if (max > 0 && Buffer.byteLength(body) > max) body = Buffer.from(body).subarray(0, max).toString('utf8');
    this.cb.sendLocalReply(r.status, body, { headers, flag: Flag.UnauthorizedExternalService, details: 'ext_authz_denied' });
  }
}

/** A header the service sets on the request; `host` is the request's authority. */
function setRequestHeader(stream: ActiveStream, [k, v]: HeaderPair): void {
  if (k === 'host') stream.authority = v;
  else stream.headers[k] = v;
}
