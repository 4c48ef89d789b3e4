// Registry stage: turns an ADS connection's node metadata into the workload it registers (pure).
import { parseIstioNodeId, proxyNodeFromNode, type NodeInfo } from '../model/proxy-node.js';
import type { ConnectedProxy } from '../xds/types.js';
import type { RegisteredWorkload } from './types.js';

export const WORKLOAD_PREFIX = 'registry/workloads/';

export function workloadKey(namespace: string, nodeId: string): string {
  return `${WORKLOAD_PREFIX}${namespace}/${nodeId}`;
}

/**
 * The workload a connecting proxy stands for, or undefined when it cannot be an endpoint (no address: a
 * gRPC client or a proxy that did not say where it runs).
 */
export function workloadFromNode(node: NodeInfo): RegisteredWorkload | undefined {
  const p = proxyNodeFromNode(node);
  if (p.ip === '' || p.id === '') return undefined;
  // a sidecar's peers connect to its inbound listener (no iptables); a proxyless server is reached directly
  const port = p.type === 'proxyless' ? (p.appPort ?? p.servicePort) : p.inboundPort;
  if (port === undefined) return undefined;
  const w: RegisteredWorkload = {
    key: workloadKey(p.namespace, p.id),
    name: parseIstioNodeId(p.id).name ?? p.id,
    namespace: p.namespace,
    labels: { ...p.labels },
    serviceAccount: p.serviceAccount,
    address: p.ip,
    port,
    proxyType: p.type,
    weight: 1,
  };
  if (p.serviceName !== undefined) w.serviceName = p.serviceName;
  if (p.servicePort !== undefined) w.servicePort = p.servicePort;
  if (p.type === 'sidecar' && p.appPort !== undefined) w.appPort = p.appPort;
  if (p.locality !== undefined) w.locality = p.locality;
  return w;
}

export function workloadFromProxy(proxy: ConnectedProxy): RegisteredWorkload | undefined {
  const n = proxy.node;
  const node: NodeInfo = { id: proxy.id, metadata: proxy.metadata };
  if (n.locality !== undefined) node.locality = n.locality;
  if (n.user_agent_name !== undefined) node.user_agent_name = n.user_agent_name;
  return workloadFromNode(node);
}

/** Values read back from the store are JSON; keep only well-formed ones. */
export function isRegisteredWorkload(v: unknown): v is RegisteredWorkload {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  return typeof w.key === 'string' && typeof w.namespace === 'string' && typeof w.address === 'string' && typeof w.port === 'number' && typeof w.labels === 'object';
}

/** Registered proxies (not proxyless apps) whose stream is not among `connected`, as `<namespace>/<node id>`. */
export function unconnectedProxies(registered: readonly RegisteredWorkload[], connected: readonly ConnectedProxy[]): string[] {
  const here = new Set(connected.map((p) => workloadFromProxy(p)?.key));
  return registered.filter((w) => w.proxyType !== 'proxyless' && !here.has(w.key)).map((w) => w.key.slice(WORKLOAD_PREFIX.length));
}
