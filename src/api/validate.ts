// API stage: validateResource() — the webhook-equivalent check of one resource: its shape (schema) then Istio's semantic rules, every error at once.
import { apiError, type ApiError } from './errors.js';
import { checkSchema, isPlainObject } from './schema.js';
import { SPEC_SCHEMAS } from './schemas.js';
import { checkLabels, type Report } from './rules.js';
import { validateDestinationRule } from './validate-destination-rule.js';
import { validatePeerAuthentication } from './validate-peer-authentication.js';
import { validateSecret } from './validate-secret.js';
import { validateGateway, validateSidecar } from './validate-proxies.js';
import { validateVirtualService } from './validate-virtual-service.js';
import { validateAuthorizationPolicy, validateRequestAuthentication } from './validate-security.js';
import { validateService, validateServiceEntry, validateWorkloadEntry } from './validate-workloads.js';
import { validateTelemetry } from './validate-telemetry.js';
import { validateWorkloadTemplate } from './validate-workload-kinds.js';
import { resourceRef, type MeshResource, type SpecKind } from './types.js';
import type { ConfigError } from '../common/result.js';

const SEMANTIC: Record<SpecKind, (spec: Record<string, unknown>, report: Report) => void> = {
  Service: validateService,
  VirtualService: validateVirtualService,
  DestinationRule: validateDestinationRule,
  Gateway: validateGateway,
  ServiceEntry: validateServiceEntry,
  WorkloadEntry: (spec, report) => validateWorkloadEntry(spec, 'spec', report, { needsAddress: true }),
  Sidecar: validateSidecar,
  PeerAuthentication: validatePeerAuthentication,
  AuthorizationPolicy: validateAuthorizationPolicy,
  RequestAuthentication: validateRequestAuthentication,
  Telemetry: validateTelemetry,
  Deployment: validateWorkloadTemplate,
  StatefulSet: validateWorkloadTemplate,
  Pod: () => {},
};

/**
 * Every problem in one resource. Paths are relative to the resource (`spec.http[0].route[1].weight`);
 * each error's `resource` is `Kind namespace/name`, so formatErrors() prints
 * `VirtualService default/reviews: spec.http[0].route[1].weight: weights must sum to 100, got 90`.
 * Semantic rules run even when the shape has errors (they skip mistyped values), so one pass lists everything.
 */
export function validateResource(r: MeshResource): ApiError[] {
  const found: ConfigError[] = [];
  const report: Report = (path, message) => found.push({ path, message });
  if (r.kind === 'Secret') {
    // no spec: its fields sit beside metadata
    validateSecret(r as unknown as Record<string, unknown>, report);
  } else if (r.kind === 'ServiceAccount' || r.kind === 'Namespace') {
    // nothing beyond metadata is kept
  } else if (!SPEC_SCHEMAS[r.kind]) {
    report('kind', `unknown kind "${String(r.kind)}"`);
  } else if (!isPlainObject(r.spec)) {
    report('spec', 'expected an object');
  } else {
    checkSchema(r.spec, SPEC_SCHEMAS[r.kind], 'spec', found);
    SEMANTIC[r.kind](r.spec, report);
  }
  checkLabels(r.metadata.labels, 'metadata.labels', report);
  const resource = resourceRef(r);
  return dedupe(found).map((e) => apiError(resource, e.path, e.message));
}

/** Schema and semantic rules can notice the same thing (e.g. an empty required list); say it once. */
function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
