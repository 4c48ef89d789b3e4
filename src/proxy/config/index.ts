// Config stage: public entry points of the bootstrap loader and the per-resource validators.
export { loadBootstrapFile, loadBootstrapText, parseBootstrap } from './bootstrap.js';
export {
  validateListener,
  validateCluster,
  validateRouteConfiguration,
  validateClusterLoadAssignment,
  type ResourceOptions,
} from './validators.js';
export { RETRY_ON } from './retry-policy.js';
