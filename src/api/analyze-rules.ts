// API stage: DestinationRule and Gateway analyzers — unknown hosts (IST0174), subsets selecting no workload (IST0173), duplicate rules per host, gateway selectors matching nothing (IST0101).
import { serviceNamespaceOf } from './hosts.js';
import { selects, type MeshIndex } from './mesh-index.js';
import {
  ConflictingDestinationRulesHost,
  DestinationRuleSubsetNotSelectPods,
  ReferencedResourceNotFound,
  UnknownDestinationRuleHost,
  message,
  type Message,
} from './messages.js';
import { resourceRef, type DestinationRule, type Gateway } from './types.js';

export function analyzeDestinationRule(dr: DestinationRule, idx: MeshIndex): Message[] {
  const out: Message[] = [];
  const ref = resourceRef(dr);
  if (typeof dr.spec.host !== 'string') return out;
  const host = idx.resolve(dr.spec.host, dr.metadata.namespace);
  if (!idx.hostKnown(host)) {
    out.push(message(UnknownDestinationRuleHost, ref, `The host ${dr.spec.host} defined in the DestinationRule does not match any services in the mesh.`, 'spec.host'));
    return out;
  }
  const workloads = idx.workloads;
  if (!workloads) return out;
  // The subset's endpoints are the host's workloads (Service selector, in the Service's namespace) that also carry the subset labels.
  const svc = idx.services.get(host);
  const svcNs = serviceNamespaceOf(host);
  const candidates = svc
    ? workloads.filter((w) => w.namespace === svcNs && selects(svc.spec.selector, w.labels) && Object.keys(svc.spec.selector ?? {}).length > 0)
    : workloads;
  (dr.spec.subsets ?? []).forEach((s, i) => {
    if (!s.labels || Object.keys(s.labels).length === 0) return;
    if (!candidates.some((w) => selects(s.labels, w.labels))) {
      out.push(
        message(
          DestinationRuleSubsetNotSelectPods,
          ref,
          `The Subset ${s.name} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
          `spec.subsets[${i}].labels`,
        ),
      );
    }
  });
  return out;
}

/**
 * Istio merges DestinationRules for one host in one namespace (subsets merged, only the first
 * trafficPolicy kept), which silently drops settings; report every rule involved.
 */
export function analyzeDestinationRuleConflicts(idx: MeshIndex): Message[] {
  const groups = new Map<string, DestinationRule[]>();
  for (const dr of idx.destinationRules) {
    if (dr.spec.workloadSelector || typeof dr.spec.host !== 'string') continue;
    const key = `${dr.metadata.namespace} ${idx.resolve(dr.spec.host, dr.metadata.namespace)}`;
    groups.set(key, [...(groups.get(key) ?? []), dr]);
  }
  const out: Message[] = [];
  for (const [key, list] of groups) {
    if (list.length < 2) continue;
    const host = key.slice(key.indexOf(' ') + 1);
    const names = list.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).join(',');
    for (const dr of list) {
      out.push(
        message(
          ConflictingDestinationRulesHost,
          resourceRef(dr),
          `The DestinationRules ${names} define the same host ${host}; they are merged and only the first trafficPolicy applies. Merge them into a single resource.`,
          'spec.host',
        ),
      );
    }
  }
  return out;
}

/** A Gateway whose selector matches no workload never gets a proxy (Istio reports the selector as IST0101). */
export function analyzeGateway(gw: Gateway, idx: MeshIndex): Message[] {
  const sel = gw.spec.selector;
  if (!idx.workloads || !sel || Object.keys(sel).length === 0) return [];
  if (idx.workloads.some((w) => selects(sel, w.labels))) return [];
  const text = Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
  return [message(ReferencedResourceNotFound, resourceRef(gw), `Referenced selector not found: "${text}"`, 'spec.selector')];
}
