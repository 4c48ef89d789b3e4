// HTTP filters: envoy.filters.http.rbac — checks each request's headers against the enforced rules (403 on deny)
// and the shadow rules (counted and recorded in dynamic metadata only), with RBACPerRoute overrides.
import type { HttpFilterConfig } from '../../../config/types.js';
import type { ActiveStream } from '../../active-stream.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { RbacAttributes } from '../../../rbac/attributes.js';
import { RbacEngine, RbacMetadataKeys, rbacDeniedDetails } from '../../../rbac/engine.js';
import { RbacStats } from '../../../rbac/stats.js';
import type { RbacConfig } from '../../../rbac/types.js';
import { RBAC_PER_ROUTE_TYPE, type HttpRbacConfig, type HttpRbacPerRoute, type HttpRbacSettings } from './config.js';

/** Dynamic metadata namespace Envoy's HTTP RBAC filter writes (whatever the filter is named in the chain). */
export const RBAC_METADATA_NAMESPACE = 'envoy.filters.http.rbac';

/** One RBAC message compiled: the engines and what names its metadata keys and per-policy stats. */
interface Compiled {
  readonly enforced: RbacEngine | undefined;
  readonly shadow: RbacEngine | undefined;
  readonly rulesPrefix: string;
  readonly shadowPrefix: string;
  readonly perPolicy: boolean;
}

const engines = new WeakMap<RbacConfig, RbacEngine>();

/** Engines are compiled once per validated config object, shared by every HCM and route that holds it. */
function engineOf(rules: RbacConfig | undefined, path: string): RbacEngine | undefined {
  if (rules === undefined) return undefined;
  let e = engines.get(rules);
  if (e === undefined) {
    e = RbacEngine.compileValidated(rules, path);
    engines.set(rules, e);
  }
  return e;
}

function compile(s: HttpRbacSettings, base: Compiled | undefined): Compiled {
  return {
    enforced: engineOf(s.rules, 'rules'),
    shadow: engineOf(s.shadow_rules, 'shadow_rules'),
    // a route's empty prefix keeps the filter's one for metadata keys (Envoy)
    rulesPrefix: s.rules_stat_prefix !== '' || base === undefined ? s.rules_stat_prefix : base.rulesPrefix,
    shadowPrefix: s.shadow_rules_stat_prefix !== '' || base === undefined ? s.shadow_rules_stat_prefix : base.shadowPrefix,
    perPolicy: s.track_per_rule_stats,
  };
}

/** The L7 attributes of one request: the stream's headers, addresses, TLS peer and dynamic metadata. */
export function httpRbacAttributes(stream: ActiveStream): RbacAttributes {
  const conn = stream.conn;
  return {
    request: stream,
    sourceIp: conn.remoteAddress,
    directRemoteIp: conn.remoteAddress,
    remoteIp: stream.clientIp,
    destinationIp: conn.localAddress,
    destinationPort: conn.localPort,
    sni: conn.tls?.sni,
    tls: conn.tls,
    dynamicMetadata: stream.dynamicMetadata,
  };
}

/** Per filter in an HCM chain: its compiled rules and stats; route overrides compiled on first use. */
class RbacShared {
  readonly base: Compiled;
  readonly stats: RbacStats;
  private readonly perRoute = new WeakMap<HttpRbacPerRoute, Compiled>();

  constructor(config: HttpRbacConfig, ctx: HttpFilterContext) {
    this.base = compile(config, undefined);
    // stats always carry the filter's prefixes, even for routes that override the rules (Envoy)
    this.stats = new RbacStats(ctx.stats.scope('rbac'), config.rules_stat_prefix, config.shadow_rules_stat_prefix);
  }

  forRoute(cfg: HttpFilterConfig | undefined): Compiled {
    if (cfg === undefined || cfg['@type'] !== RBAC_PER_ROUTE_TYPE) return this.base;
    const pr = cfg as HttpRbacPerRoute;
    let c = this.perRoute.get(pr);
    if (c === undefined) {
      c = pr.rbac === undefined ? { enforced: undefined, shadow: undefined, rulesPrefix: '', shadowPrefix: '', perPolicy: false } : compile(pr.rbac, this.base);
      this.perRoute.set(pr, c);
    }
    return c;
  }
}

export function rbacFilterFactory(config: HttpRbacConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = new RbacShared(config, ctx);
  return (cb) => new RbacFilter(shared, cb);
}

class RbacFilter implements HttpFilter {
  constructor(
    private readonly shared: RbacShared,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(): HeadersStatus {
    const cb = this.cb;
    const c = this.shared.forRoute(cb.perRouteConfig<HttpFilterConfig>());
    if (c.enforced === undefined && c.shadow === undefined) return 'continue';
    const stats = this.shared.stats;
    const attrs = httpRbacAttributes(cb.stream);
    const md: Record<string, unknown> = {};
    if (c.shadow !== undefined) {
      const d = c.shadow.evaluate(attrs);
      stats.shadow(d.allowed, d.matchedPolicy, c.perPolicy);
      if (d.matchedPolicy !== undefined) md[c.shadowPrefix + RbacMetadataKeys.shadowEffectivePolicyId] = d.matchedPolicy;
      md[c.shadowPrefix + RbacMetadataKeys.shadowEngineResult] = d.allowed ? 'allowed' : 'denied';
    }
    if (c.enforced === undefined) {
      cb.setDynamicMetadata(RBAC_METADATA_NAMESPACE, md);
      return 'continue';
    }
    const d = c.enforced.evaluate(attrs);
    if (d.logHint !== undefined) cb.setDynamicMetadata(RbacMetadataKeys.commonNamespace, { [RbacMetadataKeys.accessLogHint]: d.logHint });
    if (d.matchedPolicy !== undefined) md[c.rulesPrefix + RbacMetadataKeys.enforcedEffectivePolicyId] = d.matchedPolicy;
    md[c.rulesPrefix + RbacMetadataKeys.enforcedEngineResult] = d.allowed ? 'allowed' : 'denied';
    cb.setDynamicMetadata(RBAC_METADATA_NAMESPACE, md);
    stats.enforced(d.allowed, d.matchedPolicy, c.perPolicy);
    if (d.allowed) return 'continue';
    cb.sendLocalReply(403, 'RBAC: access denied', { details: rbacDeniedDetails(d.matchedPolicy) });
    return 'stop';
  }
}
