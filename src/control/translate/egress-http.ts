// Translate stage: an HTTP Sidecar egress listener — its own HTTP connection manager with an inline route config for the services on that port.
import { withTracing } from './tracing.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { serviceNames } from './domains.js';
import type { EgressListenerSpec } from './egress.js';
import type { Json } from './generator.js';
import { statsFor } from './istio-stats.js';
import { hcm, hcmFilter, listener } from './hcm.js';
import { MESH_GATEWAY, virtualServiceFor } from './lookup.js';
import { outboundClusterName } from './names.js';
import { type RouteContext, defaultRoute, virtualServiceRoutes } from './route.js';

/**
 * One virtual host per imported service, named `host:port`: its names with and without the listener port (the
 * listener serves one port, so a port-less Host means it), routes from its 'mesh' VirtualService else the default
 * route. A domain an earlier service claimed is skipped, as in the `outbound` route config.
 */
export function egressRouteConfig(spec: EgressListenerSpec, proxy: ProxyNode, snap: Snapshot): Json {
  const claimed = new Set<string>();
  const vhosts: Json[] = [];
  for (const { service, port } of spec.targets) {
    const domains = serviceNames(service, proxy.namespace)
      .flatMap((n) => [n, `${n}:${spec.port}`])
      .filter((d) => !claimed.has(d));
    if (domains.length === 0) continue;
    for (const d of domains) claimed.add(d);
    const vs = virtualServiceFor(service.hostname, MESH_GATEWAY, proxy.namespace, snap);
    const ctx: RouteContext = { proxy, snap, namespace: vs?.metadata.namespace ?? service.namespace, port: port.port, gateway: MESH_GATEWAY, matchPort: spec.port };
    const routes = vs !== undefined ? virtualServiceRoutes(vs, ctx) : [defaultRoute(outboundClusterName(port.port, '', service.hostname), service.hostname, port.port, ctx)];
    vhosts.push({ name: `${service.hostname}:${port.port}`, domains, routes });
  }
  // routes name clusters that arrive over CDS in the same push; there is nothing static to check against
  return { name: spec.name, virtual_hosts: vhosts, validate_clusters: false };
}

/** The listener: cors, fault and router filters as on the `outbound` listener. */
export function httpEgressListener(spec: EgressListenerSpec, proxy: ProxyNode, snap: Snapshot): Json {
  const cfg = withTracing(hcm(`outbound_${spec.name}`, { inline: egressRouteConfig(spec, proxy, snap) }, { fault: true, cors: true, stats: statsFor(proxy, snap, 'CLIENT') }), proxy, snap, 'CLIENT');
  return listener(spec.name, spec.bind, spec.port, 'OUTBOUND', hcmFilter(cfg));
}
