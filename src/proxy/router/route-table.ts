// Router compile stage: compileRouteTable turns a RouteConfiguration into the RouteTable the connection manager reads per request.
import type { HttpFilterConfig, Route, RouteConfiguration, VirtualHost } from '../config/types.js';
import type { Result } from '../../common/result.js';
import type {
  CompiledRoute,
  CompiledVirtualHost,
  HeaderMutation,
  RouteMatchResult,
  RouteRequest,
  RouteTable,
  RouteTrace,
  RouteTraceStep,
} from './types.js';
import { RouteCompileError, type Errors } from './compile-errors.js';
import { CompiledRouteMatch, PM_REGEX } from './route-matcher.js';
import { VirtualHostIndex } from './vhost-index.js';
import { chainMutations, compileHeaderMutation } from './header-mutation.js';
import { compileRouteAction, type VhostDefaults } from './route-action.js';
import { compileRetryPolicy } from './retry.js';
import { compileRateLimits } from './rate-limit.js';
import { PathRewriter } from './rewrite.js';
import { RedirectImpl } from './redirect.js';
import type { RuntimeSnapshot, RuntimeSource } from '../runtime-config/snapshot.js';

export interface CompileOptions {
  /** Random source in [0,1) for runtime_fraction, weighted clusters and retry backoff (tests pass a seeded one). */
  random?: () => number;
  /** Envoy's runtime: a route's runtime_fraction.runtime_key overrides its default_value. */
  runtime?: RuntimeSource;
}

interface Entry {
  readonly matcher: CompiledRouteMatch;
  readonly result: RouteMatchResult;
}

export interface CompiledVhostEntry {
  readonly vhost: CompiledVirtualHost;
  readonly routes: readonly Entry[];
}

const EMPTY_FILTER_CONFIG: ReadonlyMap<string, HttpFilterConfig> = new Map();

function mergeFilterConfig(
  vhost: ReadonlyMap<string, HttpFilterConfig>,
  route: Record<string, HttpFilterConfig>,
): ReadonlyMap<string, HttpFilterConfig> {
  const keys = Object.keys(route);
  if (keys.length === 0) return vhost;
  const m = new Map(vhost);
  for (const k of keys) m.set(k, route[k]!); // the route's config replaces the virtual host's for that filter
  return m;
}

interface Level {
  readonly req: HeaderMutation;
  readonly resp: HeaderMutation;
}

function levelMutations(
  x: Pick<Route, 'request_headers_to_add' | 'request_headers_to_remove' | 'response_headers_to_add' | 'response_headers_to_remove'>,
  path: string,
  errs: Errors,
): Level {
  return {
    req: compileHeaderMutation(x.request_headers_to_add, x.request_headers_to_remove, path, 'request_headers_to_add', errs),
    resp: compileHeaderMutation(x.response_headers_to_add, x.response_headers_to_remove, path, 'response_headers_to_add', errs),
  };
}

