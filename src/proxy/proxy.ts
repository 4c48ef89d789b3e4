// Proxy assembly: wires config, clusters, pools, listeners, connection managers and admin into one running proxy.
import os from 'node:os';
import type { AccessLog, Bootstrap, HttpConnectionManager } from './config/types.js';
import type { RouteTable } from './router/types.js';
import { compileRouteTable } from './router/route-table.js';
import { ClusterManagerImpl } from './upstream/cluster-manager.js';
import { PoolManager } from './upstream/pool/pool-manager.js';
import { upstreamTlsConnectOptions } from './tls/tls-options.js';
import { ListenerManager } from './listener/listener-manager.js';
import { ConnectionManager, type HcmContext } from './http/connection-manager.js';
import { StatsStore } from './telemetry/stats-store.js';
import { compileAccessLogs, type AccessLogger } from './telemetry/access-log.js';

export const VERSION = '0.1.0';

export interface ProxyOptions {
  bootstrap: Bootstrap;
  /** Injected randomness for deterministic tests. */
  random?: () => number;
}

/** One proxy process (or one worker of several): the data plane for a bootstrap. */
export class Proxy {
  readonly stats = new StatsStore();
  readonly clusters: ClusterManagerImpl;
  readonly pools: PoolManager;
  readonly listeners: ListenerManager;
  readonly startedAt = Date.now();
  private readonly routeTables = new WeakMap<HttpConnectionManager, RouteTable>();
  private readonly accessLoggers: AccessLogger[] = [];
  private bootstrap: Bootstrap;

  constructor(opts: ProxyOptions) {
    this.bootstrap = opts.bootstrap;
    this.clusters = new ClusterManagerImpl({ stats: this.stats, localLocality: opts.bootstrap.node.locality, random: opts.random });
    this.pools = new PoolManager((cluster) => {
      const ts = cluster.config.transport_socket;
      return ts === undefined ? undefined : upstreamTlsConnectOptions(ts.typed_config);
    });
    const ctx: HcmContext = {
      stats: this.stats,
      clusters: this.clusters,
      pools: this.pools,
      random: opts.random,
      routeTable: (hcm) => {
        const spec = hcm.route_specifier;
        if (spec.kind !== 'route_config') return () => null;
        let table = this.routeTables.get(hcm);
        if (table === undefined) {
          table = compileRouteTable(spec.route_config);
          this.routeTables.set(hcm, table);
        }
        const fixed = table;
        return () => fixed;
      },
      accessLogger: (hcm) => this.accessLogger(hcm.access_log),
    };
    this.listeners = new ListenerManager({
      stats: this.stats,
      clusterManager: this.clusters,
      createHttpHandler: (hcm) => new ConnectionManager(hcm, ctx),
      accessLogger: (logs) => this.accessLogger(logs),
    });
  }

  /** Compiles an access_log list once; the proxy flushes and closes every logger on stop. */
  private accessLogger(logs: readonly AccessLog[]): AccessLogger | null {
    if (logs.length === 0) return null;
    const logger = compileAccessLogs([...logs]);
    this.accessLoggers.push(logger);
    return logger;
  }

  async start(): Promise<void> {
    const s = this.bootstrap.static_resources;
    this.clusters.update(s.clusters);
    // Like Envoy's init manager: clusters warm (DNS answered, first health checks done) before listeners open.
    await this.clusters.ready();
    await this.listeners.update(s.listeners);
    this.stats.gauge('server', 'concurrency').set(1);
  }

  configDump(): unknown {
    return { bootstrap: this.bootstrap };
  }

  serverInfo(concurrency: number): object {
    return {
      version: `trellis/${VERSION}`,
      state: 'LIVE',
      hot_restart_version: 'disabled',
      command_line_options: { concurrency },
      node: this.bootstrap.node,
      uptime_current_epoch: `${Math.floor((Date.now() - this.startedAt) / 1000)}s`,
      uptime_all_epochs: `${Math.floor((Date.now() - this.startedAt) / 1000)}s`,
      hostname: os.hostname(),
    };
  }

  /** Graceful stop: stop accepting, let in-flight requests finish (up to drainMs), close everything. */
  async stop(drainMs: number): Promise<void> {
    await this.listeners.close(drainMs); // stops accepting and drains every connection manager
    this.pools.close();
    this.clusters.close();
    for (const l of this.accessLoggers) await l.close();
  }
}
