// Test harness for HTTP filters: a bootstrap parsed and validated as the proxy does, then a real ConnectionManager
// and ActiveStreams over fake downstreams, a fake cluster "a" and fake upstreams the test answers by hand.
import type { Bootstrap, HttpConnectionManager } from '../../../../src/proxy/config/types.js';
import type { ConfigError } from '../../../../src/common/result.js';
import type { HeaderMap } from '../../../../src/proxy/router/types.js';
import type { ConnectionPool } from '../../../../src/proxy/upstream/pool/types.js';
import type { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import type { ServerHealth } from '../../../../src/proxy/admin/health-check-state.js';
import type { DownstreamConnectionInfo } from '../../../../src/proxy/http/types.js';
import { ConnectionManager } from '../../../../src/proxy/http/connection-manager.js';
import { ActiveStream } from '../../../../src/proxy/http/active-stream.js';
import { parseBootstrap } from '../../../../src/proxy/config/parse-bootstrap.js';
import { compileRouteTable } from '../../../../src/proxy/router/route-table.js';
import { FakeCluster, FakeClusterManager, FakeStats, fakeHost } from '../../tcp/fakes.js';
import { FakeDownstream, FakeUpstream } from './router/harness.js';

export const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
export const TYPE = 'type.googleapis.com/envoy.extensions.filters.http.';

function bootstrapWith(filters: object[], virtualHost: object): object {
  return {
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'in',
                    route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' } }], ...virtualHost }] },
                    http_filters: [...filters, ROUTER],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [{ name: 'a', type: 'STATIC', load_assignment: { cluster_name: 'a', endpoints: [] } }],
    },
  };
}

/** The config errors of a bootstrap with these filters and this virtual host ([] when it is valid). */
export function configErrors(filters: object[], virtualHost: object = {}): ConfigError[] {
  const parsed = parseBootstrap(bootstrapWith(filters, virtualHost), { baseDir: '.' });
  return parsed.ok ? [] : parsed.errors;
}

export interface RigOptions {
  filters: object[];
  /** Merged into the virtual host: routes, rate_limits, typed_per_filter_config… */
  virtualHost?: object;
  health?: ServerHealth;
  random?: () => number;
}

export interface FilterRig {
  cm: ConnectionManager;
  stats: FakeStats;
  cluster: FakeCluster;
  upstreams: FakeUpstream[];
  /** Every request's ActiveStream, in order (dynamic metadata, flags, response details). */
  streams: ActiveStream[];
  /** A request on `conn` (a fresh connection by default); `body`: the client will send data. */
  request(opts?: { method?: string; path?: string; headers?: HeaderMap; body?: boolean; conn?: DownstreamConnectionInfo; clientIp?: string }): FakeDownstream;
  connection(remoteAddress?: string): DownstreamConnectionInfo;
}

export function filterRig(o: RigOptions): FilterRig {
  const parsed = parseBootstrap(bootstrapWith(o.filters, o.virtualHost ?? {}), { baseDir: '.' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const b: Bootstrap = parsed.value;
  const hcm = b.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config as HttpConnectionManager;
  if (hcm.route_specifier.kind !== 'route_config') throw new Error('inline routes expected');
  const table = compileRouteTable(hcm.route_specifier.route_config, { random: () => 0.5 });
  const stats = new FakeStats();
  const cluster = new FakeCluster('a', [fakeHost('10.0.0.1', 80)], stats.scope('cluster', 'a'), b.static_resources.clusters[0]);
  const upstreams: FakeUpstream[] = [];
  const streams: ActiveStream[] = [];
  const pool = (host: string): ConnectionPool => ({
    protocol: 'http/1.1',
    request: (head, handler) => {
      const u = new FakeUpstream(host, head, handler);
      upstreams.push(u);
      return u;
    },
    connectRaw: () => {},
    drain: () => {},
    close: () => {},
  });
  const pools = { pool: (_c: unknown, h: { key: string }) => pool(h.key) } as unknown as PoolManager;
  const cm = new ConnectionManager(hcm, {
    stats,
    clusters: new FakeClusterManager([cluster]),
    pools,
    routeTable: () => () => table,
    accessLogger: () => null,
    random: o.random ?? (() => 0.5),
    ...(o.health !== undefined ? { health: o.health } : {}),
  });
  const connection = (remoteAddress = '127.0.0.1'): DownstreamConnectionInfo => ({
    remoteAddress,
    remotePort: 5000,
    localAddress: '127.0.0.1',
    localPort: 10000,
    listenerName: 'l',
    filterChainName: '',
  });
  return {
    cm,
    stats,
    cluster,
    upstreams,
    streams,
    connection,
    request: (r = {}) => {
      const ds = new FakeDownstream(r.method ?? 'GET', r.path ?? '/', { host: 'svc', ...r.headers }, r.body ?? false);
      const stream = new ActiveStream(cm, ds, r.conn ?? connection(r.clientIp));
      streams.push(stream);
      stream.start();
      return ds;
    },
  };
}
