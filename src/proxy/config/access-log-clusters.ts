// Config stage: the clusters a listener's extension access loggers (gRPC ALS) send to, with the path of each
// reference, so the bootstrap (static clusters) and the xDS client (known clusters) can refuse a missing one —
// Envoy fails a gRPC access logger whose cluster does not exist ("Unknown gRPC client cluster").
import type { AccessLog, FilterChain, HttpConnectionManager, Listener, TcpProxy } from './types.js';
import { accessLoggerByType } from '../telemetry/access-logger-registry.js';

export interface AccessLogClusterRef {
  cluster: string;
  /** Path of the cluster_name field, below `base`. */
  path: string;
}

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

function logRefs(logs: readonly AccessLog[], base: string, out: AccessLogClusterRef[]): void {
  logs.forEach((log, i) => {
    if (!('typed_config' in log)) return;
    const t = accessLoggerByType(log.typed_config['@type']);
    for (const r of t?.clusters(log.typed_config) ?? []) out.push({ cluster: r.name, path: `${base}.access_log[${i}].typed_config.${r.path}` });
  });
}

function chainRefs(chain: FilterChain, base: string, out: AccessLogClusterRef[]): void {
  chain.filters.forEach((f, k) => {
    const at = `${base}.filters[${k}].typed_config`;
    const type = f.typed_config['@type'];
    if (type === HCM_TYPE) logRefs((f.typed_config as HttpConnectionManager).access_log, at, out);
    else if (type === TCP_PROXY_TYPE) logRefs((f.typed_config as TcpProxy).access_log, at, out);
  });
}

/** Every extension access logger cluster in `l`'s filter chains (HCM and tcp_proxy access_log). */
export function accessLogClusterRefs(l: Listener, base: string): AccessLogClusterRef[] {
  const out: AccessLogClusterRef[] = [];
  l.filter_chains.forEach((c, j) => chainRefs(c, `${base}.filter_chains[${j}]`, out));
  if (l.default_filter_chain !== undefined) chainRefs(l.default_filter_chain, `${base}.default_filter_chain`, out);
  return out;
}
