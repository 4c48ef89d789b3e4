// Translate stage: Istio HTTPRetry → Envoy RetryPolicy, with Istio's default policy when a route sets none.
import type { HTTPRetry } from '../../api/types.js';
import { RETRY_ON } from '../../proxy/config/retry-policy.js';
import { istioDuration } from './envoy.js';
import { PREVIOUS_HOSTS_TYPE, type Json } from './generator.js';

const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'];
const KNOWN = new Set<string>(RETRY_ON);

function policy(numRetries: number, retryOn: string[], codes: number[], perTry: string | undefined): Json {
  const out: Json = { retry_on: retryOn.join(','), num_retries: numRetries };
  if (perTry !== undefined) out.per_try_timeout = perTry;
  // Istio: try another host on each retry, up to 5 picks
  out.retry_host_predicate = [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': PREVIOUS_HOSTS_TYPE } }];
  out.host_selection_retry_max_attempts = 5;
  if (codes.length > 0) out.retriable_status_codes = codes;
  return out;
}

/** Istio's default outbound retry policy: 2 retries on connect-failure, refused-stream, unavailable, cancelled and 503. */
export function defaultRetryPolicy(): Json {
  return policy(2, DEFAULT_RETRY_ON, [503], undefined);
}

/**
 * Istio: no `retries` → the default policy; `attempts: 0` → none; `retryOn` replaces the default conditions,
 * numbers in it become retriable_status_codes. Conditions the proxy does not know are dropped (they would NACK).
 */
export function retryPolicy(r: HTTPRetry | undefined): Json | undefined {
  if (r === undefined) return defaultRetryPolicy();
  if (r.attempts <= 0) return undefined;
  let conditions = DEFAULT_RETRY_ON;
  let codes = [503];
  if (r.retryOn !== undefined && r.retryOn.trim() !== '') {
    const parts = r.retryOn.split(',').map((s) => s.trim()).filter((s) => s !== '');
    codes = parts.filter((p) => /^\d{3}$/.test(p)).map(Number);
    conditions = parts.filter((p) => KNOWN.has(p));
    if (codes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
  }
  return policy(r.attempts, conditions, codes, istioDuration(r.perTryTimeout));
}