function compileRoute(
  r: Route,
  vhost: CompiledVirtualHost,
  vhLevel: Level,
  rcLevel: Level,
  vhFilters: ReadonlyMap<string, HttpFilterConfig>,
  defaults: VhostDefaults,
  random: () => number,
  path: string,
  errs: Errors,
): Entry {
  const matcher = new CompiledRouteMatch(r.match, `${path}.match`, errs);
  // Length of what prefix_rewrite replaces; -1 = the whole path without query (regex routes).
  const matchedLen = matcher.kind === PM_REGEX ? -1 : matcher.value.length;
  let action: CompiledRoute['action'];
  switch (r.action.kind) {
    case 'route':
      action = { kind: 'route', route: compileRouteAction(r.action.route, matchedLen, defaults, random, `${path}.route`, errs) };
      break;
    case 'redirect': {
      const rd = r.action.redirect;
      const rw = new PathRewriter(rd.prefix_rewrite, rd.regex_rewrite, matchedLen, `${path}.redirect`, errs);
      action = new RedirectImpl(rd, rw);
      break;
    }
    default:
      action = Object.freeze({
        kind: 'direct_response' as const,
        status: r.action.direct_response.status,
        ...(r.action.direct_response.body !== undefined ? { body: r.action.direct_response.body } : {}),
      });
  }
  const own = levelMutations(r, path, errs);
  const routeLimits = r.action.kind === 'route' ? compileRateLimits(r.action.route.rate_limits, `${path}.route`, errs) : [];
  const vhLimits = defaults.rateLimits ?? [];
  // Default (most_specific_header_mutations_wins: false): route, then virtual host, then route configuration.
  const route: CompiledRoute = Object.freeze({
    name: r.name,
    statName: r.name,
    action,
    requestHeaders: chainMutations([own.req, vhLevel.req, rcLevel.req]),
    responseHeaders: chainMutations([own.resp, vhLevel.resp, rcLevel.resp]),
    perFilterConfig: mergeFilterConfig(vhFilters, r.typed_per_filter_config),
    ...(routeLimits.length > 0 || vhLimits.length > 0 ? { rateLimits: { route: routeLimits, vhost: vhLimits } } : {}),
    ...(r.metadata !== undefined ? { metadata: r.metadata } : {}),
    ...(r.decorator !== undefined ? { decorator: r.decorator } : {}),
    ...(r.tracing !== undefined ? { tracing: r.tracing } : {}),
  });
  return { matcher, result: Object.freeze({ virtualHost: vhost, route }) };
}

function compileVirtualHost(vh: VirtualHost, rcLevel: Level, random: () => number, path: string, errs: Errors): CompiledVhostEntry {
  const vhost: CompiledVirtualHost = Object.freeze({ name: vh.name, requireTls: vh.require_tls });
  const level = levelMutations(vh, path, errs);
  const filters = Object.keys(vh.typed_per_filter_config).length
    ? new Map(Object.entries(vh.typed_per_filter_config))
    : EMPTY_FILTER_CONFIG;
  const retry = vh.retry_policy ? compileRetryPolicy(vh.retry_policy, random, `${path}.retry_policy`, errs) : undefined;
  const rateLimits = compileRateLimits(vh.rate_limits, path, errs);
  const defaults: VhostDefaults = { hashPolicy: vh.hash_policy, ...(retry ? { retry } : {}), ...(rateLimits.length > 0 ? { rateLimits } : {}) };
  const routes = vh.routes.map((r, i) =>
    compileRoute(r, vhost, level, rcLevel, filters, defaults, random, `${path}.routes[${i}]`, errs),
  );
  return { vhost, routes };
}

class RouteTableImpl implements RouteTable {
  constructor(
    readonly name: string,
    private readonly index: VirtualHostIndex<CompiledVhostEntry>,
    readonly internalOnlyHeaders: readonly string[],
    private readonly random: () => number,
    private readonly runtime: RuntimeSource | undefined,
  ) {}

  match(req: RouteRequest): RouteMatchResult | null {
    const vh = this.index.find(req.authority);
    if (vh === undefined) return null;
    const raw = req.path;
    let end = raw.indexOf('?');
    if (end < 0) end = raw.length;
    let pathOnly: string | undefined;
    // One random value per request shared by every runtime_fraction route, as Envoy uses the stream's.
    let draw = -1;
    let snapshot: RuntimeSnapshot | undefined;
    const routes = vh.routes;
    for (let i = 0; i < routes.length; i++) {
      const e = routes[i]!;
      const m = e.matcher;
      if (m.needsPathString && pathOnly === undefined) pathOnly = end === raw.length ? raw : raw.slice(0, end);
      if (!m.matchPath(raw, end, pathOnly, req.method)) continue;
      if (m.runtimeFraction >= 0 && draw < 0) {
        draw = this.random();
        snapshot = this.runtime?.snapshot();
      }
      if (!m.matchRest(req, raw, end, draw, snapshot)) continue;
      return e.result;
    }
    return null;
  }

