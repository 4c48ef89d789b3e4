// Translate stage: groups endpoints by locality and applies Istio's locality LB (failover priorities, distribute weights).
import type { LocalityLoadBalancerSetting } from '../../api/types.js';
import type { InstanceInfo, Locality } from '../model/types.js';
import { cmp } from '../model/snapshot.js';

export interface LocalityGroup {
  locality: Locality;
  instances: InstanceInfo[];
  /** Sum of endpoint weights, unless `distribute` rewrote it. */
  weight: number;
  priority: number;
}

const NO_LOCALITY: Locality = { region: '', zone: '', subzone: '' };

/** Groups by locality, ordered by region/zone/subzone; instance order inside a group is the snapshot's. */
export function groupByLocality(instances: readonly InstanceInfo[]): LocalityGroup[] {
  const groups = new Map<string, LocalityGroup>();
  for (const i of instances) {
    const loc = i.locality ?? NO_LOCALITY;
    const key = `${loc.region}/${loc.zone}/${loc.subzone}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { locality: loc, instances: [], weight: 0, priority: 0 };
      groups.set(key, g);
    }
    g.instances.push(i);
    g.weight += i.weight;
  }
  return [...groups.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, g]) => g);
}

/** Istio's LocalityMatch: 'region/zone/subzone' where '*' (or a missing segment) matches anything. */
export function localityMatches(loc: Locality, pattern: string): boolean {
  if (pattern === '*') return true;
  const [r, z, s] = pattern.split('/');
  const seg = (want: string | undefined, have: string): boolean => want === undefined || want === '*' || want === have;
  return seg(r, loc.region) && seg(z, loc.zone) && seg(s, loc.subzone);
}

/** Istio's LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subzone === ep.subzone ? 0 : 1;
}

/** Failover: priority by proximity; other regions not named by a matching failover rule drop to 4; then made contiguous. */
function applyFailover(groups: LocalityGroup[], proxy: Locality, failover: LocalityLoadBalancerSetting['failover']): void {
  for (const g of groups) {
    let p = lbPriority(proxy, g.locality);
    if (p === 3) {
      const rule = failover?.find((f) => f.from === proxy.region);
      if (rule !== undefined && g.locality.region !== rule.to) p = 4;
    }
    g.priority = p;
  }
  // Envoy requires priorities to be contiguous from 0
  const used = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  for (const g of groups) g.priority = used.indexOf(g.priority);
}

/**
 * Distribute: the first rule whose `from` matches the proxy sets locality weights: each `to` pattern's share
 * is split over the localities it matches in proportion to their weight (rounded up); unmatched localities are dropped.
 */
function applyDistribute(groups: LocalityGroup[], proxy: Locality, distribute: NonNullable<LocalityLoadBalancerSetting['distribute']>): LocalityGroup[] {
  const rule = distribute.find((d) => localityMatches(proxy, d.from));
  if (rule === undefined) return groups;
  const unmatched = new Set(groups);
  for (const pattern of Object.keys(rule.to).sort()) {
    const share = rule.to[pattern] ?? 0;
    const hit = groups.filter((g) => unmatched.has(g) && localityMatches(g.locality, pattern));
    const total = hit.reduce((s, g) => s + g.weight, 0);
    for (const g of hit) {
      unmatched.delete(g);
      g.weight = total === 0 ? 0 : Math.ceil((g.weight * share) / total);
    }
  }
  // a locality given weight 0 (or none) receives no traffic
  return groups.filter((g) => !unmatched.has(g) && g.weight > 0);
}

/**
 * Istio's rules: nothing without a proxy locality or with `enabled: false`; `distribute` if set; else failover
 * priorities, but only when the cluster has outlier detection (without it Envoy could never fail over).
 */
export function applyLocalityLb(
  groups: LocalityGroup[],
  proxy: Locality | undefined,
  setting: LocalityLoadBalancerSetting | undefined,
  outlierDetection: boolean,
): LocalityGroup[] {
  if (proxy === undefined || setting?.enabled === false) return groups;
  if (setting?.distribute !== undefined && setting.distribute.length > 0) return applyDistribute(groups, proxy, setting.distribute);
  if (outlierDetection) applyFailover(groups, proxy, setting?.failover);
  return groups;
}
