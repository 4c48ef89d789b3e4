// HTTP filters: registers istio.stats (Istio's stats.PluginConfig) with its metadata exchange.
import { registerHttpFilter } from '../../filter/registry.js';
import { ISTIO_STATS_TYPE, validateIstioStats, type IstioStatsConfig } from '../../../telemetry/istio-stats-config.js';
import { istioStatsFactory } from './filter.js';

registerHttpFilter<IstioStatsConfig>({
  typeUrl: ISTIO_STATS_TYPE,
  names: ['istio.stats'],
  validate: validateIstioStats,
  factory: istioStatsFactory,
});
