// HTTP filters: CorsPolicy filter_enabled / shadow_enabled — whether this request's CORS policy is enforced, only tracked, or off.
import type { CorsPolicy } from '../../../config/types.js';
import type { RuntimeSource } from '../../../runtime-config/snapshot.js';
import { resolveRuntimeFraction } from '../../../runtime-config/route-runtime.js';

/** 'shadow': the origin is checked and counted (cors.origin_valid / origin_invalid) but nothing is answered or added. */
export type CorsMode = 'enforce' | 'shadow' | 'off';

/**
 * Envoy: without filter_enabled the policy is enforced for every request; shadow_enabled only matters for requests
 * filter_enabled leaves out. Each is a RuntimeFractionalPercent (its runtime_key overrides the default share).
 */
export function corsMode(p: CorsPolicy, runtime: RuntimeSource | undefined, random: () => number): CorsMode {
  if (p.filter_enabled === undefined || random() < resolveRuntimeFraction(runtime, p.filter_enabled)) return 'enforce';
  if (p.shadow_enabled !== undefined && random() < resolveRuntimeFraction(runtime, p.shadow_enabled)) return 'shadow';
  return 'off';
}
