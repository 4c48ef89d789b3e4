// Translate stage: the outbound clusters a proxy gets — one per visible service port plus one per DestinationRule subset.
import type { DestinationRule } from '../../api/types.js';
import type { InstanceInfo, ProxyNode, ServiceInfo, ServicePortInfo, Snapshot } from '../model/types.js';
import { destinationRuleFor } from './lookup.js';
import { outboundClusterName, parseClusterName } from './names.js';
import { labelsMatch, visibleServices } from './scope.js';

export interface ClusterSpec {
  name: string;
  service: ServiceInfo;
  port: ServicePortInfo;
  /** '' for the whole service. */
  subset: string;
  subsetLabels?: Readonly<Record<string, string>>;
  rule?: DestinationRule;
}

function specsFor(svc: ServiceInfo, proxy: ProxyNode, snap: Snapshot): ClusterSpec[] {
  const rule = destinationRuleFor(svc.hostname, proxy, snap);
  const out: ClusterSpec[] = [];
  for (const port of [...svc.ports].sort((a, b) => a.port - b.port)) {
    const base: ClusterSpec = { name: outboundClusterName(port.port, '', svc.hostname), service: svc, port, subset: '' };
    if (rule !== undefined) base.rule = rule;
    out.push(base);
    for (const s of rule?.spec.subsets ?? []) {
      const spec: ClusterSpec = { ...base, name: outboundClusterName(port.port, s.name, svc.hostname), subset: s.name, subsetLabels: s.labels ?? {} };
      out.push(spec);
    }
  }
  return out;
}

/** Every outbound cluster of the proxy, ordered by host, port, then subsets in DestinationRule order. */
export function outboundClusterSpecs(proxy: ProxyNode, snap: Snapshot): ClusterSpec[] {
  return visibleServices(proxy, snap).flatMap((svc) => specsFor(svc, proxy, snap));
}

/** The specs for the given cluster names only (EDS subscriptions), without expanding every service. */
export function clusterSpecsByName(proxy: ProxyNode, snap: Snapshot, names: readonly string[]): ClusterSpec[] {
  const visible = new Set(visibleServices(proxy, snap).map((s) => s.hostname));
  const out: ClusterSpec[] = [];
  for (const name of [...new Set(names)].sort()) {
    const key = parseClusterName(name);
    if (key === undefined || key.direction !== 'outbound' || !visible.has(key.host)) continue;
    const svc = snap.index.servicesByHost.get(key.host);
    if (svc === undefined) continue;
    const spec = specsFor(svc, proxy, snap).find((s) => s.name === name);
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

/** The instances behind a cluster: those of the service port, narrowed to the subset's labels. */
export function clusterInstances(spec: ClusterSpec, snap: Snapshot): InstanceInfo[] {
  const all = snap.index.instancesByService.get(spec.service.hostname) ?? [];
  return all.filter((i) => i.servicePort === spec.port.port && labelsMatch(spec.subsetLabels, i.labels));
}
