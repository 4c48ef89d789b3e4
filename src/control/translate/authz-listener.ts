// Translate stage: puts a proxy's security filters into a finished listener — before the router of every HCM and before
// tcp_proxy on every TCP chain — so sidecar and gateway builders each make one call, whatever chains they built.
import type { ProxyNode, Snapshot } from '../model/types.js';
import type { Json } from './generator.js';
import { HCM_FILTER, TCP_PROXY_FILTER } from './hcm.js';
import { ROUTER_FILTER } from './generator.js';
import { type AuthzSite, httpSecurityFilters, networkSecurityFilters } from './authz-filters.js';
import { isJson, mapFilterChains } from './listener-chains.js';

function secureHcm(hcm: Json, http: Json[], trustedHops: number | undefined): Json {
  const filters = Array.isArray(hcm.http_filters) ? hcm.http_filters.filter(isJson) : [];
  const router = filters.findIndex((f) => f.name === ROUTER_FILTER || f.name === 'istio.stats'); // authn/authz before stats, as Istio orders them
  const at = router >= 0 ? router : filters.length;
  const out: Json = { ...hcm, http_filters: [...filters.slice(0, at), ...structuredClone(http), ...filters.slice(at)] };
  if (trustedHops !== undefined && trustedHops > 0) out.xff_num_trusted_hops = trustedHops;
  return out;
}

function secureChain(chain: Json, http: () => Json[], tcp: () => Json[], trustedHops: number | undefined): Json {
  if (!Array.isArray(chain.filters)) return chain;
  const out: Json[] = [];
  let secured = false;
  for (const f of chain.filters) {
    if (!isJson(f)) continue;
    if (f.name === HCM_FILTER && isJson(f.typed_config)) {
      const h = http();
      out.push(h.length === 0 && trustedHops === undefined ? f : { ...f, typed_config: secureHcm(f.typed_config, h, trustedHops) });
    } else {
      // before istio.stats (a denied connection is not a served one, as Istio orders them), else before tcp_proxy
      if (!secured && (f.name === TCP_PROXY_FILTER || f.name === 'istio.stats')) {
        out.push(...structuredClone(tcp()));
        secured = true;
      }
      out.push(f);
    }
  }
  return { ...chain, filters: out };
}

/**
 * The listener with the proxy's jwt_authn / ext_authz / rbac filters added. `site` says whether ports are decided here
 * (a sidecar's inbound listener serves one port) or per connection (gateways). Gateways also get the mesh config's
 * numTrustedProxies as xff_num_trusted_hops, which remote.ip and remoteIpBlocks read.
 */
export function secureListener(listener: Json, proxy: ProxyNode, snap: Snapshot, ports?: ReadonlySet<number>): Json {
  let httpF: Json[] | undefined;
  let tcpF: Json[] | undefined;
  const http = (): Json[] => (httpF ??= httpSecurityFilters(proxy, snap, site(false)));
  const tcp = (): Json[] => (tcpF ??= networkSecurityFilters(proxy, snap, site(true)));
  function site(isTcp: boolean): AuthzSite {
    return ports !== undefined ? { tcp: isTcp, ports } : { tcp: isTcp };
  }
  const hops = proxy.type === 'router' ? snap.mesh.numTrustedProxies : undefined;
  return mapFilterChains(listener, (c) => secureChain(c, http, tcp, hops));
}

/** A sidecar's inbound listener: it carries one workload port, its service port (reached at the app port). */
export function secureInbound(listener: Json, proxy: ProxyNode, snap: Snapshot): Json {
  const ports = new Set([proxy.servicePort, proxy.appPort].filter((p): p is number => p !== undefined));
  return secureListener(listener, proxy, snap, ports);
}