  trace(req: RouteRequest): RouteTrace {
    const vh = this.index.find(req.authority);
    if (vh === undefined) return { steps: [] };
    const steps: RouteTraceStep[] = [];
    for (const e of vh.routes) {
      const mismatch = e.matcher.mismatch(req);
      const fraction = e.matcher.runtimeFraction >= 0 ? e.matcher.runtimeFraction : undefined;
      steps.push({ route: e.result.route, ...(mismatch !== undefined ? { mismatch } : {}), ...(fraction !== undefined ? { fraction } : {}) });
      if (mismatch === undefined && (fraction === undefined || fraction >= 1)) break;
    }
    return { virtualHost: vh.vhost, steps };
  }
}

/** A virtual host compiled against one route configuration (its header edits): what VHDS caches per resource. */
export interface CompiledVhost {
  readonly domains: readonly string[];
  readonly entry: CompiledVhostEntry;
}

function dropLeadingDot(errs: Errors): void {
  // Errors at route-config level carry a leading '.' from the empty base path.
  for (const e of errs) if (e.path.startsWith('.')) e.path = e.path.slice(1);
}

/**
 * A route configuration compiled once (its own header edits and inline virtual hosts), to which more virtual hosts
 * can be added (VHDS) without recompiling it: table() only builds the domain index. Throws RouteCompileError.
 */
export class RouteTableCompiler {
  private readonly random: () => number;
  private readonly runtime: RuntimeSource | undefined;
  private readonly rcLevel: Level;
  private readonly inline: CompiledVhost[] = [];

  constructor(
    private readonly rc: RouteConfiguration,
    opts?: CompileOptions,
  ) {
    this.random = opts?.random ?? Math.random;
    this.runtime = opts?.runtime;
    const errs: Errors = [];
    this.rcLevel = levelMutations(rc, '', errs);
    rc.virtual_hosts.forEach((vh, i) => {
      this.inline.push({ domains: vh.domains, entry: compileVirtualHost(vh, this.rcLevel, this.random, `virtual_hosts[${i}]`, errs) });
    });
    dropLeadingDot(errs);
    if (errs.length > 0) throw new RouteCompileError(errs);
  }

  /** One more virtual host under this route configuration's header edits; error paths start with `path`. */
  compileVirtualHost(vh: VirtualHost, path: string): Result<CompiledVhost> {
    const errs: Errors = [];
    const entry = compileVirtualHost(vh, this.rcLevel, this.random, path, errs);
    return errs.length > 0 ? { ok: false, errors: errs } : { ok: true, value: { domains: vh.domains, entry } };
  }

  /** The inline virtual hosts plus `extra` (domains must be unique across all of them: callers check). */
  table(extra: readonly CompiledVhost[] = []): RouteTable {
    const entries: [string, CompiledVhostEntry][] = [];
    for (const c of [...this.inline, ...extra]) for (const d of c.domains) entries.push([d, c.entry]);
    const internal = Object.freeze(this.rc.internal_only_headers.map((h) => h.toLowerCase()));
    return new RouteTableImpl(this.rc.name, new VirtualHostIndex(entries), internal, this.random, this.runtime);
  }
}

/** Compiles a validated RouteConfiguration; throws RouteCompileError listing every problem (e.g. an invalid regex). */
export function compileRouteTable(rc: RouteConfiguration, opts?: CompileOptions): RouteTable {
  return new RouteTableCompiler(rc, opts).table();
}

/** compileRouteTable returning a Result instead of throwing (for NACK messages). */
export function tryCompileRouteTable(rc: RouteConfiguration, opts?: CompileOptions): Result<RouteTable> {
  const c = tryRouteTableCompiler(rc, opts);
  return c.ok ? { ok: true, value: c.value.table() } : c;
}

/** A RouteTableCompiler, or the errors of the route configuration (for NACK messages). */
export function tryRouteTableCompiler(rc: RouteConfiguration, opts?: CompileOptions): Result<RouteTableCompiler> {
  try {
    return { ok: true, value: new RouteTableCompiler(rc, opts) };
  } catch (e) {
    if (e instanceof RouteCompileError) return { ok: false, errors: e.errors };
    throw e;
  }
}
