// Router compile stage: one route's RouteMatch (path specifier, headers, query, grpc, runtime fraction) compiled once.
import type { RouteMatch } from '../config/types.js';
import type { RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import { CompiledHeaderMatcher, matchAllHeaders } from './header-matcher.js';
import { CompiledQueryMatcher } from './query-matcher.js';
import type { Re2 } from '../../common/re2.js';
import { compileRegex } from './regex.js';
import { asciiLower, equalsRange, startsWithRange } from './path.js';
import { firstHeader } from './header-value.js';
import type { RuntimeSnapshot } from '../runtime-config/snapshot.js';

export const PM_PREFIX = 0;
export const PM_PATH = 1;
export const PM_REGEX = 2;
export const PM_SEPARATED = 3;
/** connect_matcher: CONNECT requests only, whatever their path (HTTP/1.1 CONNECT has none). */
export const PM_CONNECT = 4;

const GRPC = 'application/grpc';

/** Envoy's Grpc::Common::hasGrpcContentType: exactly application/grpc or application/grpc+<codec>. */
export function isGrpcContentType(ct: string | undefined): boolean {
  return ct !== undefined && ct.startsWith(GRPC) && (ct.length === GRPC.length || ct.charCodeAt(GRPC.length) === 43);
}

export class CompiledRouteMatch {
  readonly kind: number;
  /** The configured prefix/path (lower-cased when case-insensitive). */
  readonly value: string;
  readonly ignoreCase: boolean;
  /** True when matching needs the path as its own string (regex). */
  readonly needsPathString: boolean;
  /** Fraction in [0,1] or -1 when the route has no runtime_fraction. */
  readonly runtimeFraction: number;
  /** runtime_fraction.runtime_key ('' = none): the runtime may replace the fraction. */
  readonly runtimeKey: string;
  private readonly re: Re2 | undefined;
  /** The path specifier as configured, for explanations: `prefix "/api"`, `safe_regex "…"`. */
  readonly pathSpec: string;
  private readonly headers: readonly CompiledHeaderMatcher[];
  private readonly query: readonly CompiledQueryMatcher[];
  private readonly grpc: boolean;

  constructor(m: RouteMatch, path: string, errs: Errors) {
    const ps = m.path_specifier;
    this.ignoreCase = !m.case_sensitive && ps.kind !== 'safe_regex';
    this.kind =
      ps.kind === 'prefix' ? PM_PREFIX : ps.kind === 'path' ? PM_PATH : ps.kind === 'safe_regex' ? PM_REGEX : ps.kind === 'connect_matcher' ? PM_CONNECT : PM_SEPARATED;
    if (ps.kind === 'safe_regex') {
      this.value = '';
      this.re = compileRegex(ps.regex, `${path}.safe_regex.regex`, errs);
    } else if (ps.kind === 'connect_matcher') {
      this.value = '';
      this.re = undefined;
    } else {
      this.value = this.ignoreCase ? asciiLower(ps.value) : ps.value;
      this.re = undefined;
    }
    this.needsPathString = this.re !== undefined;
    this.pathSpec = ps.kind === 'connect_matcher' ? 'connect_matcher' : `${ps.kind} ${JSON.stringify(ps.kind === 'safe_regex' ? ps.regex : ps.value)}${this.ignoreCase ? ' (case-insensitive)' : ''}`;
    this.headers = m.headers.map((h, i) => new CompiledHeaderMatcher(h, `${path}.headers[${i}]`, errs));
    this.query = m.query_parameters.map((q, i) => new CompiledQueryMatcher(q, `${path}.query_parameters[${i}]`, errs));
    this.grpc = m.grpc;
    this.runtimeFraction = m.runtime_fraction ? m.runtime_fraction.fraction : -1;
    this.runtimeKey = m.runtime_fraction?.runtime_key ?? '';
  }

  /**
   * Path specifier against raw[0..end) (the path without its query); `pathOnly` is set when needsPathString.
   * A request without a path (CONNECT) only matches connect_matcher, as Envoy's pathless requests do.
   */
  matchPath(raw: string, end: number, pathOnly: string | undefined, method = ''): boolean {
    if (this.kind === PM_CONNECT) return method === 'CONNECT';
    if (raw.length === 0) return false;
    switch (this.kind) {
      case PM_PREFIX:
        return startsWithRange(raw, end, this.value, this.ignoreCase);
      case PM_PATH:
        return equalsRange(raw, end, this.value, this.ignoreCase);
      case PM_SEPARATED:
        // Exactly the prefix, or the prefix followed by '/': /api/dev matches /api/dev/x but not /api/developer.
        return (
          startsWithRange(raw, end, this.value, this.ignoreCase) &&
          (end === this.value.length || raw.charCodeAt(this.value.length) === 47)
        );
      default:
        return this.re!.fullMatch(pathOnly!);
    }
  }

  /**
   * Everything but the path: headers, query parameters, grpc, runtime fraction.
   * `draw` is the request's one random value in [0,1) (Envoy uses one per stream for all routes).
   */
  matchRest(req: RouteRequest, raw: string, end: number, draw: number, runtime?: RuntimeSnapshot): boolean {
    if (this.headers.length !== 0 && !matchAllHeaders(this.headers, req)) return false;
    if (this.query.length !== 0) {
      const qs = end < raw.length ? end + 1 : raw.length;
      for (let i = 0; i < this.query.length; i++) if (!this.query[i]!.matches(raw, qs)) return false;
    }
    if (this.grpc && !isGrpcContentType(firstHeader(req.headers, 'content-type'))) return false;
    if (this.runtimeFraction >= 0) {
      // Envoy's featureEnabled(runtime_key, default_value): the runtime's value (percent or FractionalPercent) wins
      const f = runtime === undefined || this.runtimeKey === '' ? this.runtimeFraction : runtime.fraction(this.runtimeKey, this.runtimeFraction);
      if (!(draw < f)) return false;
    }
    return true;
  }

  /**
   * Why this route does not take `req` (the first condition that fails), or undefined when it does: what `trellis
   * explain` prints. A runtime_fraction is not drawn here; the caller reports it as a share of requests.
   */
  mismatch(req: RouteRequest): string | undefined {
    const raw = req.path;
    const q = raw.indexOf('?');
    const end = q < 0 ? raw.length : q;
    if (!this.matchPath(raw, end, raw.slice(0, end), req.method)) return `path ${JSON.stringify(raw.slice(0, end))} is not ${this.pathSpec}`;
    for (const h of this.headers) if (!h.matchesRequest(req)) return `header ${h.name} does not match (${h.name}: ${JSON.stringify(firstHeader(req.headers, h.name) ?? '(absent)')})`;
    const qs = end < raw.length ? end + 1 : raw.length;
    for (const m of this.query) if (!m.matches(raw, qs)) return `query parameter ${m.name} does not match`;
    if (this.grpc && !isGrpcContentType(firstHeader(req.headers, 'content-type'))) return 'not a gRPC request (content-type)';
    return undefined;
  }
}
