// Config stage: cross-resource references gathered while validating, checked once every resource is known.
import type { InlineRouteRefs } from './hcm.js';
import type { SecretRef } from './tls.js';

export interface Refs {
  /** Cluster names used by inline route configs (Envoy validates them against static clusters). */
  inlineRoutes: InlineRouteRefs[];
  /** Secret names used through SDS without a config source: they must be static secrets. */
  secrets: SecretRef[];
}

export function newRefs(): Refs {
  return { inlineRoutes: [], secrets: [] };
}
