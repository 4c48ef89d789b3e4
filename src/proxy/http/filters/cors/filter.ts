// HTTP filters: envoy.filters.http.cors — answers preflights locally and adds CORS headers to responses,
// following the per-route / per-virtual-host CorsPolicy (typed_per_filter_config under the filter's name).
import type { CorsConfig, CorsPolicy } from '../../../config/types.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { Counter } from '../../../telemetry/stats.js';
import { corsMode } from './enablement.js';
import type { HeaderMap } from '../../../router/types.js';
import { CompiledStringMatcher } from '../../../router/string-matcher.js';
import { CORS_POLICY_TYPE } from './config.js';

/** A policy with its origin matchers compiled once. */
export class CompiledCorsPolicy {
  private readonly origins: CompiledStringMatcher[];

  constructor(readonly policy: CorsPolicy) {
    // matchers were validated with the config (including regexes), so compile errors cannot occur here
    this.origins = policy.allow_origin_string_match.map((m, i) => new CompiledStringMatcher(m, `allow_origin_string_match[${i}]`, []));
  }

  allowsOrigin(origin: string): boolean {
    return this.origins.some((m) => m.match(origin));
  }

  /** A non-matching preflight goes upstream unless forward_not_matching_preflights is false (Envoy's default: true). */
  get forwardsUnmatchedPreflights(): boolean {
    return this.policy.forward_not_matching_preflights !== false;
  }

  /**
   * Headers of the local 200 reply to a preflight; `origin` undefined for one whose origin did not match (Envoy
   * still sends the policy's other headers but no allow-origin, so the browser refuses the actual request).
   */
  preflightHeaders(origin: string | undefined): HeaderMap {
    const p = this.policy;
    const h: HeaderMap = origin !== undefined ? { 'access-control-allow-origin': origin } : {};
    if (p.allow_credentials === true) h['access-control-allow-credentials'] = 'true';
    if (p.allow_methods !== undefined && p.allow_methods !== '') h['access-control-allow-methods'] = p.allow_methods;
    if (p.allow_headers !== undefined && p.allow_headers !== '') h['access-control-allow-headers'] = p.allow_headers;
    if (p.max_age !== undefined && p.max_age !== '') h['access-control-max-age'] = p.max_age;
    return h;
  }

  /** Headers added to the response of a non-preflight request from an allowed origin. */
  responseHeaders(origin: string): HeaderMap {
    const p = this.policy;
    const h: HeaderMap = { 'access-control-allow-origin': origin };
    if (p.allow_credentials === true) h['access-control-allow-credentials'] = 'true';
    if (p.expose_headers !== undefined && p.expose_headers !== '') h['access-control-expose-headers'] = p.expose_headers;
    return h;
  }
}

export type CorsDecision = { kind: 'none' } | { kind: 'preflight'; headers: HeaderMap } | { kind: 'simple'; headers: HeaderMap };

/** Envoy's decision for one request: method, origin and access-control-request-method headers (`allowed` if already known). */
export function decideCors(
  policy: CompiledCorsPolicy | undefined,
  method: string,
  origin: string | undefined,
  requestMethod: string | undefined,
  allowed = policy !== undefined && origin !== undefined && policy.allowsOrigin(origin),
): CorsDecision {
  if (policy === undefined || origin === undefined || origin === '') return { kind: 'none' };
  const preflight = method === 'OPTIONS' && requestMethod !== undefined && requestMethod !== '';
  if (preflight && (allowed || !policy.forwardsUnmatchedPreflights)) return { kind: 'preflight', headers: policy.preflightHeaders(allowed ? origin : undefined) };
  return allowed ? { kind: 'simple', headers: policy.responseHeaders(origin) } : { kind: 'none' };
}

function header(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** What the filter instances of one chain share: compiled policies, cors.* stats, randomness and the runtime. */
interface CorsShared {
  policyOf(cfg: CorsPolicy | undefined): CompiledCorsPolicy | undefined;
  originValid: Counter;
  originInvalid: Counter;
  random: () => number;
}

/** Policies compiled once per config object, shared by every request of the chain. */
export function corsFilterFactory(_config: CorsConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const compiled = new WeakMap<CorsPolicy, CompiledCorsPolicy>();
  const policyOf = (cfg: CorsPolicy | undefined): CompiledCorsPolicy | undefined => {
    if (cfg === undefined || cfg['@type'] !== CORS_POLICY_TYPE) return undefined;
    let c = compiled.get(cfg);
    if (c === undefined) {
      c = new CompiledCorsPolicy(cfg);
      compiled.set(cfg, c);
    }
    return c;
  };
  const shared: CorsShared = {
    policyOf,
    originValid: ctx.stats.counter('cors', 'origin_valid'),
    originInvalid: ctx.stats.counter('cors', 'origin_invalid'),
    random: ctx.random,
  };
  return (cb) => new CorsFilter(cb, shared);
}

class CorsFilter implements HttpFilter {
  /** Headers for the response of an allowed cross-origin request. */
  private responseHeaders: HeaderMap | undefined;

  constructor(
    private readonly cb: FilterCallbacks,
    private readonly shared: CorsShared,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const sh = this.shared;
    const policy = sh.policyOf(this.cb.perRouteConfig<CorsPolicy>());
    const origin = header(req.headers, 'origin');
    if (policy === undefined || origin === undefined || origin === '') return 'continue';
    const mode = corsMode(policy.policy, this.cb.stream.cm.ctx.runtime, sh.random);
    if (mode === 'off') return 'continue';
    const allowed = policy.allowsOrigin(origin);
    (allowed ? sh.originValid : sh.originInvalid).inc();
    if (mode === 'shadow') return 'continue';
    const d = decideCors(policy, req.method, origin, header(req.headers, 'access-control-request-method'), allowed);
    if (d.kind === 'preflight') {
      this.cb.sendLocalReply(200, '', { headers: d.headers });
      return 'stop';
    }
    if (d.kind === 'simple') this.responseHeaders = d.headers;
    return 'continue';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    const add = this.responseHeaders;
    if (add !== undefined) for (const k in add) if (add[k] !== undefined) res.headers[k] = add[k];
    return 'continue';
  }
}
