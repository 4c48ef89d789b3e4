// HTTP filters: envoy.filters.http.jwt_authn — picks a requirement per request, verifies its JWTs, continues or replies 401/403.
import type { Counter, StatsScope } from '../../../telemetry/stats.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { HeaderMap } from '../../../router/types.js';
import { CompiledRouteMatch } from '../../../router/route-matcher.js';
import { asyncHttpCall } from '../../../upstream/async-client.js';
import { JWT_PER_ROUTE_TYPE, type JwtAuthnConfig, type JwtPerRouteConfig } from './config.js';
import { ProviderSet } from './provider.js';
import type { ClusterCall } from './key-source.js';
import { buildVerifier, type Verifier } from './verifier.js';
import { VerifyContext } from './authenticator.js';
import { Status, httpStatusFor, isSync, rcDetails } from './status.js';

/** Dynamic metadata namespace for verified payloads and headers. */
export const METADATA_NAMESPACE = 'envoy.filters.http.jwt_authn';
/** Envoy cuts the path in the realm of WWW-Authenticate to this many characters. */
const MAX_REALM_PATH = 256;

/** What the compiled config needs from the proxy: the HCM's stats scope, randomness, the clock, cluster calls. */
export interface SharedDeps {
  readonly stats: StatsScope;
  readonly random: () => number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly call: ClusterCall;
}

interface Rule {
  readonly match: CompiledRouteMatch;
  /** undefined: matching requests are not verified. */
  readonly verifier: Verifier | undefined;
}

function first(h: HeaderMap, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** Everything one filter config compiles to, shared by the requests of its chain. */
export class JwtAuthnShared {
  readonly rules: Rule[];
  readonly byName = new Map<string, Verifier>();
  readonly allNames: string;
  readonly allowed: Counter;
  readonly denied: Counter;
  readonly corsBypassed: Counter;
  readonly providers: ProviderSet;
  readonly now: () => number;

  constructor(
    readonly config: JwtAuthnConfig,
    deps: SharedDeps,
  ) {
    this.now = deps.now;
    const s = deps.stats.scope('jwt_authn');
    this.allowed = s.counter('allowed');
    this.denied = s.counter('denied');
    this.corsBypassed = s.counter('cors_preflight_bypassed');
    this.providers = new ProviderSet(config.providers, {
      call: deps.call,
      fetchSuccess: s.counter('jwks_fetch_success'),
      fetchFailed: s.counter('jwks_fetch_failed'),
      now: deps.now,
      random: deps.random,
    });
    for (const [name, req] of Object.entries(config.requirement_map)) this.byName.set(name, buildVerifier(req, this.providers));
    this.allNames = [...this.byName.keys()].sort().join(',');
    // Matchers were validated (regexes included) with the config, so compiling cannot fail here.
    this.rules = config.rules.map((r, i) => ({
      match: new CompiledRouteMatch(r.match, `rules[${i}].match`, []),
      verifier: r.requires === undefined ? undefined : buildVerifier(r.requires, this.providers),
    }));
  }

  /** The first rule matching the request decides; no match = nothing to verify. */
  ruleVerifier(req: RequestHead): Verifier | undefined {
    const raw = req.path;
    let end = raw.indexOf('?');
    if (end < 0) end = raw.length;
    let pathOnly: string | undefined;
    for (const r of this.rules) {
      const m = r.match;
      if (m.needsPathString && pathOnly === undefined) pathOnly = raw.slice(0, end);
      if (m.matchPath(raw, end, pathOnly) && m.matchRest(req, raw, end, 0)) return r.verifier;
    }
    return undefined;
  }
}

export function jwtAuthnFilterFactory(config: JwtAuthnConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new JwtAuthnShared(config, {
    stats: ctx.stats,
    random: ctx.random,
    now: Date.now,
    call: (cluster, req, opts, cb) => asyncHttpCall(ctx.clusters, ctx.pools, cluster, req, opts, cb),
  });
  return (cb) => new JwtAuthnFilter(shared, cb);
}

function isCorsPreflight(req: RequestHead): boolean {
  const origin = first(req.headers, 'origin');
  const method = first(req.headers, 'access-control-request-method');
  return req.method === 'OPTIONS' && origin !== undefined && origin !== '' && method !== undefined && method !== '';
}

export class JwtAuthnFilter implements HttpFilter {
  private ctx: VerifyContext | undefined;
  private realm = '';
  private destroyed = false;

  constructor(
    private readonly shared: JwtAuthnShared,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const shared = this.shared;
    if (shared.config.bypass_cors_preflight && isCorsPreflight(req)) {
      // A preflight carries no credentials: it passes whatever the requirements say.
      shared.corsBypassed.inc();
      shared.allowed.inc();
      return 'continue';
    }
    let verifier: Verifier | undefined;
    const perRoute = this.cb.perRouteConfig<JwtPerRouteConfig>();
    if (perRoute !== undefined && perRoute['@type'] === JWT_PER_ROUTE_TYPE) {
      if (!perRoute.disabled) {
        verifier = shared.byName.get(perRoute.requirement_name);
        if (verifier === undefined) {
          const msg = `Wrong requirement_name: ${perRoute.requirement_name}. It should be one of [${shared.allNames}]`;
          shared.denied.inc();
          this.cb.sendLocalReply(403, shared.config.strip_failure_response ? '' : `Failed JWT authentication: ${msg}`, { details: rcDetails(msg) });
          return 'stop';
        }
      }
    } else verifier = shared.ruleVerifier(req);
    if (verifier === undefined) {
      shared.allowed.inc();
      return 'continue';
    }
    const path = first(req.headers, 'x-envoy-original-path') ?? req.path;
    const proto = first(req.headers, 'x-forwarded-proto') ?? req.scheme;
    this.realm = `${proto}://${req.authority}${path.length > MAX_REALM_PATH ? path.slice(0, MAX_REALM_PATH) : path}`;
    const ctx = (this.ctx = new VerifyContext(req, Math.floor(shared.now() / 1000)));
    const r = verifier.verify(ctx);
    if (isSync(r)) return this.complete(r) ? 'continue' : 'stop';
    void r.then((s) => {
      if (!this.destroyed && this.complete(s)) this.cb.continueDecoding();
    });
    return 'stop';
  }

  /** Applies the outcome; true when the request may go on. */
  private complete(s: Status): boolean {
    const ctx = this.ctx!;
    ctx.done = true;
    const shared = this.shared;
    if (ctx.extracted !== undefined) this.cb.setDynamicMetadata(METADATA_NAMESPACE, ctx.extracted);
    if (s === Status.Ok) {
      shared.allowed.inc();
      if (ctx.clearRouteCache) this.cb.clearRouteCache();
      return true;
    }
    shared.denied.inc();
    const details = rcDetails(s);
    if (shared.config.strip_failure_response) this.cb.sendLocalReply(httpStatusFor(s), '', { details });
    else {
      // A missing token only gets the challenge; any other failure also says the token was invalid (RFC 6750).
      const challenge = `Bearer realm="${this.realm}"${s === Status.JwtMissed ? '' : ', error="invalid_token"'}`;
      this.cb.sendLocalReply(httpStatusFor(s), s, { headers: { 'www-authenticate': challenge }, details });
    }
    return false;
  }

  onDestroy(): void {
    // A JWKS fetch under way is shared with other requests: it is left to finish and fill the cache.
    this.destroyed = true;
    if (this.ctx !== undefined) this.ctx.done = true;
  }
}
