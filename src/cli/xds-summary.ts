// CLI: istioctl-style summary rows of Envoy proto-JSON resources (Listener, RouteConfiguration, Cluster, ClusterLoadAssignment) for `trellis proxy-config`.
import { isRecord } from './client.js';
import { cell } from './output.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (isRecord(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export interface Summary {
  headers: string[];
  rows: string[][];
}

/**
 * Istio labels what generated a route or cluster in `metadata.filter_metadata.istio.config`
 * (`/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews`); istioctl shows it as `reviews.default`.
 */
function istioConfigRef(resource: Obj): string {
  const ref = str(obj(obj(obj(resource.metadata).filter_metadata).istio).config);
  const m = ref === undefined ? null : /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(ref);
  return m === null ? '-' : `${m[2]}.${m[1]}`;
}

// ───────────── listeners: ADDRESS PORT MATCH DESTINATION ─────────────

function describeMatch(m: unknown): string {
  const match = obj(m);
  const parts: string[] = [];
  const port = str(match.destination_port);
  if (port !== undefined) parts.push(`Port: ${port}`);
  const ranges = arr(match.prefix_ranges).map((r) => `${str(obj(r).address_prefix) ?? '?'}/${str(obj(r).prefix_len) ?? '32'}`);
  if (ranges.length > 0) parts.push(`Addr: ${ranges.join(',')}`);
  const sni = arr(match.server_names).map(String);
  if (sni.length > 0) parts.push(`SNI: ${sni.join(',')}`);
  const trans = str(match.transport_protocol);
  if (trans !== undefined) parts.push(`Trans: ${trans}`);
  const app = arr(match.application_protocols).map(String);
  if (app.length > 0) parts.push(`App: ${app.join(',')}`);
  return parts.length === 0 ? 'ALL' : parts.join('; ');
}

function describeHcm(cfg: Obj): string {
  const rds = str(obj(cfg.rds).route_config_name);
  if (rds !== undefined) return `Route: ${rds}`;
  const inline = obj(cfg.route_config);
  const clusters = arr(inline.virtual_hosts).flatMap((vh) => arr(obj(vh).routes).map((r) => str(obj(obj(r).route).cluster))).filter((c): c is string => c !== undefined);
  return `Inline Route: ${str(inline.name) ?? (clusters.length > 0 ? [...new Set(clusters)].join(',') : '-')}`;
}

function describeFilter(f: unknown): string | undefined {
  const filter = obj(f);
  const cfg = obj(filter.typed_config);
  const type = str(cfg['@type']) ?? '';
  const name = str(filter.name) ?? '';
  if (type.endsWith('HttpConnectionManager') || name.endsWith('http_connection_manager')) return describeHcm(cfg);
  if (type.endsWith('TcpProxy') || name.endsWith('tcp_proxy')) {
    const cluster = str(cfg.cluster);
    if (cluster !== undefined) return `Cluster: ${cluster}`;
    return `Clusters: ${arr(obj(cfg.weighted_clusters).clusters).map((c) => str(obj(c).name) ?? '?').join(',')}`;
  }
  return name === '' ? undefined : name;
}

function describeChain(chain: unknown): string {
  const dests = arr(obj(chain).filters).map(describeFilter).filter((d): d is string => d !== undefined);
  return cell(dests.join('; '));
}

export function listenerSummary(listeners: readonly unknown[]): Summary {
  const rows: string[][] = [];
  for (const l of listeners.map(obj)) {
    const api = obj(obj(l.api_listener).api_listener);
    if (Object.keys(api).length > 0) {
      // proxyless gRPC: no socket, the listener name is the client's target
      rows.push([str(l.name) ?? '-', '-', 'ALL', describeHcm(api)]);
      continue;
    }
    const sock = obj(obj(l.address).socket_address);
    const address = str(sock.address) ?? '-';
    const port = str(sock.port_value) ?? '-';
    for (const chain of arr(l.filter_chains)) rows.push([address, port, describeMatch(obj(chain).filter_chain_match), describeChain(chain)]);
    if (l.default_filter_chain !== undefined) rows.push([address, port, 'DEFAULT', describeChain(l.default_filter_chain)]);
  }
  return { headers: ['ADDRESS', 'PORT', 'MATCH', 'DESTINATION'], rows };
}

