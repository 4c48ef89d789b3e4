// Benchmark: the static-config Envoy bootstrap trellis is benchmarked with — one HTTP listener round-robin to fixed upstreams.

/** `port` 0 = pick a free port; `adminPort` likewise. */
export function staticBootstrap(port: number, upstreams: readonly string[], adminPort = 0): object {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [
        {
          name: 'bench',
          address: { socket_address: { address: '127.0.0.1', port_value: port } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'bench',
                    route_config: {
                      name: 'bench',
                      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'upstreams' } }] }],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'upstreams',
          type: 'STATIC',
          connect_timeout: '1s',
          lb_policy: 'ROUND_ROBIN',
          load_assignment: {
            cluster_name: 'upstreams',
            endpoints: [
              {
                lb_endpoints: upstreams.map((u) => {
                  const [address, p] = u.split(':');
                  return { endpoint: { address: { socket_address: { address, port_value: Number(p) } } } };
                }),
              },
            ],
          },
        },
      ],
    },
  };
}
