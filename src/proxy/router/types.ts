// Router: the compiled route table the HTTP connection manager reads on every request.
import type { RouteDecorator, RouteTracingConfig } from '../tracing/types.js';
import type { HttpFilterConfig, RetryPolicy, Millis, RequestMirrorPolicy } from '../config/types.js';
import type { CompiledHeaderMatcher } from './header-matcher.js';
import type { CompiledRateLimits } from './rate-limit.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What route matching looks at. `path` includes the query string. Header names are lower case. */
export interface RouteRequest {
  authority: string;
  path: string;
  method: string;
  headers: HeaderMap;
  scheme: 'http' | 'https';
}

/** Values header formatters (`%DOWNSTREAM_REMOTE_ADDRESS%`, `%UPSTREAM_HOST%` …) may substitute. */
export interface HeaderFormatContext {
  downstreamRemoteAddress: string; // ip:port
  downstreamLocalAddress: string; // ip:port
  upstreamHost?: string; // ip:port
  requestHeaders: HeaderMap;
  protocol: string; // HTTP/1.1, HTTP/2
}

/** A compiled header mutation list (add/remove), applied in Envoy's order by the caller. */
export interface HeaderMutation {
  /** Applies removals then additions to `headers` in place. */
  apply(headers: HeaderMap, ctx: HeaderFormatContext): void;
  readonly empty: boolean;
}

export interface ClusterChoice {
  readonly cluster: string;
  /** Per-weighted-cluster header edits and host rewrite; `undefined` for a plain cluster. */
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
  readonly hostRewrite?: string;
}

export interface CompiledRetryPolicy {
  readonly policy: RetryPolicy;
  /** retriable_request_headers: when non-empty, only requests matching all of them may be retried. */
  readonly retriableRequestHeaders: readonly CompiledHeaderMatcher[];
  /** Whether a response with this status/headers should be retried under the policy. */
  retriableResponse(status: number, headers: HeaderMap, grpcStatus: number | undefined): boolean;
  /** Whether a local failure (connect-failure / reset / refused-stream / timeout) should be retried. */
  retriableFailure(kind: 'connect-failure' | 'reset' | 'refused-stream' | 'timeout'): boolean;
  /** Backoff before retry number n (1-based), full jitter as Envoy does. */
  backoff(n: number): Millis;
}

export interface CompiledRouteAction {
  /** Chooses the upstream cluster (weighted split uses a random draw; cluster_header reads a header). */
  chooseCluster(req: RouteRequest): ClusterChoice | undefined;
  /** Rewrites the path (prefix_rewrite / regex_rewrite) or returns it unchanged. */
  rewritePath(path: string): string;
  /** Returns the new authority or undefined to keep it (literal, header, path_regex). auto is `autoHostRewrite`. */
  rewriteHost(req: RouteRequest): string | undefined;
  readonly autoHostRewrite: boolean;
  readonly timeout: Millis; // 0 = none
  readonly idleTimeout?: Millis;
  readonly retry?: CompiledRetryPolicy; // route's, else virtual host's
  readonly mirrors: readonly RequestMirrorPolicy[];
  /** Hash for RING_HASH/MAGLEV from hash_policy; undefined when no policy produced a value. */
  hash(req: RouteRequest, sourceIp: string): bigint | undefined;
  /** If the hash policy includes a cookie with ttl that was absent, the Set-Cookie to add. */
  readonly websocketEnabled: boolean | undefined; // per-route upgrade_configs override
  /** Per-route CONNECT upgrade override (undefined = the connection manager's upgrade_configs decide). */
  readonly connectEnabled?: boolean;
  /** upgrade_configs CONNECT with connect_config: the router answers 200 and tunnels the payload as raw TCP. */
  readonly connectTerminate?: boolean;
  readonly grpcTimeoutHeaderMax?: Millis;
}

export interface CompiledRoute {
  readonly name: string;
  /** Stat name segment for per-route stats ('' when the route has no name). */
  readonly statName: string;
  readonly action:
    | { kind: 'route'; route: CompiledRouteAction }
    | { kind: 'redirect'; location(req: RouteRequest): string; status: number }
    | { kind: 'direct_response'; status: number; body?: string };
  /** Route, then virtual host, then route configuration: the order Envoy applies them. */
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /** typed_per_filter_config merged route-over-vhost, by filter name. */
  readonly perFilterConfig: ReadonlyMap<string, HttpFilterConfig>;
  /** rate_limits of the route action and of its virtual host, when either has any. */
  readonly rateLimits?: CompiledRateLimits;
  /** The route's metadata.filter_metadata, by filter name. */
  readonly metadata?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** decorator and tracing of the route (span name, sampling overrides, tags). */
  readonly decorator?: RouteDecorator;
  readonly tracing?: RouteTracingConfig;
}

export interface CompiledVirtualHost {
  readonly name: string;
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
}

export interface RouteMatchResult {
  readonly virtualHost: CompiledVirtualHost;
  readonly route: CompiledRoute;
}

/** One route as `trellis explain` saw it: taken, or why not; a runtime_fraction is a share, not a draw. */
export interface RouteTraceStep {
  readonly route: CompiledRoute;
  readonly mismatch?: string;
  /** The route's runtime_fraction (0..1) when it has one: it takes only that share of matching requests. */
  readonly fraction?: number;
}

export interface RouteTrace {
  /** undefined: no virtual host takes this authority (404 NR). */
  readonly virtualHost?: CompiledVirtualHost;
  /** The routes in order, up to and including the first that matches (with a fraction, the next ones too). */
  readonly steps: readonly RouteTraceStep[];
}

export interface RouteTable {
  readonly name: string;
  /** null = no virtual host or no route matched (404 NR). */
  match(req: RouteRequest): RouteMatchResult | null;
  /** match() with its reasons, for explanations (never on the request path). */
  trace(req: RouteRequest): RouteTrace;
  /** Headers stripped from requests not from internal addresses (internal_only_headers). */
  readonly internalOnlyHeaders: readonly string[];
}
