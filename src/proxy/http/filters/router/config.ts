// HTTP filters: envoy.filters.http.router config.
import type { RouterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';

export const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router` as const;

export function validateRouter(ctx: Ctx, body: Raw, path: string): RouterConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.router.v3.Router',
    fields: ['suppress_envoy_headers', 'start_child_span'],
    ignored: ['dynamic_stats', 'upstream_log', 'upstream_log_options', 'suppress_grpc_request_failure_code_stats'], // stats/logging only
  });
  if (m === undefined) return undefined;
  return {
    '@type': ROUTER_TYPE,
    suppress_envoy_headers: m.boolOr('suppress_envoy_headers', false),
    start_child_span: m.boolOr('start_child_span', false),
  };
}
