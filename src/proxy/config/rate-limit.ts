// Config stage: a route's or virtual host's `rate_limits` (config.route.v3.RateLimit), whose actions build the
// descriptors local_ratelimit matches; actions trellis does not implement are rejected by name.
import type { HeaderMatcher } from './types.js';
import { Ctx, Msg } from './reader.js';
import { headerName } from './common.js';
import { validateHeaderMatcher } from './matchers.js';

/** One action: appends one descriptor entry, or voids the descriptor (see router/rate-limit.ts). */
export type RateLimitAction =
  | { kind: 'request_headers'; header_name: string; descriptor_key: string; skip_if_absent: boolean }
  | { kind: 'remote_address' }
  | { kind: 'generic_key'; descriptor_key: string; descriptor_value: string }
  | { kind: 'header_value_match'; descriptor_key: string; descriptor_value: string; expect_match: boolean; headers: HeaderMatcher[] };

export interface RateLimitPolicy {
  /** 0–10; a filter applies only the entries of its own stage. */
  stage: number;
  /** Non-empty: the local rate limit filter skips this entry (it is for the global one's runtime switch). */
  disable_key: string;
  actions: RateLimitAction[];
}

const IMPLEMENTED = ['request_headers', 'remote_address', 'generic_key', 'header_value_match'] as const;

function validateAction(ctx: Ctx, raw: unknown, path: string): RateLimitAction | undefined {
  // Not listed (so rejected by name): source_cluster, destination_cluster, dynamic_metadata, metadata, extension,
  // masked_remote_address, query_parameter_value_match.
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.RateLimit.Action', fields: IMPLEMENTED });
  if (m === undefined) return undefined;
  const which = m.oneof(IMPLEMENTED, true);
  const sub = (type: string, fields: readonly string[]): Msg | undefined =>
    which === undefined ? undefined : Msg.open(ctx, m.raw(which), m.at(which), { type: `config.route.v3.RateLimit.Action.${type}`, fields });
  switch (which) {
    case 'request_headers': {
      const a = sub('RequestHeaders', ['header_name', 'descriptor_key', 'skip_if_absent']);
      if (a === undefined) return undefined;
      const key = a.reqStr('descriptor_key');
      const name = a.require('header_name') ? headerName(ctx, a.raw('header_name'), a.at('header_name')) : undefined;
      if (name === undefined || key === '') return undefined;
      return { kind: 'request_headers', header_name: name, descriptor_key: key, skip_if_absent: a.boolOr('skip_if_absent', false) };
    }
    case 'remote_address':
      return sub('RemoteAddress', []) === undefined ? undefined : { kind: 'remote_address' };
    case 'generic_key': {
      const a = sub('GenericKey', ['descriptor_value', 'descriptor_key']);
      if (a === undefined) return undefined;
      const value = a.reqStr('descriptor_value');
      const key = a.strOr('descriptor_key', '');
      return value === '' ? undefined : { kind: 'generic_key', descriptor_key: key === '' ? 'generic_key' : key, descriptor_value: value };
    }
    case 'header_value_match': {
      const a = sub('HeaderValueMatch', ['descriptor_key', 'descriptor_value', 'expect_match', 'headers']);
      if (a === undefined) return undefined;
      const value = a.reqStr('descriptor_value');
      const key = a.strOr('descriptor_key', '');
      if (!a.require('headers')) return undefined;
      const before = ctx.errors.length;
      const headers = a.list('headers', (r, p) => validateHeaderMatcher(ctx, r, p));
      if (headers.length === 0 && ctx.errors.length === before) a.err('headers', 'must list at least one header matcher');
      if (value === '' || ctx.errors.length !== before) return undefined;
      return { kind: 'header_value_match', descriptor_key: key === '' ? 'header_match' : key, descriptor_value: value, expect_match: a.boolOr('expect_match', true), headers };
    }
    default:
      return undefined;
  }
}

export function validateRateLimit(ctx: Ctx, raw: unknown, path: string): RateLimitPolicy | undefined {
  // `limit` (an override sent to a rate limit service) is left out: rejected by name.
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.RateLimit', fields: ['stage', 'disable_key', 'actions'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  if (!m.require('actions')) return undefined;
  const actions = m.list('actions', (r, p) => validateAction(ctx, r, p));
  if (actions.length === 0 && ctx.errors.length === before) m.err('actions', 'must list at least one action');
  const stage = m.numOr('stage', 0, { int: true, min: 0, max: 10 });
  const disableKey = m.strOr('disable_key', '');
  return ctx.errors.length === before ? { stage, disable_key: disableKey, actions } : undefined;
}
