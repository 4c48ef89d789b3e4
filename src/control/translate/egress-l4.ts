// Translate stage: TCP and TLS (SNI passthrough) Sidecar egress listeners — tcp_proxy routed by the VirtualService `tcp` / `tls` rules bound to 'mesh'.
import type { VirtualService } from '../../api/types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import type { DestContext } from './destinations.js';
import type { EgressListenerSpec, EgressTarget } from './egress.js';
import type { Json } from './generator.js';
import { chainListener, tcpProxy, tcpStatPrefix } from './l4-filters.js';
import { MESH_GATEWAY, virtualServiceFor } from './lookup.js';
import type { MatchScope } from './match.js';
import { outboundClusterName } from './names.js';
import { tcpRouteSpec } from './tcp.js';
import { sniRoutes } from './tls-routes.js';
import { statsFor, tcpFilters, type IstioStats } from './istio-stats.js';

interface Routing {
  vs: VirtualService | undefined;
  scope: MatchScope;
  ctx: DestContext;
  /** The service port's own cluster: where traffic goes without an applicable rule. */
  defaultSpec: Json;
}

/** The VirtualService bound to 'mesh' for a target, and the scope its rules are judged in (the listener port is the one addressed). */
function routing(t: EgressTarget, spec: EgressListenerSpec, proxy: ProxyNode, snap: Snapshot): Routing {
  const vs = virtualServiceFor(t.service.hostname, MESH_GATEWAY, proxy.namespace, snap);
  const namespace = vs?.metadata.namespace ?? t.service.namespace;
  return {
    vs,
    scope: { proxy, gateway: MESH_GATEWAY, vsNamespace: namespace, port: spec.port },
    ctx: { proxy, snap, namespace, port: t.port.port },
    defaultSpec: { cluster: outboundClusterName(t.port.port, '', t.service.hostname) },
  };
}

function chain(spec: Json, listener: string, stats: IstioStats | undefined, serverNames?: string[]): Json {
  const out: Json = {};
  if (serverNames !== undefined) out.filter_chain_match = { server_names: serverNames };
  out.filters = tcpFilters(tcpProxy(tcpStatPrefix(spec, listener), spec), stats);
  return out;
}

/**
 * TCP: forwards to the one service the hosts import, through its first applicable `tcp` rule. A TCP connection
 * carries no name to choose between services, so none or several targets build no listener (analyze reports it).
 */
export function tcpEgressListener(spec: EgressListenerSpec, proxy: ProxyNode, snap: Snapshot): Json | undefined {
  const only = spec.targets[0];
  if (spec.targets.length !== 1 || only === undefined) return undefined;
  const r = routing(only, spec, proxy, snap);
  const routed = tcpRouteSpec(r.vs, r.scope, r.ctx) ?? r.defaultSpec;
  return chainListener(spec.name, spec.bind, spec.port, 'OUTBOUND', { chains: [chain(routed, spec.name, statsFor(proxy, snap, 'CLIENT'))], tlsInspector: false });
}

/**
 * TLS: the ClientHello's SNI picks a chain — one per applicable `tls` rule; a service without one is reached under
 * its own host name. With a single imported service that has no rule, any other SNI (or none) goes to it as well.
 */
export function tlsEgressListener(spec: EgressListenerSpec, proxy: ProxyNode, snap: Snapshot): Json | undefined {
  const claimed = new Set<string>();
  const chains: Json[] = [];
  const stats = statsFor(proxy, snap, 'CLIENT');
  let fallback: Json | undefined;
  for (const t of spec.targets) {
    const r = routing(t, spec, proxy, snap);
    const routes = r.vs !== undefined ? sniRoutes(r.vs, r.scope, r.ctx, claimed) : [];
    for (const sr of routes) chains.push(chain(sr.spec, spec.name, stats, sr.serverNames));
    if (routes.length > 0) continue;
    if (spec.targets.length === 1) fallback = chain(r.defaultSpec, spec.name, stats);
    if (claimed.has(t.service.hostname)) continue;
    claimed.add(t.service.hostname);
    chains.push(chain(r.defaultSpec, spec.name, stats, [t.service.hostname]));
  }
  const set = fallback !== undefined ? { chains, defaultChain: fallback, tlsInspector: true } : { chains, tlsInspector: true };
  return chainListener(spec.name, spec.bind, spec.port, 'OUTBOUND', set);
}
