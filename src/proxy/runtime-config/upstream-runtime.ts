// Runtime: the upstream settings Envoy lets the runtime override — circuit breaker limits and outlier detection knobs.
import type { CircuitBreakerThresholds, OutlierDetection } from '../config/types.js';
import type { RuntimeSnapshot, RuntimeSource } from './snapshot.js';

export type BreakerLimit = 'max_connections' | 'max_pending_requests' | 'max_requests' | 'max_retries';

/**
 * The runtime keys of one cluster's circuit breaker thresholds: circuit_breakers.<cluster>.<priority>.<limit>
 * (priority lower-case, e.g. "default"), built once since they are read on every request.
 */
export function breakerKeys(cluster: string, t: CircuitBreakerThresholds): Readonly<Record<BreakerLimit | 'budget_percent' | 'min_retry_concurrency', string>> {
  const p = `circuit_breakers.${cluster}.${t.priority.toLowerCase()}.`;
  return {
    max_connections: `${p}max_connections`,
    max_pending_requests: `${p}max_pending_requests`,
    max_requests: `${p}max_requests`,
    max_retries: `${p}max_retries`,
    budget_percent: `${p}retry_budget.budget_percent`,
    min_retry_concurrency: `${p}retry_budget.min_retry_concurrency`,
  };
}

/** OutlierDetection field -> its outlier_detection.* runtime key (durations in ms carry _ms, as in Envoy). */
const OUTLIER_KEYS: readonly (readonly [Exclude<keyof OutlierDetection, 'split_external_local_origin_errors' | 'interval'>, string])[] = [
  ['consecutive_5xx', 'consecutive_5xx'],
  ['consecutive_gateway_failure', 'consecutive_gateway_failure'],
  ['consecutive_local_origin_failure', 'consecutive_local_origin_failure'],
  ['base_ejection_time', 'base_ejection_time_ms'],
  ['max_ejection_time', 'max_ejection_time_ms'],
  ['max_ejection_percent', 'max_ejection_percent'],
  ['enforcing_consecutive_5xx', 'enforcing_consecutive_5xx'],
  ['enforcing_consecutive_gateway_failure', 'enforcing_consecutive_gateway_failure'],
  ['enforcing_consecutive_local_origin_failure', 'enforcing_consecutive_local_origin_failure'],
  ['enforcing_success_rate', 'enforcing_success_rate'],
  ['success_rate_minimum_hosts', 'success_rate_minimum_hosts'],
  ['success_rate_request_volume', 'success_rate_request_volume'],
  ['success_rate_stdev_factor', 'success_rate_stdev_factor'],
  ['enforcing_failure_percentage', 'enforcing_failure_percentage'],
  ['failure_percentage_threshold', 'failure_percentage_threshold'],
  ['failure_percentage_minimum_hosts', 'failure_percentage_minimum_hosts'],
  ['failure_percentage_request_volume', 'failure_percentage_request_volume'],
];

const outlierCache = new WeakMap<RuntimeSnapshot, WeakMap<OutlierDetection, OutlierDetection>>();

/**
 * `config` with the global outlier_detection.* runtime keys applied (the same object when none is set).
 * Computed once per snapshot and config, since it is read on every upstream response.
 */
export function outlierWithRuntime(runtime: RuntimeSource | undefined, config: OutlierDetection): OutlierDetection {
  if (runtime === undefined) return config;
  const snap = runtime.snapshot();
  let perConfig = outlierCache.get(snap);
  const hit = perConfig?.get(config);
  if (hit !== undefined) return hit;
  let out = config;
  for (const [field, key] of OUTLIER_KEYS) {
    const v = snap.getInteger(`outlier_detection.${key}`, config[field]);
    if (v !== config[field]) {
      if (out === config) out = { ...config };
      out[field] = v;
    }
  }
  if (perConfig === undefined) outlierCache.set(snap, (perConfig = new WeakMap()));
  perConfig.set(config, out);
  return out;
}
