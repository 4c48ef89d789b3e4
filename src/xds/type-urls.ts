// xDS transport: the type URLs of the resources and typed_config messages Trellis speaks (Envoy v3 API).

export const TYPE_PREFIX = 'type.googleapis.com/';

export const LISTENER_TYPE = `${TYPE_PREFIX}envoy.config.listener.v3.Listener`;
export const ROUTE_TYPE = `${TYPE_PREFIX}envoy.config.route.v3.RouteConfiguration`;
export const CLUSTER_TYPE = `${TYPE_PREFIX}envoy.config.cluster.v3.Cluster`;
export const ENDPOINT_TYPE = `${TYPE_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;
/** VHDS: virtual hosts of a route configuration, named `<route config name>/<virtual host name>` (Delta only). */
export const VIRTUAL_HOST_TYPE = `${TYPE_PREFIX}envoy.config.route.v3.VirtualHost`;
export const SECRET_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`;

export const HCM_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
export const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router`;
export const FAULT_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.fault.v3.HTTPFault`;
export const TCP_PROXY_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
export const UPSTREAM_TLS_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`;
export const DOWNSTREAM_TLS_TYPE = `${TYPE_PREFIX}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`;
export const HTTP_PROTOCOL_OPTIONS_TYPE = `${TYPE_PREFIX}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`;
export const FILE_ACCESS_LOG_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.file.v3.FileAccessLog`;
export const STDOUT_ACCESS_LOG_TYPE = `${TYPE_PREFIX}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog`;

/** Istio's short names, used in metric labels and proxy-status columns. */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  [CLUSTER_TYPE]: 'cds',
  [ENDPOINT_TYPE]: 'eds',
  [LISTENER_TYPE]: 'lds',
  [ROUTE_TYPE]: 'rds',
  [VIRTUAL_HOST_TYPE]: 'vhds',
  [SECRET_TYPE]: 'sds',
};

export function shortName(typeUrl: string): string {
  return SHORT_NAMES[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf('.') + 1).toLowerCase();
}

/**
 * Types whose empty subscription means "everything" (legacy wildcard, as Envoy sends them);
 * RDS/EDS/SDS are always requested by name.
 */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

/** Types whose subscribed names are namespaces (`<name>/…` resources match), as Envoy's VHDS subscribes. */
export const NAMESPACED_TYPES: ReadonlySet<string> = new Set([VIRTUAL_HOST_TYPE]);

/** Full-push order (make-before-break: clusters and their endpoints exist before listeners/routes point at them). */
export const PUSH_ORDER: readonly string[] = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, SECRET_TYPE];
