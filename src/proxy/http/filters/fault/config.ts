// HTTP filters: envoy.filters.http.fault config — HTTPFault validated once, every error with its path.
import type { FaultAbort, FaultConfig, FaultDelay } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { validateFractionalPercent } from '../../../config/common.js';
import { validateHeaderMatcher } from '../../../config/matchers.js';

export const FAULT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.fault.v3.HTTPFault` as const;

function validateDelay(ctx: Ctx, raw: unknown, path: string): FaultDelay | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'extensions.filters.common.fault.v3.FaultDelay', fields: ['fixed_delay', 'header_delay', 'percentage'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['fixed_delay', 'header_delay'], true);
  const out: FaultDelay = {
    header_delay: which === 'header_delay',
    // an unset FractionalPercent is 0/100 in Envoy
    percentage: m.msg('percentage', (r, p) => validateFractionalPercent(ctx, r, p)) ?? 0,
  };
  if (which === 'header_delay') Msg.open(ctx, m.raw('header_delay'), m.at('header_delay'), { type: 'extensions.filters.common.fault.v3.FaultDelay.HeaderDelay', fields: [] });
  const fd = m.dur('fixed_delay');
  if (fd !== undefined) out.fixed_delay = fd;
  return out;
}

function validateAbort(ctx: Ctx, raw: unknown, path: string): FaultAbort | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.http.fault.v3.FaultAbort',
    fields: ['http_status', 'grpc_status', 'header_abort', 'percentage'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['http_status', 'grpc_status', 'header_abort'], true);
  const out: FaultAbort = {
    header_abort: which === 'header_abort',
    percentage: m.msg('percentage', (r, p) => validateFractionalPercent(ctx, r, p)) ?? 0,
  };
  if (which === 'header_abort') Msg.open(ctx, m.raw('header_abort'), m.at('header_abort'), { type: 'extensions.filters.http.fault.v3.FaultAbort.HeaderAbort', fields: [] });
  const hs = m.num('http_status', { int: true, min: 200, max: 599 });
  if (hs !== undefined) out.http_status = hs;
  const gs = m.num('grpc_status', { int: true, min: 0, max: 16 });
  if (gs !== undefined) out.grpc_status = gs;
  return out;
}

/** HTTPFault runtime key fields and the global keys Envoy uses when they are unset. */
export const FAULT_RUNTIME_KEYS = {
  delay_percent_runtime: 'fault.http.delay.fixed_delay_percent',
  abort_percent_runtime: 'fault.http.abort.abort_percent',
  delay_duration_runtime: 'fault.http.delay.fixed_duration_ms',
  abort_http_status_runtime: 'fault.http.abort.http_status',
  abort_grpc_status_runtime: 'fault.http.abort.grpc_status',
  max_active_faults_runtime: 'fault.http.max_active_faults',
} as const;

export function validateFault(ctx: Ctx, body: Raw, path: string): FaultConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.fault.v3.HTTPFault',
    fields: ['delay', 'abort', 'upstream_cluster', 'headers', 'downstream_nodes', 'max_active_faults', ...Object.keys(FAULT_RUNTIME_KEYS)],
    // response_rate_limit is not supported, so neither is its runtime key; per-downstream-cluster stats are stats only
    ignored: ['response_rate_limit_percent_runtime', 'disable_downstream_cluster_stats'],
  });
  if (m === undefined) return undefined;
  const out: FaultConfig = {
    '@type': FAULT_TYPE,
    headers: m.list('headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
    downstream_nodes: m.strList('downstream_nodes'),
  };
  for (const f of Object.keys(FAULT_RUNTIME_KEYS) as (keyof typeof FAULT_RUNTIME_KEYS)[]) {
    const k = m.str(f);
    if (k !== undefined && k !== '') out[f] = k;
  }
  const d = m.msg('delay', (r, p) => validateDelay(ctx, r, p));
  if (d !== undefined) out.delay = d;
  const a = m.msg('abort', (r, p) => validateAbort(ctx, r, p));
  if (a !== undefined) out.abort = a;
  const uc = m.str('upstream_cluster');
  if (uc !== undefined) out.upstream_cluster = uc;
  const maf = m.num('max_active_faults', { int: true, min: 0 });
  if (maf !== undefined) out.max_active_faults = maf;
  return out;
}
