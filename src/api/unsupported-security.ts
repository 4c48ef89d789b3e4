// API stage: AuthorizationPolicy and RequestAuthentication fields that are valid Istio but that trellis cannot honour yet — refused by name.
import type { Add } from './unsupported-l4.js';

type Obj = Record<string, unknown>;

/** targetRef(s) attach a policy to Gateway API gateways, waypoints or Services; trellis serves only selector-scoped policies. */
export function unsupportedSecurityFields(spec: Obj, add: Add): void {
  if (spec.targetRef !== undefined && spec.targetRef !== null) add('spec.targetRef', 'Gateway API and waypoint attachment is not served; use selector');
  if (Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0) add('spec.targetRefs', 'Gateway API and waypoint attachment is not served; use selector');
}
