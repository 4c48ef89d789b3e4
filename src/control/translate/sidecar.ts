// Translate stage: a sidecar's listeners (outbound on 127.0.0.1, inbound to the local app) and its `outbound` route configuration.
import { withTracing } from './tracing.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { isHttpProtocol } from './cluster-policy.js';
import { serviceDomains } from './domains.js';
import { ROUTE_TYPE, VIRTUAL_HOST_TYPE, type Json, type XdsResource } from './generator.js';
import { statsFor, tcpFilters } from './istio-stats.js';
import { hcm, hcmFilter, listener, tcpProxyFilter } from './hcm.js';
import { inboundService } from './inbound.js';
import { secureInbound } from './authz-listener.js';
import { MESH_GATEWAY, virtualServiceFor } from './lookup.js';
import { INBOUND_LISTENER, OUTBOUND_LISTENER, OUTBOUND_ROUTE, inboundClusterName, outboundClusterName } from './names.js';
import { type RouteContext, defaultRoute, virtualServiceRoutes } from './route.js';
import { outboundListenerServices } from './scope.js';
import { INBOUND_XFCC, inboundListenerFor, workloadMtlsMode } from './peer-authn.js';

/** The app's outbound listener: loopback only (nothing else may use the app's identity), all HTTP via RDS `outbound`. */
export function outboundListener(proxy: ProxyNode, snap: Snapshot): XdsResource {
  const cfg = hcm(OUTBOUND_LISTENER, { rds: OUTBOUND_ROUTE }, { fault: true, cors: true, stats: statsFor(proxy, snap, 'CLIENT') });
  withTracing(cfg, proxy, snap, 'CLIENT');
  return { name: OUTBOUND_LISTENER, resource: listener(OUTBOUND_LISTENER, '127.0.0.1', proxy.outboundPort, 'OUTBOUND', hcmFilter(cfg)) };
}

/**
 * The inbound listener on 0.0.0.0 (peers on other hosts connect to it: without iptables, endpoints of a sidecar'd
 * workload are its inbound port) → `inbound|<servicePort>||` → 127.0.0.1:appPort. TCP service ports get tcp_proxy.
 * Its filter chains and transport sockets follow the workload's PeerAuthentication (peer-authn.ts).
 */
export function inboundListener(proxy: ProxyNode, snap: Snapshot): XdsResource | undefined {
  if (proxy.servicePort === undefined || proxy.appPort === undefined) return undefined;
  const cluster = inboundClusterName(proxy.servicePort);
  const protocol = inboundService(proxy, snap)?.port.protocol ?? 'HTTP';
  let filters: Json[];
  if (isHttpProtocol(protocol)) {
    const route: Json = {
      name: `inbound|${proxy.servicePort}`,
      // the inbound cluster arrives in the same push; there is nothing static to check against
      validate_clusters: false,
      virtual_hosts: [
        {
          name: `inbound|http|${proxy.servicePort}`,
          domains: ['*'],
          routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } }],
        },
      ],
    };
    filters = [hcmFilter(withTracing({ ...hcm(INBOUND_LISTENER, { inline: route }, { fault: false, networkFacing: true, stats: statsFor(proxy, snap, 'SERVER') }), ...INBOUND_XFCC }, proxy, snap, 'SERVER'))];
  } else {
    filters = tcpFilters(tcpProxyFilter(INBOUND_LISTENER, cluster), statsFor(proxy, snap, 'SERVER'));
  }
  // PeerAuthentication decides the chains (mTLS, plaintext or both); portLevelMtls is keyed by the app's port
  const mode = workloadMtlsMode(proxy.namespace, proxy.labels, proxy.appPort, snap);
  return { name: INBOUND_LISTENER, resource: secureInbound(inboundListenerFor(INBOUND_LISTENER, '0.0.0.0', proxy.inboundPort, filters, mode, isHttpProtocol(protocol)), proxy, snap) };
}

/**
 * The `outbound` virtual hosts: one per HTTP port of a service the catch-all egress listener imports, named `host:port`, routes from the VirtualService
 * bound to 'mesh' for that host, else the default route. A domain already claimed by an earlier host is skipped.
 */
export function outboundVirtualHosts(proxy: ProxyNode, snap: Snapshot): Json[] {
  const claimed = new Set<string>();
  const vhosts: Json[] = [];
  for (const svc of outboundListenerServices(proxy, snap)) {
    const vs = virtualServiceFor(svc.hostname, MESH_GATEWAY, proxy.namespace, snap);
    for (const port of svc.ports) {
      if (!isHttpProtocol(port.protocol)) continue;
      const domains = serviceDomains(svc, port, proxy.namespace).filter((d) => !claimed.has(d));
      if (domains.length === 0) continue;
      for (const d of domains) claimed.add(d);
      const ctx: RouteContext = { proxy, snap, namespace: vs?.metadata.namespace ?? svc.namespace, port: port.port, gateway: MESH_GATEWAY };
      const routes = vs !== undefined ? virtualServiceRoutes(vs, ctx) : [defaultRoute(outboundClusterName(port.port, '', svc.hostname), svc.hostname, port.port, ctx)];
      vhosts.push({ name: `${svc.hostname}:${port.port}`, domains, routes });
    }
  }
  return vhosts;
}

/**
 * RDS `outbound`: the virtual hosts inline, or — for a proxy on a Delta stream — none inline and `vhds` pointing at
 * ADS, so a VirtualService edit sends one changed virtual host instead of every service's (Envoy's VHDS).
 */
export function outboundRouteConfig(proxy: ProxyNode, snap: Snapshot): XdsResource {
  const rc: Json = { '@type': ROUTE_TYPE, name: OUTBOUND_ROUTE, validate_clusters: false };
  if (proxy.vhds === true) rc.vhds = { config_source: { ads: {}, resource_api_version: 'V3' } };
  else rc.virtual_hosts = outboundVirtualHosts(proxy, snap);
  return { name: OUTBOUND_ROUTE, resource: rc };
}

/** VHDS resources of the `outbound` route config: `outbound/<host:port>` (Envoy's `<route config>/<vhost>` naming). */
export function outboundVhdsResources(proxy: ProxyNode, snap: Snapshot): XdsResource[] {
  if (proxy.vhds !== true) return [];
  return outboundVirtualHosts(proxy, snap).map((vh) => {
    const name = `${OUTBOUND_ROUTE}/${String(vh.name)}`;
    return { name, resource: { '@type': VIRTUAL_HOST_TYPE, ...vh, name } };
  });
}
