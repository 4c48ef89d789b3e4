// Translate stage: L4 routing on a router — `tcp` rules for TCP (and terminated TLS) servers, `tls` SNI rules for PASSTHROUGH servers.
import type { VirtualService } from '../../api/types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import type { DestContext } from './destinations.js';
import type { Json } from './generator.js';
import { type GatewayServer, entryAdmitsNamespace, serverAdmitsAny, serverHostName } from './gateway-servers.js';
import { boundTo } from './lookup.js';
import type { MatchScope } from './match.js';
import { exportedTo } from './scope.js';
import { tcpRouteSpec } from './tcp.js';
import { type SniRoute, narrowToHosts, sniRoutes } from './tls-routes.js';

/** The VirtualServices bound to the server's Gateway, exported to its namespace, with a host the server admits (snapshot order). */
function admitted(gs: GatewayServer, snap: Snapshot): VirtualService[] {
  return snap.virtualServices.filter((vs) => boundTo(vs, gs.key) && exportedTo(vs.spec.exportTo, vs.metadata.namespace, gs.gateway.metadata.namespace) && serverAdmitsAny(gs, vs));
}

function judged(gs: GatewayServer, vs: VirtualService, proxy: ProxyNode, snap: Snapshot): { scope: MatchScope; ctx: DestContext } {
  const port = gs.server.port.number;
  // destinations at a gateway name their port, or the service's only port (there is no "port being routed")
  return { scope: { proxy, gateway: gs.key, vsNamespace: vs.metadata.namespace, port }, ctx: { proxy, snap, namespace: vs.metadata.namespace, port: undefined } };
}

/** TCP (or terminated TLS): the first applicable `tcp` rule among the VirtualServices the servers admit, in server order. */
export function gatewayTcpSpec(servers: readonly GatewayServer[], proxy: ProxyNode, snap: Snapshot): Json | undefined {
  for (const gs of servers) {
    for (const vs of admitted(gs, snap)) {
      const { scope, ctx } = judged(gs, vs, proxy, snap);
      const spec = tcpRouteSpec(vs, scope, ctx);
      if (spec !== undefined) return spec;
    }
  }
  return undefined;
}

/** PASSTHROUGH: SNI routes from the `tls` rules the server admits, names narrowed to its hosts; `claimed` is shared per port. */
export function passthroughRoutes(gs: GatewayServer, proxy: ProxyNode, snap: Snapshot, claimed: Set<string>): SniRoute[] {
  return admitted(gs, snap).flatMap((vs) => {
    const { scope, ctx } = judged(gs, vs, proxy, snap);
    const hosts = gs.server.hosts.filter((e) => entryAdmitsNamespace(e, gs.gateway.metadata.namespace, vs)).map(serverHostName);
    return sniRoutes(vs, scope, ctx, claimed, narrowToHosts(hosts));
  });
}
