// HTTP API: the listening ports of connected sidecars (from their node metadata), for the analyzer's Sidecar egress port check.
import type { Workload } from '../../api/index.js';
import { proxyNodeFromNode } from '../model/proxy-node.js';
import { workloadKey } from '../registry/workload.js';
import { ownPorts } from '../translate/egress.js';
import type { ConnectedProxy } from '../xds/types.js';

/** Registry key → role → port, for each connected sidecar. */
export function sidecarPorts(connected: readonly ConnectedProxy[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const c of connected) {
    const p = proxyNodeFromNode({ id: c.id, metadata: c.metadata });
    if (p.type !== 'sidecar') continue;
    const roles: Record<string, number> = {};
    for (const [port, role] of ownPorts(p)) roles[role] = port;
    out.set(workloadKey(p.namespace, p.id), roles);
  }
  return out;
}

/** The workload with its sidecar's ports attached, when it has a connected sidecar. */
export function withPorts(w: Workload, ports: Record<string, number> | undefined): Workload {
  return ports === undefined ? w : { ...w, ports };
}
