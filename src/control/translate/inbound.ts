// Translate stage: the service a sidecar serves (from its TRELLIS_SERVICE / TRELLIS_SERVICE_PORT metadata), for its inbound side.
import type { ProxyNode, ServiceInfo, ServicePortInfo, Snapshot } from '../model/types.js';
import { resolveHost } from './lookup.js';

/** The served service and port; undefined when the proxy names none or the registry does not know it (then HTTP is assumed). */
export function inboundService(proxy: ProxyNode, snap: Snapshot): { service: ServiceInfo; port: ServicePortInfo } | undefined {
  if (proxy.serviceName === undefined || proxy.servicePort === undefined) return undefined;
  const svc = snap.index.servicesByHost.get(resolveHost(proxy.serviceName, proxy.namespace, snap));
  const port = svc?.ports.find((p) => p.port === proxy.servicePort);
  return svc !== undefined && port !== undefined ? { service: svc, port } : undefined;
}
