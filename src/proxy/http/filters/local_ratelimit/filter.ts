// HTTP filters: envoy.filters.http.local_ratelimit — token buckets per filter, per route or per connection;
// descriptors from the route's rate_limits; 429 `local_rate_limited` (flag RL) when enforced; x-ratelimit-* headers.
import type { HttpFilterConfig } from '../../../config/types.js';
import type { HeaderMap, HeaderMutation } from '../../../router/types.js';
import type { ActiveStream } from '../../active-stream.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { TokenBucket } from '../../../ratelimit/token-bucket.js';
import type { CompiledRateLimit, Descriptor } from '../../../router/rate-limit.js';
import { compileHeaderMutation } from '../../../router/header-mutation.js';
import { resolveRuntimeFraction } from '../../../runtime-config/route-runtime.js';
import { Flag } from '../../local-reply.js';
import { LOCAL_RATELIMIT_TYPE, type LocalRateLimitConfig } from './config.js';
import { LocalRateLimiter } from './limiter.js';

/** gRPC RESOURCE_EXHAUSTED (rate_limited_as_resource_exhausted). */
const GRPC_RESOURCE_EXHAUSTED = 8;

interface LimitStats {
  readonly enabled: Counter;
  readonly enforced: Counter;
  readonly rateLimited: Counter;
  readonly ok: Counter;
}

/** One LocalRateLimit (the filter's, or a route's): its buckets, header edits and stats. */
export class CompiledLocalRateLimit {
  /** The process-wide (per filter chain or per route) limiter; per-connection ones are made on first use. */
  private readonly shared: LocalRateLimiter | undefined;
  private readonly perConnection: WeakMap<object, LocalRateLimiter> | undefined;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  private statsRoot: StatsScope | undefined;
  private statsCache: LimitStats | undefined;

  constructor(
    readonly config: LocalRateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    if (config.local_rate_limit_per_downstream_connection) this.perConnection = new WeakMap();
    else this.shared = this.newLimiter();
    // validated (formats compiled) with the config, so no errors here
    this.requestHeaders = compileHeaderMutation(config.request_headers_to_add_when_not_enforced, [], '', 'request_headers_to_add_when_not_enforced', []);
    this.responseHeaders = compileHeaderMutation(config.response_headers_to_add, [], '', 'response_headers_to_add', []);
  }

  private newLimiter(): LocalRateLimiter {
    const c = this.config;
    return new LocalRateLimiter(c.token_bucket, c.descriptors, c.always_consume_default_token_bucket, this.now);
  }

  /** The limiter for this connection (local_rate_limit_per_downstream_connection) or the shared one. */
  limiter(conn: object): LocalRateLimiter {
    const pc = this.perConnection;
    if (pc === undefined) return this.shared!;
    let l = pc.get(conn);
    if (l === undefined) pc.set(conn, (l = this.newLimiter()));
    return l;
  }

  /** `<stat_prefix>.http_local_rate_limit.*` in the server's root scope, as Envoy names them. */
  stats(root: StatsScope): LimitStats {
    if (this.statsRoot !== root || this.statsCache === undefined) {
      const s = root.scope(this.config.stat_prefix, 'http_local_rate_limit');
      this.statsCache = { enabled: s.counter('enabled'), enforced: s.counter('enforced'), rateLimited: s.counter('rate_limited'), ok: s.counter('ok') };
      this.statsRoot = root;
    }
    return this.statsCache;
  }
}

/** Route-level configs compiled once per config object: each route's bucket is its own and outlives requests. */
const perRoute = new WeakMap<LocalRateLimitConfig, CompiledLocalRateLimit>();

function compiledForRoute(cfg: LocalRateLimitConfig): CompiledLocalRateLimit {
  let c = perRoute.get(cfg);
  if (c === undefined) perRoute.set(cfg, (c = new CompiledLocalRateLimit(cfg)));
  return c;
}

