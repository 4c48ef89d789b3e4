// API stage: PeerAuthentication rules beyond shape (Istio's webhook): port-level modes need a selector, ports are port numbers.
import { asObject, checkLabels, joinPath, type Report } from './rules.js';

export function validatePeerAuthentication(spec: Record<string, unknown>, report: Report): void {
  const selector = asObject(spec.selector);
  const matchLabels = asObject(selector?.matchLabels);
  checkLabels(selector?.matchLabels, 'spec.selector.matchLabels', report);
  for (const k of Object.keys(matchLabels ?? {})) if (k === '') report('spec.selector.matchLabels', 'empty label key is not supported in a selector');
  const ports = asObject(spec.portLevelMtls);
  if (ports === undefined) return;
  // Istio: port-level settings name a workload's ports, so they only make sense for selected workloads
  if (Object.keys(ports).length > 0 && Object.keys(matchLabels ?? {}).length === 0) {
    report('spec.portLevelMtls', 'portLevelMtls requires a workload selector (spec.selector.matchLabels)');
  }
  for (const [k, v] of Object.entries(ports)) {
    const n = Number(k);
    if (!/^[0-9]+$/.test(k) || n < 1 || n > 65535) report(joinPath('spec.portLevelMtls', k), `port must be a number in 1..65535, got "${k}"`);
    if (asObject(v) === undefined) report(joinPath('spec.portLevelMtls', k), 'expected an object with mode');
  }
}
