// Test fixtures: realistic Istio-shaped xDS resources (proto-JSON) for the codec and ADS tests.
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  FAULT_TYPE,
  HCM_TYPE,
  HTTP_PROTOCOL_OPTIONS_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  ROUTER_TYPE,
  STDOUT_ACCESS_LOG_TYPE,
  TCP_PROXY_TYPE,
  UPSTREAM_TLS_TYPE,
} from '../../src/xds/type-urls.js';

export type J = Record<string, unknown>;

export function outboundListener(): J {
  return {
    '@type': LISTENER_TYPE,
    name: 'virtualOutbound',
    address: { socket_address: { address: '127.0.0.1', port_value: 15001 } },
    listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }],
    filter_chains: [
      {
        filter_chain_match: { destination_port: 9080 },
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'outbound_0.0.0.0_9080',
              codec_type: 'AUTO',
              rds: { route_config_name: '9080', config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE } },
                { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } },
              ],
              access_log: [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': STDOUT_ACCESS_LOG_TYPE } }],
              common_http_protocol_options: { idle_timeout: '3600s' },
            },
          },
        ],
      },
      {
        filter_chain_match: { destination_port: 3306 },
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': TCP_PROXY_TYPE, stat_prefix: 'mysql', cluster: 'outbound|3306||mysql.default.svc.cluster.local', idle_timeout: { seconds: 60, nanos: 0 } },
          },
        ],
      },
    ],
  };
}

export function reviewsCluster(name = 'outbound|9080|v1|reviews.default.svc.cluster.local'): J {
  return {
    '@type': CLUSTER_TYPE,
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    connect_timeout: '10s',
    lb_policy: 'LEAST_REQUEST',
    circuit_breakers: { thresholds: [{ max_connections: 100, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 }] },
    outlier_detection: { consecutive_5xx: 5, interval: '10s', base_ejection_time: { seconds: 30 }, max_ejection_percent: 50 },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 1073741824 } },
      },
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: { '@type': UPSTREAM_TLS_TYPE, sni: 'outbound_.9080_.v1_.reviews.default.svc.cluster.local', common_tls_context: { alpn_protocols: ['istio-peer-exchange', 'istio'] } },
    },
  };
}

export function reviewsRoute(): J {
  return {
    '@type': ROUTE_TYPE,
    name: '9080',
    virtual_hosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews.default', 'reviews:9080'],
        routes: [
          {
            match: { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] },
            route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', timeout: '1.5s' },
          },
          {
            match: { prefix: '/' },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 75 },
                  { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 25 },
                ],
              },
              retry_policy: { retry_on: 'connect-failure,refused-stream,5xx', num_retries: 2, per_try_timeout: '0.5s' },
            },
            request_headers_to_add: [{ header: { key: 'x-trellis', value: 'yes' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
        ],
      },
    ],
  };
}

export function reviewsEndpoints(name = 'outbound|9080|v1|reviews.default.svc.cluster.local', ports: number[] = [9081, 9082]): J {
  return {
    '@type': ENDPOINT_TYPE,
    cluster_name: name,
    endpoints: [
      {
        locality: { region: 'us-east1', zone: 'us-east1-b' },
        lb_endpoints: ports.map((p) => ({
          endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } },
          health_status: 'HEALTHY',
          load_balancing_weight: 1,
        })),
        load_balancing_weight: 1,
      },
    ],
  };
}
