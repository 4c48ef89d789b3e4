// HTTP filters: envoy.filters.http.dynamic_forward_proxy config — FilterConfig (the DNS cache) and the per-route host rewrite.
import type { DnsCacheConfig, HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { headerName } from '../../../config/common.js';
import { validateDnsCacheConfig } from '../../../config/dns-cache.js';
import { isValidAuthority } from '../../h1-request-checks.js';

export const DFP_FILTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig` as const;
export const DFP_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig` as const;

export interface DfpFilterConfig extends HttpFilterConfig {
  readonly '@type': typeof DFP_FILTER_TYPE;
  readonly dns_cache_config: DnsCacheConfig;
  /** Envoy saves the address in filter state for logs; trellis has no filter state, so this has no effect. */
  readonly save_upstream_address: boolean;
}

export interface DfpPerRouteConfig extends HttpFilterConfig {
  readonly '@type': typeof DFP_PER_ROUTE_TYPE;
  /** Replaces the authority before the DNS lookup (and upstream). */
  readonly host_rewrite_literal?: string;
  /** The authority is taken from this request header (its first value) when present. */
  readonly host_rewrite_header?: string;
}

export function validateDfpFilter(ctx: Ctx, body: Raw, path: string): DfpFilterConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig',
    // sub_cluster_config (a cluster per host) is not implemented and rejected by name
    fields: ['dns_cache_config', 'save_upstream_address', 'allow_dynamic_host_from_filter_state'],
  });
  if (m === undefined) return undefined;
  if (m.boolOr('allow_dynamic_host_from_filter_state', false)) m.err('allow_dynamic_host_from_filter_state', 'allow_dynamic_host_from_filter_state: true is not supported by trellis (it has no filter state)');
  if (!m.require('dns_cache_config')) return undefined;
  const dns = m.msg('dns_cache_config', (r, p) => validateDnsCacheConfig(ctx, r, p));
  if (dns === undefined) return undefined;
  return { '@type': DFP_FILTER_TYPE, dns_cache_config: dns, save_upstream_address: m.boolOr('save_upstream_address', false) };
}

export function validateDfpPerRoute(ctx: Ctx, body: Raw, path: string): DfpPerRouteConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig',
    fields: ['host_rewrite_literal', 'host_rewrite_header'],
  });
  if (m === undefined) return undefined;
  const which = m.oneof(['host_rewrite_literal', 'host_rewrite_header'], false);
  if (which === 'host_rewrite_literal') {
    const v = m.str('host_rewrite_literal') ?? '';
    // Envoy: empty means no rewrite
    if (v !== '' && !isValidAuthority(v)) m.err('host_rewrite_literal', `"${v}" is not a valid host[:port]`);
    return v === '' ? { '@type': DFP_PER_ROUTE_TYPE } : { '@type': DFP_PER_ROUTE_TYPE, host_rewrite_literal: v };
  }
  if (which === 'host_rewrite_header') {
    const raw = m.raw('host_rewrite_header');
    if (raw === '') return { '@type': DFP_PER_ROUTE_TYPE };
    const h = headerName(ctx, raw, m.at('host_rewrite_header'));
    return h === undefined ? undefined : { '@type': DFP_PER_ROUTE_TYPE, host_rewrite_header: h };
  }
  return { '@type': DFP_PER_ROUTE_TYPE };
}
