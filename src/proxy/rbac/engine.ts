// RBAC evaluation stage: one compiled envoy.config.rbac.v3.RBAC — decides allow/deny (and LOG's access_log_hint)
// for a request or a connection. Shared by the HTTP filter and a network filter.
import type { Errors } from '../router/compile-errors.js';
import { RouteCompileError } from '../router/compile-errors.js';
import type { RbacAttributes } from './attributes.js';
import { EvalContext, anyOf, compilePermission, compilePrincipal, type Predicate } from './compile.js';
import type { RbacAction, RbacConfig } from './types.js';

export interface RbacDecision {
  /** ALLOW: some policy matched; DENY: none did; LOG: always. */
  readonly allowed: boolean;
  /** The first matching policy in lexicographic order of name (Envoy's effective policy id), if any. */
  readonly matchedPolicy: string | undefined;
  /** LOG only: the access_log_hint value to set under 'envoy.common' (whether a policy matched). */
  readonly logHint: boolean | undefined;
}

interface CompiledPolicy {
  readonly name: string;
  readonly permissions: Predicate;
  readonly principals: Predicate;
}

export class RbacEngine {
  private constructor(
    readonly action: RbacAction,
    private readonly policies: readonly CompiledPolicy[],
  ) {}

  /** Compiles a validated config; regex problems go to `errs` with their paths below `path`. */
  static compile(config: RbacConfig, path: string, errs: Errors): RbacEngine {
    const names = Object.keys(config.policies).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const policies = names.map((name): CompiledPolicy => {
      const p = config.policies[name]!;
      const at = `${path}.policies[${JSON.stringify(name)}]`;
      return {
        name,
        permissions: anyOf(p.permissions.map((x, i) => compilePermission(x, `${at}.permissions[${i}]`, errs))),
        principals: anyOf(p.principals.map((x, i) => compilePrincipal(x, `${at}.principals[${i}]`, errs))),
      };
    });
    return new RbacEngine(config.action, policies);
  }

  /** compile() for a config that was already compiled once during validation: an error here is a bug. */
  static compileValidated(config: RbacConfig, path: string): RbacEngine {
    const errs: Errors = [];
    const e = RbacEngine.compile(config, path, errs);
    if (errs.length > 0) throw new RouteCompileError(errs);
    return e;
  }

  /** Name of the first policy (lexicographic) whose permissions and principals both match. */
  matchingPolicy(attrs: RbacAttributes): string | undefined {
    const c = new EvalContext(attrs);
    const ps = this.policies;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      if (p.permissions(c) && p.principals(c)) return p.name;
    }
    return undefined;
  }

  evaluate(attrs: RbacAttributes): RbacDecision {
    const matchedPolicy = this.matchingPolicy(attrs);
    const matched = matchedPolicy !== undefined;
    switch (this.action) {
      case 'ALLOW':
        return { allowed: matched, matchedPolicy, logHint: undefined };
      case 'DENY':
        return { allowed: !matched, matchedPolicy, logHint: undefined };
      default:
        return { allowed: true, matchedPolicy, logHint: matched };
    }
  }
}

/** Envoy's response/termination details for a denial: whitespace in the policy name becomes '_'. */
export function rbacDeniedDetails(policy: string | undefined): string {
  return `rbac_access_denied_matched_policy[${policy === undefined ? 'none' : policy.replace(/\s/g, '_')}]`;
}

/** Dynamic metadata keys Envoy's RBAC filters emit. */
export const RbacMetadataKeys = {
  shadowEffectivePolicyId: 'shadow_effective_policy_id',
  shadowEngineResult: 'shadow_engine_result',
  enforcedEffectivePolicyId: 'enforced_effective_policy_id',
  enforcedEngineResult: 'enforced_engine_result',
  accessLogHint: 'access_log_hint',
  /** Namespace of access_log_hint, shared by every filter. */
  commonNamespace: 'envoy.common',
} as const;
