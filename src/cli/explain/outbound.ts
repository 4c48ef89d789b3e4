// CLI `trellis explain`: the calling sidecar's half of a request's path — listener, virtual host, route (and why the
// earlier ones did not match, from the router's own trace), the route's action, and each target cluster with its
// endpoints and how it reaches them (mTLS and the identity expected). Pure: the proxy's xDS and the request in.
import type { Listener } from '../../proxy/config/types.js';
import type { RouteRequest } from '../../proxy/router/types.js';
import type { ProxyXds, Raw } from './xds-view.js';

export interface RouteStep {
  index: number;
  name: string;
  mismatch?: string;
  fraction?: number;
  /** The VirtualService that produced it (Istio's metadata.filter_metadata.istio.config). */
  source?: string;
}

export interface EndpointView {
  address: string;
  port: number;
  health: string;
  weight: number;
  /** The endpoint is reached over mTLS (Istio's tlsMode-istio match) and must prove one of these identities. */
  mtls: boolean;
}

export interface ClusterView {
  name: string;
  weight?: number;
  found: boolean;
  subset?: string;
  service?: string;
  /** The DestinationRule that shaped it. */
  source?: string;
  lbPolicy?: string;
  /** The identities the upstream certificate must carry. */
  identities: string[];
  /** The circuit breaker limits that are set (Istio leaves the others at 2^32-1, i.e. off). */
  limits: string[];
  outlierDetection: boolean;
  endpoints: EndpointView[];
}

export interface OutboundTrace {
  listener?: { name: string; address: string; port: number };
  routeConfig?: string;
  virtualHost?: { name: string; domains: readonly string[] };
  steps: RouteStep[];
  /** The route taken: its raw form (timeout, retries, faults, mirrors as sent) and what it does. */
  route?: { step: RouteStep; raw: Raw; action: 'route' | 'redirect' | 'direct_response' };
  clusters: ClusterView[];
}

const UNLIMITED = 4294967295;
const obj = (v: unknown): Raw | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Istio's `/apis/networking.istio.io/v1/namespaces/NS/virtual-service/NAME` as `VirtualService NS/NAME`. */
export function istioSource(metadata: unknown): string | undefined {
  const config = obj(obj(obj(metadata)?.filter_metadata)?.istio)?.config;
  if (typeof config !== 'string') return undefined;
  const m = /\/namespaces\/([^/]+)\/(virtual-service|destination-rule|gateway|service-entry)\/([^/]+)$/.exec(config);
  if (m === null) return config;
  const kind = { 'virtual-service': 'VirtualService', 'destination-rule': 'DestinationRule', gateway: 'Gateway', 'service-entry': 'ServiceEntry' }[m[2]!];
  return `${kind} ${m[1]}/${m[3]}`;
}

/** Every spiffe:// identity a TLS context names (its SAN matchers), in order. */
function spiffeIds(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') {
    if (v.startsWith('spiffe://') && !out.includes(v)) out.push(v);
  } else if (Array.isArray(v)) v.forEach((x) => spiffeIds(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => spiffeIds(x, out));
  return out;
}

const isTls = (socket: unknown): boolean => obj(socket)?.name === 'envoy.transport_sockets.tls';

/** Whether an endpoint gets TLS: the first transport_socket_matches entry its metadata satisfies, else the cluster's socket. */
function endpointTls(cluster: Raw, endpointMetadata: unknown): boolean {
  const labels = obj(obj(obj(endpointMetadata)?.filter_metadata)?.['envoy.transport_socket_match']) ?? {};
  for (const m of arr(cluster.transport_socket_matches)) {
    const match = obj(obj(m)?.match) ?? {};
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) return isTls(obj(m)?.transport_socket);
  }
  return isTls(cluster.transport_socket);
}

