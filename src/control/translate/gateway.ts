// Translate stage: a router (trellis gateway) — Gateways selecting it → one listener per HTTP server port, routes `http.<port>` from bound VirtualServices.
import type { Gateway, Server, VirtualService } from '../../api/types.js';
import { hostsOverlap } from '../../api/hosts.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { ROUTE_TYPE, type Json, type XdsResource } from './generator.js';
import { hcm, hcmFilter, listener } from './hcm.js';
import { boundTo } from './lookup.js';
import { gatewayListenerName, gatewayRouteName } from './names.js';
import { type RouteContext, virtualServiceRoutes } from './route.js';
import { exportedTo, labelsMatch } from './scope.js';

const HTTP_SERVER = new Set(['HTTP', 'HTTP2', 'GRPC']);

export interface GatewayServer {
  gateway: Gateway;
  /** 'ns/name' */
  key: string;
  server: Server;
}

/** The plain-HTTP servers of every Gateway whose selector matches the router, by port (TLS servers are not translated yet). */
export function gatewayServers(proxy: ProxyNode, snap: Snapshot): Map<number, GatewayServer[]> {
  const byPort = new Map<number, GatewayServer[]>();
  if (proxy.type !== 'router') return byPort;
  for (const gw of snap.gateways) {
    if (!labelsMatch(gw.spec.selector, proxy.labels)) continue;
    for (const server of gw.spec.servers) {
      if (!HTTP_SERVER.has((server.port.protocol ?? '').toUpperCase())) continue;
      const list = byPort.get(server.port.number) ?? [];
      list.push({ gateway: gw, key: `${gw.metadata.namespace}/${gw.metadata.name}`, server });
      byPort.set(server.port.number, list);
    }
  }
  return new Map([...byPort.entries()].sort((a, b) => a[0] - b[0]));
}

/** Does a server host entry ('ns/host', '*' and '.' allowed for ns) admit this VirtualService host? */
function serverAdmits(entry: string, gwNs: string, vs: VirtualService, host: string): boolean {
  const slash = entry.indexOf('/');
  const ns = slash === -1 ? '*' : entry.slice(0, slash);
  const h = slash === -1 ? entry : entry.slice(slash + 1);
  if (ns !== '*' && (ns === '.' ? gwNs : ns) !== vs.metadata.namespace) return false;
  return hostsOverlap(h, host);
}

export function gatewayListeners(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const [port, servers] of gatewayServers(proxy, snap)) {
    const bind = servers[0]?.server.bind ?? '0.0.0.0';
    const name = gatewayListenerName(bind, port);
    const cfg = hcm(name, { rds: gatewayRouteName(port) }, { fault: true, cors: true, edge: true });
    out.push({ name, resource: listener(name, bind, port, 'OUTBOUND', hcmFilter(cfg)) });
  }
  return out;
}

/** `http.<port>`: a virtual host per VirtualService host (domains host and host:port) admitted by a server on that port. */
export function gatewayRouteConfigs(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const [port, servers] of gatewayServers(proxy, snap)) {
    const claimed = new Set<string>();
    const vhosts: Json[] = [];
    for (const { gateway, key, server } of servers) {
      for (const vs of snap.virtualServices) {
        if (!boundTo(vs, key) || !exportedTo(vs.spec.exportTo, vs.metadata.namespace, gateway.metadata.namespace)) continue;
        for (const raw of vs.spec.hosts ?? []) {
          const host = raw.toLowerCase();
          if (!server.hosts.some((e) => serverAdmits(e, gateway.metadata.namespace, vs, host))) continue;
          const domains = (host === '*' ? ['*'] : [host, `${host}:${port}`]).filter((d) => !claimed.has(d));
          if (domains.length === 0) continue;
          for (const d of domains) claimed.add(d);
          const ctx: RouteContext = { proxy, snap, namespace: vs.metadata.namespace, port: undefined, gateway: key, matchPort: port };
          const vh: Json = { name: `${host}:${port}`, domains, routes: virtualServiceRoutes(vs, ctx) };
          if (server.tls?.httpsRedirect === true) vh.require_tls = 'ALL';
          vhosts.push(vh);
        }
      }
    }
    const name = gatewayRouteName(port);
    out.push({ name, resource: { '@type': ROUTE_TYPE, name, virtual_hosts: vhosts, validate_clusters: false } });
  }
  return out;
}
