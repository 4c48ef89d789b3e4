// RBAC telemetry: Envoy's RBAC counters below a filter's `rbac.` scope — allowed/denied under the rules prefix,
// shadow_allowed/shadow_denied under the shadow prefix, and optional per-policy counters.
import type { Counter, StatsScope } from '../telemetry/stats.js';

/** A user stat prefix as name segments ("a.b." and "a.b" name the same scope, as Envoy's statPrefixJoin). */
export function statPrefixSegments(prefix: string): string[] {
  return prefix.split('.').filter((s) => s !== '');
}

class PolicyCounters {
  private readonly byPolicy = new Map<string, Counter>();
  constructor(
    private readonly scope: StatsScope,
    private readonly name: string,
  ) {}
  /** `<prefix>.policy.<policy>.<name>`; one counter per policy name, made on first use. */
  inc(policy: string): void {
    let c = this.byPolicy.get(policy);
    if (c === undefined) {
      c = this.scope.scope(...statPrefixSegments(policy)).counter(this.name);
      this.byPolicy.set(policy, c);
    }
    c.inc();
  }
}

export class RbacStats {
  readonly allowed: Counter;
  readonly denied: Counter;
  readonly shadowAllowed: Counter;
  readonly shadowDenied: Counter;
  private readonly policyAllowed: PolicyCounters;
  private readonly policyDenied: PolicyCounters;
  private readonly policyShadowAllowed: PolicyCounters;
  private readonly policyShadowDenied: PolicyCounters;

  /** `rbac` is the filter's `…rbac.` scope (http.<hcm prefix>.rbac. or <stat_prefix>.rbac.). */
  constructor(rbac: StatsScope, rulesPrefix: string, shadowPrefix: string) {
    const rules = rbac.scope(...statPrefixSegments(rulesPrefix));
    const shadow = rbac.scope(...statPrefixSegments(shadowPrefix));
    this.allowed = rules.counter('allowed');
    this.denied = rules.counter('denied');
    this.shadowAllowed = shadow.counter('shadow_allowed');
    this.shadowDenied = shadow.counter('shadow_denied');
    const rulesPolicy = rules.scope('policy');
    const shadowPolicy = shadow.scope('policy');
    this.policyAllowed = new PolicyCounters(rulesPolicy, 'allowed');
    this.policyDenied = new PolicyCounters(rulesPolicy, 'denied');
    this.policyShadowAllowed = new PolicyCounters(shadowPolicy, 'shadow_allowed');
    this.policyShadowDenied = new PolicyCounters(shadowPolicy, 'shadow_denied');
  }

  /** Counts an enforced decision; `policy` (the matched one) also counts per policy when tracking is on. */
  enforced(allowed: boolean, policy: string | undefined, perPolicy: boolean): void {
    (allowed ? this.allowed : this.denied).inc();
    if (perPolicy && policy !== undefined) (allowed ? this.policyAllowed : this.policyDenied).inc(policy);
  }

  shadow(allowed: boolean, policy: string | undefined, perPolicy: boolean): void {
    (allowed ? this.shadowAllowed : this.shadowDenied).inc();
    if (perPolicy && policy !== undefined) (allowed ? this.policyShadowAllowed : this.policyShadowDenied).inc(policy);
  }
}
