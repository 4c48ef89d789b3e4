// Config stage: validates the envoy.filters.network.tcp_proxy filter config.
import type { TcpProxy } from './types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from './reader.js';
import { validateAccessLog } from './access-log.js';

export const TCP_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy` as const;

export function validateTcpProxy(ctx: Ctx, body: Raw, path: string): TcpProxy | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.network.tcp_proxy.v3.TcpProxy',
    fields: ['stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'access_log', 'max_connect_attempts'],
    ignored: ['access_log_flush_interval', 'flush_access_log_on_connected', 'access_log_options'], // logging cadence
  });
  if (m === undefined) return undefined;
  const statPrefix = m.reqStr('stat_prefix');
  let spec: TcpProxy['cluster_specifier'] | undefined;
  switch (m.oneof(['cluster', 'weighted_clusters'], true)) {
    case 'cluster': {
      const name = m.reqStr('cluster');
      if (name !== '') spec = { kind: 'cluster', name };
      break;
    }
    case 'weighted_clusters':
      spec = m.msg('weighted_clusters', (r, p) => {
        const w = Msg.open(ctx, r, p, { type: 'extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster', fields: ['clusters'] });
        if (w === undefined) return undefined;
        const clusters = w.list('clusters', (cr, cp) => {
          const c = Msg.open(ctx, cr, cp, { type: 'extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight', fields: ['name', 'weight'] });
          if (c === undefined) return undefined;
          if (!c.has('weight')) c.err('weight', 'is required');
          return { name: c.reqStr('name'), weight: c.numOr('weight', 0, { int: true, min: 1 }) };
        });
        if (clusters.length === 0) w.err('clusters', 'must list at least one cluster');
        return { kind: 'weighted_clusters' as const, clusters };
      });
      break;
  }
  return {
    '@type': TCP_PROXY_TYPE,
    stat_prefix: statPrefix,
    cluster_specifier: spec ?? { kind: 'cluster', name: '' },
    idle_timeout: m.durOr('idle_timeout', 3600000),
    max_connect_attempts: m.numOr('max_connect_attempts', 1, { int: true, min: 1 }),
    access_log: m.list('access_log', (r, p) => validateAccessLog(ctx, r, p)),
  };
}
