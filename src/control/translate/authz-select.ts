// Translate stage: which AuthorizationPolicies and RequestAuthentications apply to a proxy — Istio's scoping by the root
// namespace (mesh-wide), the proxy's namespace, and selector.matchLabels against the workload's labels.
import type { AuthorizationPolicy, RequestAuthentication } from '../../api/types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { labelsMatch } from './scope.js';

type Scoped = { metadata: { namespace: string }; spec: { selector?: { matchLabels?: Record<string, string> }; targetRef?: unknown; targetRefs?: unknown[] } };

/** Root-namespace policies apply in every namespace, the others in their own; a selector narrows to matching workloads. */
export function applies(r: Scoped, proxy: ProxyNode, rootNamespace: string): boolean {
  const ns = r.metadata.namespace;
  if (ns !== rootNamespace && ns !== proxy.namespace) return false;
  // targetRef policies attach to Gateway API resources, which trellis does not serve (apply refuses them)
  if (r.spec.targetRef !== undefined || (r.spec.targetRefs?.length ?? 0) > 0) return false;
  return labelsMatch(r.spec.selector?.matchLabels, proxy.labels);
}

/** In snapshot order (namespace/name), as the names of the generated RBAC policies sort anyway. */
export function authorizationPoliciesFor(proxy: ProxyNode, snap: Snapshot): AuthorizationPolicy[] {
  return snap.authorizationPolicies.filter((p) => applies(p, proxy, snap.rootNamespace));
}

export function requestAuthenticationsFor(proxy: ProxyNode, snap: Snapshot): RequestAuthentication[] {
  return snap.requestAuthentications.filter((r) => applies(r, proxy, snap.rootNamespace));
}

/** Istio's dry-run annotation: the policy is evaluated in shadow mode and never enforced. */
export function isDryRun(p: AuthorizationPolicy): boolean {
  return p.metadata.annotations?.['istio.io/dry-run'] === 'true';
}