function clusterView(xds: ProxyXds, name: string, weight: number | undefined): ClusterView {
  const c = xds.clusters.get(name);
  const parts = name.split('|'); // Istio's outbound|PORT|SUBSET|HOST
  const base: ClusterView = { name, ...(weight !== undefined ? { weight } : {}), found: c !== undefined, identities: [], limits: [], outlierDetection: false, endpoints: [] };
  if (parts.length === 4 && parts[0] === 'outbound') {
    if (parts[2] !== '') base.subset = parts[2];
    base.service = `${parts[3]}:${parts[1]}`;
  }
  if (c === undefined) return base;
  const raw = c.raw;
  const source = istioSource(raw.metadata);
  const cla = xds.endpoints.get(c.value.eds_cluster_config?.service_name ?? name)?.raw ?? obj(raw.load_assignment);
  const endpoints: EndpointView[] = [];
  for (const group of arr(cla?.endpoints)) {
    for (const e of arr(obj(group)?.lb_endpoints)) {
      const sa = obj(obj(obj(obj(e)?.endpoint)?.address)?.socket_address);
      if (sa === undefined) continue;
      endpoints.push({
        address: String(sa.address ?? ''),
        port: Number(sa.port_value ?? 0),
        health: String(obj(e)?.health_status ?? 'UNKNOWN'),
        weight: Number(obj(e)?.load_balancing_weight ?? 1),
        mtls: endpointTls(raw, obj(e)?.metadata),
      });
    }
  }
  const t = c.value.circuit_breakers.thresholds.find((x) => x.priority === 'DEFAULT');
  const limits = t === undefined ? [] : ([['max_connections', 'connections'], ['max_pending_requests', 'pending requests'], ['max_requests', 'requests'], ['max_retries', 'retries']] as const)
    .filter(([k]) => t[k] < UNLIMITED)
    .map(([k, what]) => `max ${t[k]} ${what}`);
  return {
    ...base,
    ...(source !== undefined ? { source } : {}),
    lbPolicy: c.value.lb_policy,
    identities: spiffeIds([raw.transport_socket, raw.transport_socket_matches]),
    limits,
    outlierDetection: c.value.outlier_detection !== undefined,
    endpoints,
  };
}

/** The listener a request from this proxy's app enters: a sidecar's outbound (HTTP proxy) port, a gateway's by URL port. */
function entryListener(xds: ProxyXds, proxy: { type: string; outboundPort: number }, urlPort: number): Listener | undefined {
  const ls = xds.listeners.map((l) => l.value);
  const port = (l: Listener): number | undefined => ('socket_address' in l.address ? l.address.socket_address.port_value : undefined);
  if (proxy.type === 'router') return ls.find((l) => port(l) === urlPort);
  return ls.find((l) => l.traffic_direction === 'OUTBOUND' && port(l) === proxy.outboundPort) ?? ls.find((l) => l.name === 'outbound');
}

export function traceOutbound(xds: ProxyXds, proxy: { type: string; outboundPort: number }, req: RouteRequest, urlPort: number): OutboundTrace {
  const trace: OutboundTrace = { steps: [], clusters: [] };
  const listener = entryListener(xds, proxy, urlPort);
  if (listener === undefined) return trace;
  const sa = 'socket_address' in listener.address ? listener.address.socket_address : undefined;
  trace.listener = { name: listener.name, address: sa?.address ?? '', port: sa?.port_value ?? 0 };
  const chain = listener.filter_chains[0] ?? listener.default_filter_chain;
  const hcm = chain?.filters.find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
  if (hcm === undefined || !('route_specifier' in hcm)) return trace;
  const rcName = hcm.route_specifier.kind === 'rds' ? hcm.route_specifier.route_config_name : hcm.route_specifier.route_config.name;
  trace.routeConfig = rcName;
  const rc = xds.routes.get(rcName);
  if (rc === undefined) return trace;
  const t = rc.table.trace(req);
  if (t.virtualHost === undefined) return trace;
  const vhRaw = arr(rc.raw.virtual_hosts).map(obj).find((v) => v?.name === t.virtualHost!.name);
  const vh = rc.value.virtual_hosts.find((v) => v.name === t.virtualHost!.name);
  trace.virtualHost = { name: t.virtualHost.name, domains: vh?.domains ?? [] };
  const rawRoutes = arr(vhRaw?.routes).map((r) => obj(r) ?? {});
  trace.steps = t.steps.map((s, index) => {
    const source = istioSource(rawRoutes[index]?.metadata);
    return { index, name: s.route.name, ...(s.mismatch !== undefined ? { mismatch: s.mismatch } : {}), ...(s.fraction !== undefined ? { fraction: s.fraction } : {}), ...(source !== undefined ? { source } : {}) };
  });
  const taken = t.steps.findIndex((s) => s.mismatch === undefined);
  if (taken < 0) return trace;
  const route = t.steps[taken]!.route;
  trace.route = { step: trace.steps[taken]!, raw: rawRoutes[taken] ?? {}, action: route.action.kind };
  const rawAction = obj(rawRoutes[taken]?.route);
  if (route.action.kind === 'route' && rawAction !== undefined) {
    if (typeof rawAction.cluster === 'string') trace.clusters.push(clusterView(xds, rawAction.cluster, undefined));
    for (const w of arr(obj(rawAction.weighted_clusters)?.clusters)) trace.clusters.push(clusterView(xds, String(obj(w)?.name ?? ''), Number(obj(w)?.weight ?? 0)));
  }
  return trace;
}
