// Translate stage: a router (trellis gateway) — one listener per server port whose filter chains serve the Gateways' HTTP, HTTPS, TLS and TCP servers; HTTP route configs from bound VirtualServices.
import { withTracing } from './tracing.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { type GatewayServer, gatewayServers, serverAdmits, serverHostName } from './gateway-servers.js';
import { gatewayTcpSpec, passthroughRoutes } from './gateway-l4.js';
import { HTTPS_ALPN, downstreamTlsSocket } from './gateway-tls.js';
import { ROUTE_TYPE, type Json, type XdsResource } from './generator.js';
import { statsFor, tcpFilters } from './istio-stats.js';
import { hcm, hcmFilter } from './hcm.js';
import { chainListener, tcpProxy, tcpStatPrefix } from './l4-filters.js';
import { boundTo } from './lookup.js';
import { secureListener } from './authz-listener.js';
import { gatewayHttpsRouteName, gatewayListenerName, gatewayRouteName } from './names.js';
import { type RouteContext, virtualServiceRoutes } from './route.js';
import { exportedTo } from './scope.js';

const TLS_KINDS = new Set(['https', 'tls-terminate', 'passthrough']);

/** How one port is served: a plain chain (HTTP or TCP — the first plain server's kind wins) beside TLS chains told apart by SNI. */
interface PortPlan {
  plain?: 'http' | 'tcp';
  plainServers: GatewayServer[];
  tlsServers: GatewayServer[];
}

function portPlan(servers: readonly GatewayServer[]): PortPlan {
  const first = servers.find((s) => s.kind === 'http' || s.kind === 'tcp');
  const plain = first?.kind === 'http' || first?.kind === 'tcp' ? first.kind : undefined;
  const plan: PortPlan = { plainServers: servers.filter((s) => s.kind === plain), tlsServers: servers.filter((s) => TLS_KINDS.has(s.kind)) };
  if (plain !== undefined) plan.plain = plain;
  return plan;
}

/** `http.<port>` (shared by the plain HTTP servers) or the HTTPS server's own config. */
function routeConfigName(port: number, gs: GatewayServer): string {
  return gs.kind === 'https' ? gatewayHttpsRouteName(port, gs.index, gs.gateway.metadata.name, gs.gateway.metadata.namespace) : gatewayRouteName(port);
}

/**
 * A terminating server's SNI names: its hosts, less those an earlier chain on the port took; [] = any name ('*').
 * Undefined when nothing is left (Envoy would reject two chains with the same match).
 */
function claimNames(gs: GatewayServer, claimed: Set<string>): string[] | undefined {
  const hosts = [...new Set(gs.server.hosts.map(serverHostName))];
  if (hosts.includes('*')) {
    if (claimed.has('*')) return undefined;
    claimed.add('*');
    return [];
  }
  const names = hosts.filter((h) => !claimed.has(h));
  for (const n of names) claimed.add(n);
  return names.length > 0 ? names : undefined;
}

function matchOf(serverNames: string[]): Json | undefined {
  return serverNames.length > 0 ? { server_names: serverNames } : undefined;
}

function withMatch(chain: Json, match: Json | undefined): Json {
  return match === undefined ? chain : { filter_chain_match: match, ...chain };
}

