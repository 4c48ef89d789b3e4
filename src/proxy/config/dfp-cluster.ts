// Config stage: validates a Cluster's cluster_type (only envoy.clusters.dynamic_forward_proxy) and its ClusterConfig.
import type { DfpClusterType } from './types.js';
import { Ctx, Msg, TYPE_PREFIX, join, typeName, unpackAny } from './reader.js';
import { validateDnsCacheConfig } from './dns-cache.js';

export const DFP_CLUSTER_NAME = 'envoy.clusters.dynamic_forward_proxy';
export const DFP_CLUSTER_TYPE = `${TYPE_PREFIX}envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig`;

/** Cluster.cluster_type (a CustomClusterType). */
export function validateClusterType(ctx: Ctx, raw: unknown, path: string): DfpClusterType | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.cluster.v3.Cluster.CustomClusterType', fields: ['name', 'typed_config'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  if (!m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  if (any.typeUrl !== DFP_CLUSTER_TYPE) {
    ctx.err(join(m.at('typed_config'), '@type'), `cluster type ${typeName(any.typeUrl)} is not supported by trellis; supported: ${DFP_CLUSTER_NAME}`);
    return undefined;
  }
  if (name !== '' && name !== DFP_CLUSTER_NAME) m.err('name', `"${name}" does not match ${typeName(DFP_CLUSTER_TYPE)} (expected ${DFP_CLUSTER_NAME})`);
  const c = Msg.open(ctx, any.body, any.path, {
    type: 'extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig',
    fields: ['dns_cache_config', 'allow_insecure_cluster_options', 'allow_coalesced_connections'],
  });
  if (c === undefined || !c.require('dns_cache_config')) return undefined;
  const dns = c.msg('dns_cache_config', (r, p) => validateDnsCacheConfig(ctx, r, p));
  if (dns === undefined) return undefined;
  return {
    name: DFP_CLUSTER_NAME,
    dns_cache_config: dns,
    allow_insecure_cluster_options: c.boolOr('allow_insecure_cluster_options', false),
    allow_coalesced_connections: c.boolOr('allow_coalesced_connections', false),
  };
}
