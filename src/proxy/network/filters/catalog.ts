// Network filters: every non-terminal network filter trellis implements, by its Envoy name (envoy.filters.network.<name>),
// and how to load it. A module registers its type when loaded; config/filter-modules.ts loads only the ones a config names.
export const NETWORK_FILTER_MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  local_ratelimit: () => import('./local-ratelimit/index.js'),
  rbac: () => import('./rbac/index.js'),
  ext_authz: () => import('./ext_authz/index.js'),
  mysql_proxy: () => import('./mysql_proxy/index.js'),
  postgres_proxy: () => import('./postgres_proxy/index.js'),
  kafka_broker: () => import('./kafka_broker/index.js'),
  // Istio's own filters (istio.metadata_exchange, istio.stats): config/filter-modules.ts also loads them by config type
  metadata_exchange: () => import('./metadata_exchange/index.js'),
  istio_stats: () => import('./istio_stats/index.js'),
};