/** The TLS chains of a port, in server order: HTTPS and terminated TLS by server hosts, PASSTHROUGH by the `tls` rules' SNI names. */
function tlsChains(port: number, listenerName: string, plan: PortPlan, proxy: ProxyNode, snap: Snapshot): Json[] {
  const claimed = new Set<string>();
  const out: Json[] = [];
  for (const gs of plan.tlsServers) {
    const tls = gs.server.tls ?? {};
    if (gs.kind === 'passthrough') {
      for (const r of passthroughRoutes(gs, proxy, snap, claimed)) {
        out.push({ filter_chain_match: { server_names: r.serverNames }, filters: tcpFilters(tcpProxy(tcpStatPrefix(r.spec, listenerName), r.spec), statsFor(proxy, snap, 'CLIENT')) });
      }
      continue;
    }
    const spec = gs.kind === 'tls-terminate' ? gatewayTcpSpec([gs], proxy, snap) : undefined;
    if (gs.kind === 'tls-terminate' && spec === undefined) continue;
    const names = claimNames(gs, claimed);
    if (names === undefined) continue;
    const stats = statsFor(proxy, snap, 'CLIENT');
    const filters =
      spec !== undefined
        ? tcpFilters(tcpProxy(tcpStatPrefix(spec, listenerName), spec), stats)
        : [hcmFilter(withTracing(hcm(listenerName, { rds: routeConfigName(port, gs) }, { fault: true, cors: true, edge: true, stats }), proxy, snap, 'CLIENT'))];
    out.push(withMatch({ transport_socket: downstreamTlsSocket(tls, gs.kind === 'https' ? HTTPS_ALPN : []), filters }, matchOf(names)));
  }
  return out;
}

function plainChain(port: number, listenerName: string, plan: PortPlan, proxy: ProxyNode, snap: Snapshot): Json | undefined {
  if (plan.plain === 'http') return { filters: [hcmFilter(withTracing(hcm(listenerName, { rds: gatewayRouteName(port) }, { fault: true, cors: true, edge: true, stats: statsFor(proxy, snap, 'CLIENT') }), proxy, snap, 'CLIENT'))] };
  if (plan.plain !== 'tcp') return undefined;
  const spec = gatewayTcpSpec(plan.plainServers, proxy, snap);
  return spec !== undefined ? { filters: tcpFilters(tcpProxy(tcpStatPrefix(spec, listenerName), spec), statsFor(proxy, snap, 'CLIENT')) } : undefined;
}

export function gatewayListeners(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const [port, servers] of gatewayServers(proxy, snap)) {
    const bind = servers[0]?.server.bind ?? '0.0.0.0';
    const name = gatewayListenerName(bind, port);
    const plan = portPlan(servers);
    const tls = tlsChains(port, name, plan, proxy, snap);
    const plain = plainChain(port, name, plan, proxy, snap);
    const chains: Json[] = [];
    if (plain !== undefined) {
      // plaintext and TLS on one port: the tls_inspector's transport protocol keeps them apart
      chains.push(tls.length > 0 ? withMatch(plain, { transport_protocol: 'raw_buffer' }) : plain);
    }
    for (const c of tls) {
      const { filter_chain_match: m, ...rest } = c;
      chains.push(plain !== undefined ? withMatch(rest, { ...((m as Json | undefined) ?? {}), transport_protocol: 'tls' }) : c);
    }
    const l = chainListener(name, bind, port, 'OUTBOUND', { chains, tlsInspector: tls.length > 0 });
    if (l !== undefined) out.push({ name, resource: secureListener(l, proxy, snap) });
  }
  return out;
}

/** Virtual hosts of `servers` on `port`: one per VirtualService host a server admits (domains host and host:port). */
function virtualHosts(servers: readonly GatewayServer[], port: number, proxy: ProxyNode, snap: Snapshot): Json[] {
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
        if (server.tls?.httpsRedirect === true && server.tls.mode === undefined) vh.require_tls = 'ALL';
        vhosts.push(vh);
      }
    }
  }
  return vhosts;
}

function routeConfig(name: string, vhosts: Json[]): XdsResource {
  return { name, resource: { '@type': ROUTE_TYPE, name, virtual_hosts: vhosts, validate_clusters: false } };
}

/** `http.<port>` for the plain HTTP servers of a port; one config per HTTPS server, holding only the hosts it admits. */
export function gatewayRouteConfigs(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const [port, servers] of gatewayServers(proxy, snap)) {
    const plan = portPlan(servers);
    if (plan.plain === 'http') out.push(routeConfig(gatewayRouteName(port), virtualHosts(plan.plainServers, port, proxy, snap)));
    for (const gs of plan.tlsServers) {
      if (gs.kind === 'https') out.push(routeConfig(routeConfigName(port, gs), virtualHosts([gs], port, proxy, snap)));
    }
  }
  return out;
}
