// xDS transport: the message types `trellis proxy` encodes or decodes — the roots of its wire descriptor (wire/descriptor.ts).
//
// A type the proxy's config stage accepts in a typed_config must be listed here, or it arrives opaque ('@value')
// and the proxy NACKs it as unsupported; test/xds/wire/proxy-types.test.ts checks every Envoy type named in src/proxy.

const WELL_KNOWN = ['Any', 'Duration', 'Timestamp', 'Struct', 'Value', 'ListValue', 'Empty']
  .concat(['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `${n}Value`))
  .map((n) => `google.protobuf.${n}`);

export const PROXY_MESSAGE_TYPES: readonly string[] = [
  // the ADS wire messages
  'envoy.service.discovery.v3.DiscoveryRequest',
  'envoy.service.discovery.v3.DiscoveryResponse',
  'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  // the resources the proxy subscribes to
  'envoy.config.listener.v3.Listener',
  'envoy.config.route.v3.RouteConfiguration',
  'envoy.config.route.v3.VirtualHost',
  'envoy.config.cluster.v3.Cluster',
  'envoy.config.endpoint.v3.ClusterLoadAssignment',
  'envoy.extensions.transport_sockets.tls.v3.Secret',
  // typed_config messages the proxy's config stage accepts
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  'envoy.extensions.filters.http.router.v3.Router',
  'envoy.extensions.filters.http.fault.v3.HTTPFault',
  'envoy.extensions.filters.http.cors.v3.Cors',
  'envoy.extensions.filters.http.cors.v3.CorsPolicy',
  'envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig',
  'envoy.extensions.filters.http.dynamic_forward_proxy.v3.PerRouteConfig',
  'envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig',
  'envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig',
  'envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig',
  // what AuthorizationPolicy / RequestAuthentication translate to
  'envoy.extensions.filters.http.rbac.v3.RBAC',
  'envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  'envoy.extensions.filters.network.rbac.v3.RBAC',
  'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  'envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig',
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute',
  // the typed_per_filter_config wrapper (is_optional / disabled)
  'envoy.config.route.v3.FilterConfig',
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  'envoy.extensions.access_loggers.file.v3.FileAccessLog',
  'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  'envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
  'envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter',
  'envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig',
  'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
  'envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig',
  'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  // HCM tracing providers
  'envoy.config.trace.v3.ZipkinConfig',
  'envoy.config.trace.v3.OpenTelemetryConfig',
  'udpa.type.v1.TypedStruct',
  'xds.type.v3.TypedStruct',
  ...WELL_KNOWN,
];