/** Envoy's populateDescriptors: the route's entries of this stage, plus or instead of the virtual host's (vh_rate_limits). */
export function requestDescriptors(stream: ActiveStream, config: LocalRateLimitConfig): Descriptor[] {
  const route = stream.route;
  const limits = route?.rateLimits;
  // redirects and direct responses have no route entry in Envoy: no descriptors
  if (limits === undefined || route!.action.kind !== 'route') return [];
  const out: Descriptor[] = [];
  const req = { request: stream, remoteAddress: stream.clientIp };
  const add = (list: readonly CompiledRateLimit[]): void => {
    for (const l of list) {
      if (l.stage !== config.stage || l.hasDisableKey) continue;
      const d = l.descriptor(req);
      if (d !== undefined) out.push(d);
    }
  };
  add(limits.route);
  const vh = config.vh_rate_limits;
  if (vh === 'INCLUDE' || (vh === 'OVERRIDE' && limits.route.length === 0)) add(limits.vhost);
  return out;
}

function appendHeader(h: HeaderMap, k: string, v: string): void {
  const cur = h[k];
  h[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
}

/** DRAFT_VERSION_03 headers for one bucket (reset in whole seconds until its next fill). */
export function addXRateLimitHeaders(h: HeaderMap, bucket: TokenBucket): void {
  appendHeader(h, 'x-ratelimit-limit', String(bucket.config.max_tokens));
  appendHeader(h, 'x-ratelimit-remaining', String(bucket.remaining()));
  appendHeader(h, 'x-ratelimit-reset', String(Math.ceil(bucket.msUntilFill() / 1000)));
}

export function localRateLimitFilterFactory(config: LocalRateLimitConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const base = new CompiledLocalRateLimit(config);
  return (cb) => new LocalRateLimitFilter(base, ctx.random, cb);
}

class LocalRateLimitFilter implements HttpFilter {
  /** Set when the request consulted a bucket and x-ratelimit headers are on. */
  private headersBucket: TokenBucket | undefined;

  constructor(
    private readonly base: CompiledLocalRateLimit,
    private readonly random: () => number,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const cb = this.cb;
    const stream = cb.stream;
    const routeCfg = cb.perRouteConfig<HttpFilterConfig>();
    const c = routeCfg !== undefined && routeCfg['@type'] === LOCAL_RATELIMIT_TYPE ? compiledForRoute(routeCfg as LocalRateLimitConfig) : this.base;
    const config = c.config;
    const runtime = stream.cm.ctx.runtime;
    if (config.filter_enabled === undefined || !(this.random() < resolveRuntimeFraction(runtime, config.filter_enabled))) return 'continue';
    const stats = c.stats(stream.cm.ctx.stats);
    stats.enabled.inc();
    const limiter = c.limiter(stream.conn);
    const result = limiter.requestAllowed(limiter.hasDescriptors ? requestDescriptors(stream, config) : []);
    if (config.enable_x_ratelimit_headers === 'DRAFT_VERSION_03') this.headersBucket = result.bucket;
    if (result.allowed) {
      stats.ok.inc();
      return 'continue';
    }
    stats.rateLimited.inc();
    const enforced = config.filter_enforced !== undefined && this.random() < resolveRuntimeFraction(runtime, config.filter_enforced);
    if (!enforced) {
      if (!c.requestHeaders.empty) c.requestHeaders.apply(req.headers, stream.formatContext());
      return 'continue';
    }
    stats.enforced.inc();
    const headers: HeaderMap = {};
    if (!c.responseHeaders.empty) c.responseHeaders.apply(headers, stream.formatContext());
    if (this.headersBucket !== undefined) addXRateLimitHeaders(headers, this.headersBucket);
    cb.sendLocalReply(config.status, 'local_rate_limited', {
      headers,
      flag: Flag.RateLimited,
      details: 'local_rate_limited',
      ...(stream.isGrpc && config.rate_limited_as_resource_exhausted ? { grpcStatus: GRPC_RESOURCE_EXHAUSTED } : {}),
    });
    return 'stop';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    if (this.headersBucket !== undefined) addXRateLimitHeaders(res.headers, this.headersBucket);
    return 'continue';
  }
}
