// Translate stage: the effective DestinationRule traffic policy for one cluster (subset over port-level over top-level, as Istio merges).
import type { ClientTLSSettings, ConnectionPoolSettings, DestinationRule, LoadBalancerSettings, OutlierDetection, TrafficPolicy } from '../../api/types.js';

/** The four policy blocks a cluster is built from. */
export interface EffectivePolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

function blocks(p: { loadBalancer?: LoadBalancerSettings; connectionPool?: ConnectionPoolSettings; outlierDetection?: OutlierDetection; tls?: ClientTLSSettings }): EffectivePolicy {
  const out: EffectivePolicy = {};
  if (p.loadBalancer !== undefined) out.loadBalancer = p.loadBalancer;
  if (p.connectionPool !== undefined) out.connectionPool = p.connectionPool;
  if (p.outlierDetection !== undefined) out.outlierDetection = p.outlierDetection;
  if (p.tls !== undefined) out.tls = p.tls;
  return out;
}

/** A policy's settings for `port`: a matching portLevelSettings entry replaces all four blocks (no inheritance, per Istio's docs). */
function atPort(policy: TrafficPolicy | undefined, port: number): EffectivePolicy | undefined {
  if (policy === undefined) return undefined;
  const pl = policy.portLevelSettings?.find((p) => p.port?.number === port);
  return pl !== undefined ? blocks(pl) : blocks(policy);
}

/**
 * Istio's MergeTrafficPolicy: start from the rule's policy at `port`; each block the subset's policy sets
 * replaces the rule's; a subset port-level entry for `port` then replaces all four.
 */
export function effectivePolicy(dr: DestinationRule | undefined, subset: string, port: number): EffectivePolicy {
  if (dr === undefined) return {};
  const base = atPort(dr.spec.trafficPolicy, port) ?? {};
  const sub = subset === '' ? undefined : dr.spec.subsets?.find((s) => s.name === subset)?.trafficPolicy;
  if (sub === undefined) return base;
  const pl = sub.portLevelSettings?.find((p) => p.port?.number === port);
  if (pl !== undefined) return blocks(pl);
  return { ...base, ...blocks(sub) };
}
