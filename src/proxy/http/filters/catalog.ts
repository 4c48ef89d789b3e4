// HTTP filters: every filter type trellis implements, by its Envoy name (envoy.filters.http.<name>), and how to load it.
// A module registers its type when loaded; config/filter-modules.ts loads only the ones a config names.
export const HTTP_FILTER_MODULES: Readonly<Record<string, () => Promise<unknown>>> = {
  buffer: () => import('./buffer/index.js'),
  compressor: () => import('./compressor/index.js'),
  cors: () => import('./cors/index.js'),
  csrf: () => import('./csrf/index.js'),
  decompressor: () => import('./decompressor/index.js'),
  dynamic_forward_proxy: () => import('./dynamic_forward_proxy/index.js'),
  ext_authz: () => import('./ext_authz/index.js'),
  fault: () => import('./fault/index.js'),
  grpc_http1_bridge: () => import('./grpc_http1_bridge/index.js'),
  grpc_web: () => import('./grpc_web/index.js'),
  header_to_metadata: () => import('./header_to_metadata/index.js'),
  health_check: () => import('./health_check/index.js'),
  // Istio's istio.stats (stats.PluginConfig): loaded by config/filter-modules.ts from its config type
  istio_stats: () => import('./istio_stats/index.js'),
  jwt_authn: () => import('./jwt_authn/index.js'),
  local_ratelimit: () => import('./local_ratelimit/index.js'),
  lua: () => import('./lua/index.js'),
  rbac: () => import('./rbac/index.js'),
  router: () => import('./router/index.js'),
};
