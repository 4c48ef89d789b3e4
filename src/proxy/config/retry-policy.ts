// Config stage: validates a route/virtual-host retry_policy, including Envoy's retry_on conditions.
import type { RetryPolicy } from './types.js';
import { Ctx, Msg, TYPE_PREFIX, readNum, typeName, unpackAny } from './reader.js';
import { validateHeaderMatcher } from './matchers.js';

/** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on conditions. */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
const PREVIOUS_HOSTS_TYPE = `${TYPE_PREFIX}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate`;

export function validateRetryPolicy(ctx: Ctx, raw: unknown, path: string): RetryPolicy | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RetryPolicy',
    fields: [
      'retry_on',
      'num_retries',
      'per_try_timeout',
      'per_try_idle_timeout',
      'retry_host_predicate',
      'host_selection_retry_max_attempts',
      'retriable_status_codes',
      'retry_back_off',
      'retriable_headers',
      'retriable_request_headers',
    ],
  });
  if (m === undefined) return undefined;
  const retryOn: string[] = [];
  const on = m.str('retry_on');
  if (on !== undefined) {
    for (const c of on.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if ((RETRY_ON as readonly string[]).includes(c)) retryOn.push(c);
      else m.err('retry_on', `unknown retry condition "${c}"; expected one of ${RETRY_ON.join(', ')}`);
    }
  }
  const out: RetryPolicy = {
    retry_on: retryOn,
    num_retries: m.numOr('num_retries', 1, { int: true, min: 0 }),
    retriable_status_codes: m.list('retriable_status_codes', (r, p) => readNum(ctx, r, p, { int: true, min: 100, max: 599 })),
    retriable_headers: m.list('retriable_headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
    retriable_request_headers: m.list('retriable_request_headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
    host_selection_retry_max_attempts: m.numOr('host_selection_retry_max_attempts', 1, { int: true, min: 1 }),
    retry_previous_hosts: false,
  };
  const ptt = m.dur('per_try_timeout');
  if (ptt !== undefined) out.per_try_timeout = ptt;
  const pti = m.dur('per_try_idle_timeout');
  if (pti !== undefined) out.per_try_idle_timeout = pti;
  const bo = m.msg('retry_back_off', (r, p) => {
    const b = Msg.open(ctx, r, p, { type: 'config.route.v3.RetryPolicy.RetryBackOff', fields: ['base_interval', 'max_interval'] });
    if (b === undefined) return undefined;
    if (!b.require('base_interval')) return undefined;
    const base = b.dur('base_interval');
    if (base === undefined) return undefined;
    if (base <= 0) b.err('base_interval', 'must be greater than 0');
    const max = b.durOr('max_interval', base * 10);
    if (max < base) b.err('max_interval', `must be at least base_interval (${base}ms)`);
    return { base_interval: base, max_interval: max };
  });
  if (bo !== undefined) out.retry_back_off = bo;
  m.list('retry_host_predicate', (r, p) => {
    const pm = Msg.open(ctx, r, p, { type: 'config.route.v3.RetryPolicy.RetryHostPredicate', fields: ['name', 'typed_config'] });
    if (pm === undefined) return undefined;
    let name = pm.str('name') ?? '';
    if (pm.has('typed_config')) {
      const any = unpackAny(ctx, pm.raw('typed_config'), pm.at('typed_config'));
      if (any !== undefined && any.typeUrl !== PREVIOUS_HOSTS_TYPE) {
        ctx.err(`${pm.at('typed_config')}.@type`, `retry host predicate ${typeName(any.typeUrl)} is not supported by trellis`);
        return undefined;
      }
      if (any !== undefined) name = PREVIOUS_HOSTS;
    }
    if (name !== PREVIOUS_HOSTS) {
      pm.err('name', `retry host predicate "${name}" is not supported by trellis; supported: ${PREVIOUS_HOSTS}`);
      return undefined;
    }
    out.retry_previous_hosts = true;
    return undefined;
  });
  return out;
}
