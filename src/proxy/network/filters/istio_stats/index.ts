// Network filters: registers istio.stats (Istio's stats.PluginConfig) for TCP chains.
import { registerNetworkFilter } from '../../registry.js';
import { ISTIO_STATS_TYPE, validateIstioStats, type IstioStatsConfig } from '../../../telemetry/istio-stats-config.js';
import { istioTcpStatsFactory } from './filter.js';

registerNetworkFilter<IstioStatsConfig>({
  typeUrl: ISTIO_STATS_TYPE,
  names: ['istio.stats'],
  validate: validateIstioStats,
  factory: istioTcpStatsFactory,
});
