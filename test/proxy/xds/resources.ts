// Test helpers: xDS resources (proto-JSON) for the ADS client tests, and a tiny HTTP upstream.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Json } from '../../../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTER_TYPE, VIRTUAL_HOST_TYPE } from '../../../src/xds/type-urls.js';

export function listener(name: string, port: number, routeName: string): Json {
  return {
    '@type': LISTENER_TYPE,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
  };
}

export function edsCluster(name: string, serviceName?: string): Json {
  const eds: Json = { eds_config: { ads: {}, resource_api_version: 'V3' } };
  if (serviceName !== undefined) eds.service_name = serviceName;
  return { '@type': CLUSTER_TYPE, name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: eds };
}

export function cla(name: string, ports: number[]): Json {
  return {
    '@type': ENDPOINT_TYPE,
    cluster_name: name,
    endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }],
  };
}

export function routes(name: string, cluster: string, extra: Json = {}): Json {
  return {
    '@type': ROUTE_TYPE,
    name,
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster, timeout: '5s' }, ...extra }] }],
  };
}

/** A route whose regex does not compile: valid protobuf, rejected by the proxy. */
export function badRoutes(name: string, cluster: string): Json {
  return {
    '@type': ROUTE_TYPE,
    name,
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { safe_regex: { regex: '((unclosed' } }, route: { cluster } }] }],
  };
}

/** A route configuration whose virtual hosts (besides `inline`) come from VHDS. */
export function vhdsRoutes(name: string, inline: Json[] = []): Json {
  return { '@type': ROUTE_TYPE, name, virtual_hosts: inline, vhds: { config_source: { ads: {}, resource_api_version: 'V3' } } };
}

/** A VirtualHost resource (VHDS) routing `domains` to `cluster`; `route` adds fields to its one route. */
export function vhost(name: string, domains: string[], cluster: string, route: Json = {}): Json {
  return { '@type': VIRTUAL_HOST_TYPE, name, domains, routes: [{ match: { prefix: '/' }, route: { cluster, timeout: '5s' }, ...route }] };
}

export interface Upstream {
  name: string;
  port: number;
  hits: number;
  server: http.Server;
  close(): Promise<void>;
}

/** Answers `<name>`; `/slow?ms=N` answers after N ms. */
export async function upstream(name: string): Promise<Upstream> {
  const u: Upstream = { name, port: 0, hits: 0, server: http.createServer(), close: async () => {} };
  u.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    u.hits++;
    const url = new URL(req.url ?? '/', 'http://x');
    const ms = Number(url.searchParams.get('ms') ?? 0);
    const reply = (): void => {
      res.setHeader('x-upstream', name);
      res.end(name);
    };
    if (url.pathname === '/slow') setTimeout(reply, ms);
    else reply();
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', r));
  u.port = (u.server.address() as AddressInfo).port;
  u.close = () =>
    new Promise<void>((r) => {
      u.server.closeAllConnections();
      u.server.close(() => r());
    });
  return u;
}

export interface Reply {
  status: number;
  body: string;
  /** local port of the client socket: equal across requests = same keep-alive connection */
  localPort: number;
}

export function get(port: number, path = '/', agent?: http.Agent, host = 'svc'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: agent ?? false, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, localPort: req.socket?.localPort ?? 0 }));
    });
    req.on('error', reject);
  });
}
