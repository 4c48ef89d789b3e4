// CLI `trellis explain`: the xDS a proxy holds (as the control plane sent it, GET /api/v1/proxies/:id/config/:type),
// decoded by the proxy's own validators and route compiler — the structures the sidecar itself runs on.
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration } from '../../proxy/config/types.js';
import { validateCluster, validateClusterLoadAssignment, validateListener, validateRouteConfiguration } from '../../proxy/config/validators.js';
import { compileRouteTable } from '../../proxy/router/route-table.js';
import type { RouteTable } from '../../proxy/router/types.js';
import type { Result } from '../../common/result.js';
import type { ApiClient } from '../client.js';

export type Raw = Record<string, unknown>;

export interface Decoded<T> {
  value: T;
  /** The resource as sent: metadata, typed_per_filter_config and the rest, for showing what applies. */
  raw: Raw;
}

export interface ProxyXds {
  listeners: Decoded<Listener>[];
  routes: Map<string, Decoded<RouteConfiguration> & { table: RouteTable }>;
  clusters: Map<string, Decoded<Cluster>>;
  endpoints: Map<string, Decoded<ClusterLoadAssignment>>;
  /** Resources the proxy's validators refused (the proxy NACKed them too): named, not silently dropped. */
  refused: string[];
}

let filtersLoaded: Promise<unknown> | undefined;
/** Every HTTP and network filter type registers itself on import; the validators know only registered ones. */
function loadFilters(): Promise<unknown> {
  return (filtersLoaded ??= Promise.all([import('../../proxy/http/filters/all.js'), import('../../proxy/network/filters/all.js')]));
}

function decodeAll<T>(raws: readonly Raw[], name: (r: Raw) => string, validate: (j: Raw, n: string) => Result<T>, refused: string[]): Decoded<T>[] {
  const out: Decoded<T>[] = [];
  for (const raw of raws) {
    const r = validate(raw, name(raw));
    if (r.ok) out.push({ value: r.value, raw });
    else refused.push(`${name(raw)}: ${r.errors[0]?.message ?? 'invalid'}`);
  }
  return out;
}

export async function fetchProxyXds(api: ApiClient, proxyId: string): Promise<ProxyXds> {
  await loadFilters();
  const get = (type: string): Promise<Raw[]> => api.get<Raw[]>(`/api/v1/proxies/${encodeURIComponent(proxyId)}/config/${type}`);
  const [ls, rs, cs, es] = await Promise.all([get('listeners'), get('routes'), get('clusters'), get('endpoints')]);
  const refused: string[] = [];
  const byName = (r: Raw): string => String(r.name ?? '');
  const routes = new Map<string, Decoded<RouteConfiguration> & { table: RouteTable }>();
  for (const d of decodeAll(rs, byName, validateRouteConfiguration, refused)) routes.set(d.value.name, { ...d, table: compileRouteTable(d.value) });
  return {
    listeners: decodeAll(ls, byName, validateListener, refused),
    routes,
    clusters: new Map(decodeAll(cs, byName, validateCluster, refused).map((d) => [d.value.name, d])),
    endpoints: new Map(decodeAll(es, (r) => String(r.cluster_name ?? ''), validateClusterLoadAssignment, refused).map((d) => [d.value.cluster_name, d])),
    refused,
  };
}
