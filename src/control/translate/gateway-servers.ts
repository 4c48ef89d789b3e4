// Translate stage: the Gateway servers a router serves, grouped by port and classified by what their listener filter chain does.
import type { Gateway, Server, VirtualService } from '../../api/types.js';
import { hostsOverlap } from '../../api/hosts.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import { protocolClass } from './protocol-class.js';
import { labelsMatch } from './scope.js';

/**
 * http: plain HTTP; https: TLS terminated (file certificates, a credentialName Secret over SDS, or ISTIO_MUTUAL), then HTTP; tls-terminate: TLS terminated, then
 * opaque TCP (`tcp` routes); passthrough: SNI routing of unterminated TLS (`tls` routes); tcp: opaque TCP (`tcp` routes).
 */
export type ServerKind = 'http' | 'https' | 'tls-terminate' | 'passthrough' | 'tcp';

export interface GatewayServer {
  gateway: Gateway;
  /** 'ns/name' */
  key: string;
  server: Server;
  /** Position in the Gateway's servers (names the HTTPS route config). */
  index: number;
  kind: ServerKind;
}

const TERMINATING = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'ISTIO_MUTUAL']);

/** Where a terminating server's certificate comes from: files, a Secret over SDS, or the mesh identity (ISTIO_MUTUAL). */
function hasCertificate(tls: NonNullable<Server['tls']>): boolean {
  if (tls.mode === 'ISTIO_MUTUAL') return true;
  if (tls.credentialName !== undefined && tls.credentialName !== '') return true;
  return tls.serverCertificate !== undefined && tls.privateKey !== undefined;
}

/**
 * How a server is served; undefined for what apply refuses (credentialNames, AUTO_PASSTHROUGH, UDP …),
 * so a stored resource from before a refusal can never be half-translated.
 */
export function serverKind(s: Server): ServerKind | undefined {
  const tls = s.tls;
  if ((tls?.credentialNames?.length ?? 0) > 0) return undefined;
  const terminate = tls?.mode !== undefined && TERMINATING.has(tls.mode);
  if (terminate && !hasCertificate(tls)) return undefined;
  switch (protocolClass(s.port.protocol)) {
    case 'http':
      // a TLS mode on an HTTP server terminates TLS as HTTPS would (httpsRedirect alone keeps it plain)
      return terminate ? 'https' : tls?.mode === undefined ? 'http' : undefined;
    case 'tls':
      if (terminate) return (s.port.protocol ?? '').toUpperCase() === 'HTTPS' ? 'https' : 'tls-terminate';
      // HTTPS or TLS without termination: passed through by SNI, as Istio does
      return tls?.mode === undefined || tls.mode === 'PASSTHROUGH' ? 'passthrough' : undefined;
    case 'tcp':
      return terminate ? 'tls-terminate' : tls?.mode === undefined ? 'tcp' : undefined;
    case undefined:
      return undefined;
  }
}

/** Every server of every Gateway whose selector matches the router, by port (ascending), in Gateway then server order. */
export function gatewayServers(proxy: ProxyNode, snap: Snapshot): Map<number, GatewayServer[]> {
  const byPort = new Map<number, GatewayServer[]>();
  if (proxy.type !== 'router') return byPort;
  for (const gw of snap.gateways) {
    if (!labelsMatch(gw.spec.selector, proxy.labels)) continue;
    gw.spec.servers.forEach((server, index) => {
      const kind = serverKind(server);
      if (kind === undefined) return;
      const list = byPort.get(server.port.number) ?? [];
      list.push({ gateway: gw, key: `${gw.metadata.namespace}/${gw.metadata.name}`, server, index, kind });
      byPort.set(server.port.number, list);
    });
  }
  return new Map([...byPort.entries()].sort((a, b) => a[0] - b[0]));
}

/** A server host entry without its namespace part ('ns/host' → 'host'), lower case. */
export function serverHostName(entry: string): string {
  const slash = entry.indexOf('/');
  return (slash === -1 ? entry : entry.slice(slash + 1)).toLowerCase();
}

/** Does a server host entry's namespace part ('*', '.', a name, or none) admit VirtualServices of this namespace? */
export function entryAdmitsNamespace(entry: string, gwNs: string, vs: VirtualService): boolean {
  const slash = entry.indexOf('/');
  const ns = slash === -1 ? '*' : entry.slice(0, slash);
  return ns === '*' || (ns === '.' ? gwNs : ns) === vs.metadata.namespace;
}

/** Does a server host entry ('ns/host', '*' and '.' allowed for ns) admit this VirtualService host? */
export function serverAdmits(entry: string, gwNs: string, vs: VirtualService, host: string): boolean {
  return entryAdmitsNamespace(entry, gwNs, vs) && hostsOverlap(serverHostName(entry), host);
}

/** Does one of the server's host entries admit one of the VirtualService's hosts? */
export function serverAdmitsAny(gs: GatewayServer, vs: VirtualService): boolean {
  return (vs.spec.hosts ?? []).some((h) => gs.server.hosts.some((e) => serverAdmits(e, gs.gateway.metadata.namespace, vs, h.toLowerCase())));
}
