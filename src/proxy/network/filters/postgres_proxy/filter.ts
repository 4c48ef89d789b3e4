// Network filters: envoy.filters.network.postgres_proxy — a pass-through sniffer counting postgres.<stat_prefix>.*.
import type { Counter } from '../../../telemetry/stats.js';
import type { NetworkFilterFactory } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import { snifferFilter } from '../../sniff/sniffer-filter.js';
import { statPrefixSegments } from '../../../rbac/stats.js';
import { POSTGRES_COUNTERS, PostgresDecoder, type PostgresCounters } from './decoder.js';
import type { PostgresProxyConfig } from './config.js';

export function postgresProxyFactory(config: PostgresProxyConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  const s = ctx.stats.scope('postgres', ...statPrefixSegments(config.stat_prefix));
  const c = Object.fromEntries(POSTGRES_COUNTERS.map((n) => [n, s.counter(n)])) as Record<string, Counter> as PostgresCounters;
  // A decoder that loses the framing just stops (Envoy's out-of-sync state has no counter either).
  return () => snifferFilter(new PostgresDecoder(c, config.enable_sql_parsing));
}
