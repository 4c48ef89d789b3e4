// HTTP API: the public surface — the server and the dependencies it needs.
export { ApiServer } from './server.js';
export type { ApiDeps } from './deps.js';
export { applyText, deleteKeys, keysToDelete, type ApplyResult, type DeleteResult, type ApplyOp } from './apply.js';
export { proxyView, overallStatus, type ProxyView, type TypeView } from './proxy-view.js';
