// Translate stage: proxyless gRPC (grpc-js-xds) — listeners named by the client's target authority, each an api_listener with RDS of the same name.
import type { ProxyNode, ServiceInfo, ServicePortInfo, Snapshot } from '../model/types.js';
import { LISTENER_TYPE, ROUTE_TYPE, type XdsResource } from './generator.js';
import { hcm } from './hcm.js';
import { MESH_GATEWAY, resolveHost, virtualServiceFor } from './lookup.js';
import { outboundClusterName } from './names.js';
import { type RouteContext, defaultRoute, virtualServiceRoutes } from './route.js';
import { visibleServices } from './scope.js';

export interface Target {
  name: string;
  service: ServiceInfo;
  port: ServicePortInfo;
}

/**
 * `xds:///reviews.default.svc.cluster.local:9080` (or `reviews:9080`, `reviews.default:9080`, resolved in the client's
 * namespace) → service and port. Without a port, the service's only port. Undefined for unknown or out-of-scope targets.
 */
export function resolveTarget(name: string, proxy: ProxyNode, snap: Snapshot, visible: ReadonlySet<string>): Target | undefined {
  const m = /^(.*?)(?::(\d+))?$/.exec(name);
  const hostPart = m?.[1] ?? name;
  const portNum = m?.[2] !== undefined ? Number(m[2]) : undefined;
  const host = resolveHost(hostPart, proxy.namespace, snap);
  const service = snap.index.servicesByHost.get(host);
  if (service === undefined || !visible.has(host)) return undefined;
  const port = portNum !== undefined ? service.ports.find((p) => p.port === portNum) : service.ports.length === 1 ? service.ports[0] : undefined;
  return port === undefined ? undefined : { name, service, port };
}

/** The targets asked for, or every `host:port` when the client subscribes to everything. */
export function targets(proxy: ProxyNode, snap: Snapshot, names: readonly string[] | undefined): Target[] {
  const services = visibleServices(proxy, snap);
  const visible = new Set(services.map((s) => s.hostname));
  if (names === undefined || names.length === 0) {
    return services.flatMap((service) => service.ports.map((port) => ({ name: `${service.hostname}:${port.port}`, service, port })));
  }
  return [...new Set(names)]
    .sort()
    .map((n) => resolveTarget(n, proxy, snap, visible))
    .filter((t): t is Target => t !== undefined);
}

/** Minimal api_listener: grpc-js-xds rejects much of what Envoy accepts, so only the HCM with RDS and fault + router. */
export function proxylessListener(t: Target): XdsResource {
  const cfg = hcm(t.name, { rds: t.name }, { fault: true });
  delete cfg.codec_type; // a socket option of Envoy's; meaningless for an API listener
  return { name: t.name, resource: { '@type': LISTENER_TYPE, name: t.name, api_listener: { api_listener: cfg } } };
}

/** One route config per target; one virtual host (domains '*', the config is already per target). */
export function proxylessRouteConfig(t: Target, proxy: ProxyNode, snap: Snapshot): XdsResource {
  const vs = virtualServiceFor(t.service.hostname, MESH_GATEWAY, proxy.namespace, snap);
  const ctx: RouteContext = { proxy, snap, namespace: vs?.metadata.namespace ?? t.service.namespace, port: t.port.port, gateway: MESH_GATEWAY };
  const routes = vs !== undefined ? virtualServiceRoutes(vs, ctx) : [defaultRoute(outboundClusterName(t.port.port, '', t.service.hostname), t.service.hostname, t.port.port, ctx)];
  const vhost = { name: `${t.service.hostname}:${t.port.port}`, domains: ['*'], routes };
  return { name: t.name, resource: { '@type': ROUTE_TYPE, name: t.name, virtual_hosts: [vhost] } };
}
