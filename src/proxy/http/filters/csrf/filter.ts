// HTTP filters: envoy.filters.http.csrf — a state-changing request must come from its own origin (Origin, else
// Referer, against Host) or an additional origin; 403 "Invalid origin" when enforced, counted in shadow mode.
import type { HttpFilterConfig } from '../../../config/types.js';
import type { FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import type { Counter } from '../../../telemetry/stats.js';
import type { RuntimeSource } from '../../../runtime-config/snapshot.js';
import { CompiledStringMatcher } from '../../../router/string-matcher.js';
import { firstHeader } from '../../../router/header-value.js';
import { resolveRuntimeFraction } from '../../../runtime-config/route-runtime.js';
import { CSRF_TYPE, type CsrfPolicy } from './config.js';
import { isModifyMethod, sourceOrigin, targetOrigin } from './origin.js';

/** A policy with its origin matchers compiled once. */
class CompiledPolicy {
  private readonly origins: CompiledStringMatcher[];

  constructor(readonly policy: CsrfPolicy) {
    // validated (regexes compiled) with the config, so no errors here
    this.origins = policy.additional_origins.map((m, i) => new CompiledStringMatcher(m, `additional_origins[${i}]`, []));
  }

  enabled(runtime: RuntimeSource | undefined, draw: number): boolean {
    return draw < resolveRuntimeFraction(runtime, this.policy.filter_enabled);
  }

  shadowEnabled(runtime: RuntimeSource | undefined, draw: number): boolean {
    const s = this.policy.shadow_enabled;
    return s !== undefined && draw < resolveRuntimeFraction(runtime, s);
  }

  /** Envoy's isValid: the source is the target origin or one of the additional origins. */
  valid(source: string, target: string): boolean {
    if (source === target) return true;
    for (const m of this.origins) if (m.match(source)) return true;
    return false;
  }
}

interface CsrfStats {
  readonly missingSourceOrigin: Counter;
  readonly requestInvalid: Counter;
  readonly requestValid: Counter;
}

export function csrfFilterFactory(config: CsrfPolicy, ctx: HttpFilterContext): HttpFilterFactory {
  const s = ctx.stats.scope('csrf');
  const stats: CsrfStats = { missingSourceOrigin: s.counter('missing_source_origin'), requestInvalid: s.counter('request_invalid'), requestValid: s.counter('request_valid') };
  const base = new CompiledPolicy(config);
  const perRoute = new WeakMap<CsrfPolicy, CompiledPolicy>();
  const policyFor = (cfg: HttpFilterConfig | undefined): CompiledPolicy => {
    if (cfg === undefined || cfg['@type'] !== CSRF_TYPE) return base;
    const p = cfg as CsrfPolicy;
    let c = perRoute.get(p);
    if (c === undefined) perRoute.set(p, (c = new CompiledPolicy(p)));
    return c;
  };
  return (cb) => new CsrfFilter(policyFor, stats, ctx.random, cb);
}

class CsrfFilter implements HttpFilter {
  constructor(
    private readonly policyFor: (cfg: HttpFilterConfig | undefined) => CompiledPolicy,
    private readonly stats: CsrfStats,
    private readonly random: () => number,
    private readonly cb: FilterCallbacks,
  ) {}

  decodeHeaders(req: RequestHead): HeadersStatus {
    const policy = this.policyFor(this.cb.perRouteConfig<HttpFilterConfig>());
    const runtime = this.cb.stream.cm.ctx.runtime;
    const enabled = policy.enabled(runtime, this.random());
    const shadow = policy.shadowEnabled(runtime, this.random());
    if ((!enabled && !shadow) || !isModifyMethod(req.method)) return 'continue';
    const stats = this.stats;
    const source = sourceOrigin(firstHeader(req.headers, 'origin'), firstHeader(req.headers, 'referer'));
    let valid = true;
    if (source === '') {
      valid = false;
      stats.missingSourceOrigin.inc();
    }
    if (!policy.valid(source, targetOrigin(req.scheme, req.authority))) {
      valid = false;
      stats.requestInvalid.inc();
    }
    if (valid) {
      stats.requestValid.inc();
      return 'continue';
    }
    if (!enabled) return 'continue'; // shadow mode: counted, not enforced
    this.cb.sendLocalReply(403, 'Invalid origin', { details: 'csrf_origin_mismatch' });
    return 'stop';
  }
}
