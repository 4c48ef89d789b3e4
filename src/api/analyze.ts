// API stage: analyze() — istioctl-analyze equivalent over a set of resources (and optionally known workloads): schema errors plus cross-resource checks.
import { analyzeGatewayCredentials } from './analyze-credentials.js';
import { analyzeDelegates } from './analyze-delegates.js';
import { analyzeDestinationRule, analyzeDestinationRuleConflicts, analyzeGateway } from './analyze-rules.js';
import { analyzeMeshHostConflicts, analyzeVirtualService } from './analyze-routes.js';
import { analyzeSidecar } from './analyze-sidecars.js';
import { analyzeAuthorizationPolicies } from './analyze-security.js';
import { analyzeTelemetries } from './analyze-telemetry.js';
import type { MeshConfig } from './mesh-config.js';
import { buildIndex, type Workload } from './mesh-index.js';
import { SchemaValidationError, UnsupportedField, message, sortMessages, type Message } from './messages.js';
import { admission } from './admission.js';
import type { MeshResource } from './types.js';

export type { Workload } from './mesh-index.js';
export { formatMessage, type Message, type Level } from './messages.js';

/**
 * Cross-resource problems, with Istio's codes. Invalid resources are reported as IST0106 and left
 * out of the other checks (their fields cannot be trusted). `workloads` are the registered workloads
 * (labels + namespace); without them and without WorkloadEntries, selector checks (IST0173, gateway
 * selectors) are skipped rather than reporting everything as unmatched. `mesh` (the control plane's --mesh-config) lets
 * CUSTOM AuthorizationPolicies be checked against its ext_authz providers.
 */
export function analyze(resources: readonly MeshResource[], workloads?: readonly Workload[], mesh?: MeshConfig): Message[] {
  const out: Message[] = [];
  const valid: MeshResource[] = [];
  for (const r of resources) {
    const { invalid, unsupported } = admission(r);
    for (const e of invalid) out.push(message(SchemaValidationError, e.resource, `Schema validation error: ${e.field}: ${e.reason}`, e.field));
    for (const e of unsupported) out.push(message(UnsupportedField, e.resource, e.reason, e.field));
    if (invalid.length === 0) valid.push(r);
  }
  const idx = buildIndex(valid, workloads);
  for (const r of valid) {
    if (r.kind === 'VirtualService') out.push(...analyzeVirtualService(r, idx), ...analyzeDelegates(r, idx));
    else if (r.kind === 'DestinationRule') out.push(...analyzeDestinationRule(r, idx));
    else if (r.kind === 'Gateway') out.push(...analyzeGateway(r, idx), ...analyzeGatewayCredentials(r, idx));
    else if (r.kind === 'Sidecar') out.push(...analyzeSidecar(r, idx));
  }
  out.push(...analyzeMeshHostConflicts(idx), ...analyzeDestinationRuleConflicts(idx), ...analyzeAuthorizationPolicies(valid, idx, mesh), ...analyzeTelemetries(valid, idx, mesh));
  return sortMessages(out);
}