// ───────────── routes: NAME VHOST NAME DOMAINS MATCH VIRTUAL SERVICE ─────────────

function describeRouteMatch(m: unknown): string {
  const match = obj(m);
  const prefix = str(match.prefix);
  let path: string;
  if (prefix !== undefined) path = `${prefix}*`;
  else if (str(match.path) !== undefined) path = str(match.path) ?? '';
  else if (str(match.path_separated_prefix) !== undefined) path = `${str(match.path_separated_prefix) ?? ''}/*`;
  else if (str(obj(match.safe_regex).regex) !== undefined) path = `${str(obj(match.safe_regex).regex) ?? ''} (regex)`;
  else path = '/*';
  const headers = arr(match.headers).map((h) => str(obj(h).name)).filter((n): n is string => n !== undefined);
  return headers.length > 0 ? `${path} [${headers.join(',')}]` : path;
}

function describeDomains(domains: string[], wide: boolean): string {
  if (domains.length <= 1 || wide) return cell(domains);
  return `${domains[0] ?? ''} + ${domains.length - 1} more...`;
}

export function routeSummary(configs: readonly unknown[], wide: boolean): Summary {
  const rows: string[][] = [];
  for (const rc of configs.map(obj)) {
    const name = str(rc.name) ?? '-';
    for (const vh of arr(rc.virtual_hosts).map(obj)) {
      const domains = describeDomains(arr(vh.domains).map(String), wide);
      const routes = arr(vh.routes).map(obj);
      if (routes.length === 0) rows.push([name, str(vh.name) ?? '-', domains, '-', '-']);
      for (const r of routes) rows.push([name, str(vh.name) ?? '-', domains, describeRouteMatch(r.match), istioConfigRef(r)]);
    }
  }
  return { headers: ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows };
}

// ───────────── clusters: SERVICE FQDN PORT SUBSET DIRECTION TYPE DESTINATION RULE ─────────────

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → its parts; other names (static clusters) stand alone. */
export function parseIstioClusterName(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const parts = name.split('|');
  if (parts.length === 4 && (parts[0] === 'outbound' || parts[0] === 'inbound')) {
    const [direction, port, subset, fqdn] = parts as [string, string, string, string];
    return { fqdn: cell(fqdn), port: cell(port), subset: cell(subset), direction };
  }
  return { fqdn: name, port: '-', subset: '-', direction: '-' };
}

export function clusterSummary(clusters: readonly unknown[]): Summary {
  const rows = clusters.map(obj).map((c) => {
    const p = parseIstioClusterName(str(c.name) ?? '-');
    // proto3 JSON omits the default enum value: no `type` means STATIC
    const type = str(c.type) ?? (str(obj(c.cluster_type).name) ?? 'STATIC');
    return [p.fqdn, p.port, p.subset, p.direction, type, istioConfigRef(c)];
  });
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || Number(a[1]) - Number(b[1]) || (a[2] ?? '').localeCompare(b[2] ?? ''));
  return { headers: ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], rows };
}

// ───────────── endpoints: ENDPOINT STATUS OUTLIER CHECK CLUSTER ─────────────

export function endpointSummary(assignments: readonly unknown[], wide: boolean): Summary {
  const rows: string[][] = [];
  for (const cla of assignments.map(obj)) {
    const cluster = str(cla.cluster_name) ?? '-';
    for (const group of arr(cla.endpoints).map(obj)) {
      const loc = obj(group.locality);
      const locality = [str(loc.region), str(loc.zone), str(loc.sub_zone)].filter((s) => s !== undefined && s !== '').join('/');
      for (const lb of arr(group.lb_endpoints).map(obj)) {
        const sock = obj(obj(obj(lb.endpoint).address).socket_address);
        const endpoint = `${str(sock.address) ?? '?'}:${str(sock.port_value) ?? '?'}`;
        // EDS carries health, not ejections: outlier state lives in the proxy (its admin /clusters), so OK here
        const row = [endpoint, str(lb.health_status) ?? 'HEALTHY', 'OK', cluster];
        if (wide) row.push(cell(locality), str(group.priority) ?? '0', str(lb.load_balancing_weight) ?? '1');
        rows.push(row);
      }
    }
  }
  return { headers: ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER', ...(wide ? ['LOCALITY', 'PRIORITY', 'WEIGHT'] : [])], rows };
}
