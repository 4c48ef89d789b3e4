// Translate stage: VirtualService `tls` routes — SNI routing without termination: one filter chain per rule, matched on server_names.
import type { VirtualService } from '../../api/types.js';
import { hostCovers } from '../../api/hosts.js';
import type { DestContext } from './destinations.js';
import type { Json } from './generator.js';
import { type MatchScope, matchApplies } from './match.js';
import { l4ClusterSpec } from './tcp.js';

export interface SniRoute {
  /** Lower-case SNI names (exact or `*.suffix`), none claimed by an earlier route. */
  serverNames: string[];
  /** `{cluster}` or `{weighted_clusters}` for tcp_proxy. */
  spec: Json;
}

/**
 * The SNI routes of `vs` at `scope`, in rule order. A rule's names are the sniHosts of its applicable match
 * blocks, passed through `narrow` (a gateway keeps those its server hosts admit); names an earlier rule (of
 * this or an earlier VirtualService) took are left out, as the first match wins in Istio. `claimed` is updated.
 */
export function sniRoutes(vs: VirtualService, scope: MatchScope, ctx: DestContext, claimed: Set<string>, narrow: (sni: string) => string[] = (s) => [s]): SniRoute[] {
  const out: SniRoute[] = [];
  for (const rule of vs.spec.tls ?? []) {
    if (rule.route === undefined || rule.route.length === 0) continue;
    const names: string[] = [];
    for (const m of rule.match) {
      if (!matchApplies(m, scope)) continue;
      for (const sni of m.sniHosts.flatMap((h) => narrow(h.toLowerCase()))) {
        if (claimed.has(sni) || names.includes(sni)) continue;
        names.push(sni);
      }
    }
    if (names.length === 0) continue;
    for (const n of names) claimed.add(n);
    out.push({ serverNames: names, spec: l4ClusterSpec(rule.route, ctx) });
  }
  return out;
}

/**
 * Narrowing to a gateway server's hosts: an SNI name a server host covers is kept; a wildcard SNI covering a
 * server host becomes that host (Istio routes only names the server exposes).
 */
export function narrowToHosts(serverHosts: readonly string[]): (sni: string) => string[] {
  return (sni) => {
    if (serverHosts.some((h) => hostCovers(h, sni))) return [sni];
    return serverHosts.filter((h) => h !== '*' && hostCovers(sni, h));
  };
}
