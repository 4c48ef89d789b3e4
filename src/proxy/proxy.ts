// Proxy assembly: wires config, clusters, pools, listeners, connection managers and admin into one running proxy.
import { TracingRegistry } from './tracing/registry.js';
import cluster from 'node:cluster';
import os from 'node:os';
import type { AccessLog, Bootstrap, HttpConnectionManager } from './config/types.js';
import type { RouteTable } from './router/types.js';
import { compileRouteTable } from './router/route-table.js';
import { ClusterManagerImpl } from './upstream/cluster-manager.js';
import { PoolManager } from './upstream/pool/pool-manager.js';
import { upstreamTlsConnectOptions } from './tls/tls-options.js';
import { SECRET_PENDING_TLS, SecretManager } from './tls/secret-manager.js';
import { ListenerManager } from './listener/listener-manager.js';
import { ConnectionManager, type HcmContext } from './http/connection-manager.js';
import { StatsStore } from './telemetry/stats-store.js';
import { compileAccessLogs, type AccessLogger } from './telemetry/access-log.js';
import { RouteRegistry } from './xds/route-registry.js';
import type { AdsClient } from './xds/ads-client.js';
import { adsClientFor, xdsNode } from './xds/bootstrap-ads.js';
import type { AccessLoggerDeps } from './telemetry/access-logger-registry.js';
import { startTap, type StartedTap } from './tap/start-tap.js';
import { meshIdentity } from './identity/mesh-identity.js';
import { ROOT_SECRET, WORKLOAD_SECRET, type WorkloadCertificateAgent } from './identity/workload-agent.js';
import { announce } from './runtime/lifecycle.js';
import { Runtime } from './runtime-config/runtime.js';
import { HealthCheckState } from './admin/health-check-state.js';

export { VERSION } from '../common/version.js';
import { VERSION } from '../common/version.js';
import { jsonToStruct, setLocalNodeMetadata } from './telemetry/peer-info.js';

export interface ProxyOptions {
  bootstrap: Bootstrap;
  /** Injected randomness for deterministic tests. */
  random?: () => number;
  /** Bootstrap token proving the workload's identity to a TLS control plane (--token-file / TRELLIS_TOKEN). */
  xdsToken?: string;
}

/** How long start-up waits for the first workload certificate before opening listeners anyway (their TLS fails closed until it comes). */
const FIRST_CERTIFICATE_WAIT_MS = 15_000;

/** One proxy process (or one worker of several): the data plane for a bootstrap. */
export class Proxy {
  readonly stats = new StatsStore();
  readonly clusters: ClusterManagerImpl;
  readonly pools: PoolManager;
  readonly listeners: ListenerManager;
  readonly startedAt = Date.now();
  private readonly routeTables = new WeakMap<HttpConnectionManager, RouteTable>();
  /** RDS: the current route table per route_config_name, fed by the ADS client. */
  readonly rds = new RouteRegistry();
  /** Set by start() when the bootstrap has dynamic_resources.ads_config. */
  ads: AdsClient | undefined;
  private tap: StartedTap | undefined;
  /** Listener lines printed so far (name -> port): LDS listeners bound after start-up are announced as they appear. */
  private readonly announced = new Map<string, number>();
  private started = false;
  private readonly accessLoggers: AccessLogger[] = [];
  /** What extension access loggers (gRPC ALS) send through; `shared` holds their per-proxy streams. */
  private readonly loggerDeps: AccessLoggerDeps;
  private bootstrap: Bootstrap;
  private readonly random: (() => number) | undefined;
  private readonly xdsToken: string | undefined;
  private identityAgent: WorkloadCertificateAgent | undefined;
  /** Envoy's layered runtime: read by the fault filter, runtime_fraction routes and mirror policies; /runtime_modify writes it. */
  readonly runtime: Runtime;
  /** POST /healthcheck/fail, as the health_check HTTP filter reads it. */
  readonly health: HealthCheckState;
  /** Secrets TLS contexts name through SDS (delivered over ADS). */
  readonly secrets = new SecretManager();
  /** Span exporters, flushed once on stop. */
  private readonly tracing: TracingRegistry;

  constructor(opts: ProxyOptions) {
    this.bootstrap = opts.bootstrap;
    this.xdsToken = opts.xdsToken;
    this.health = new HealthCheckState(opts.bootstrap.node.cluster);
    setLocalNodeMetadata(opts.bootstrap.node.id, jsonToStruct(opts.bootstrap.node.metadata)); // what istio.stats tells its peers
    // a worker's runtime.* gauges would be summed across workers: the primary keeps its own (see runtime/workers.ts)
    this.runtime = new Runtime(opts.bootstrap.layered_runtime, {
      serviceCluster: opts.bootstrap.node.cluster,
      random: opts.random,
      stats: cluster.isWorker ? undefined : this.stats,
    });
    this.clusters = new ClusterManagerImpl({
      stats: this.stats,
      localLocality: opts.bootstrap.node.locality,
      random: opts.random,
      runtime: this.runtime,
      // a replaced cluster's pools drain: idle connections close now, busy ones after their request
      onReplaced: (live) => this.pools.retain(live),
    });

    this.pools = new PoolManager((ts) => {
      const common = this.secrets.resolve(ts.typed_config.common_tls_context);
      // a secret not there yet: connections fail the handshake (never plaintext, never without the configured CA)
      return common === undefined ? SECRET_PENDING_TLS : upstreamTlsConnectOptions({ ...ts.typed_config, common_tls_context: common });
    }, this.secrets);
    this.tracing = new TracingRegistry(
      { clusters: this.clusters, pools: this.pools, runtime: this.runtime, stats: this.stats },
      opts.bootstrap.node,
      opts.bootstrap.tracing,
      opts.random,
    );
    const ctx: HcmContext = {
      stats: this.stats,
      clusters: this.clusters,
      pools: this.pools,
      random: opts.random,
      runtime: this.runtime,
      health: this.health,
      node: opts.bootstrap.node,
      routeTable: (hcm) => {
        const spec = hcm.route_specifier;
        if (spec.kind === 'rds') return this.rds.getter(spec.route_config_name);
        let table = this.routeTables.get(hcm);
        if (table === undefined) {
          table = compileRouteTable(spec.route_config, { runtime: this.runtime });
          this.routeTables.set(hcm, table);
        }
        const fixed = table;
        return () => fixed;
      },
      accessLogger: (hcm) => this.accessLogger(hcm.access_log),
      tracing: this.tracing,
    };
    this.listeners = new ListenerManager({
      stats: this.stats,
      clusterManager: this.clusters,
      createHttpHandler: (hcm, listener) => new ConnectionManager(hcm, ctx, listener.traffic_direction),
      accessLogger: (logs) => this.accessLogger(logs),
      networkFilters: { stats: this.stats, clusters: this.clusters, pools: this.pools, random: opts.random ?? Math.random },
      secrets: this.secrets,
    });
    this.random = opts.random;
    this.loggerDeps = { clusters: this.clusters, pools: this.pools, stats: this.stats, node: xdsNode(opts.bootstrap, VERSION), shared: new Map() };
  }

  /** Prints listeners bound after start-up (start-up ones are printed by the runtime; workers leave it to the primary). */
  private announceNew(bound: readonly { name: string; address: string; port: number }[]): void {
    const fresh = bound.filter((l) => this.announced.get(l.name) !== l.port);
    for (const l of bound) this.announced.set(l.name, l.port);
    if (this.started && !cluster.isWorker) announce(fresh);
  }

  /** Compiles an access_log list once; the proxy flushes and closes every logger on stop. */
  private accessLogger(logs: readonly AccessLog[]): AccessLogger | null {
    if (logs.length === 0) return null;
    const logger = compileAccessLogs([...logs], { runtime: this.runtime, random: this.random ?? Math.random, extensions: this.loggerDeps });
    this.accessLoggers.push(logger);
    return logger;
  }

  async start(): Promise<void> {
    const s = this.bootstrap.static_resources;
    this.clusters.update(s.clusters);
    // Like Envoy's init manager: clusters warm (DNS answered, first health checks done) before listeners open.
    await this.clusters.ready();
    const identity = await meshIdentity(this.bootstrap, this.xdsToken, this.secrets, (m) => void process.stderr.write(`${m}\n`));
    this.identityAgent = identity.agent;
    identity.agent?.start();
    this.ads = await adsClientFor(this.bootstrap, VERSION, {
      ...(identity.credentials !== undefined ? { credentials: identity.credentials } : {}),
      ...(identity.agent !== undefined ? { localSecrets: [WORKLOAD_SECRET], wantedSecrets: [ROOT_SECRET] } : {}),
      target: { clusters: this.clusters, listeners: this.listeners, routes: this.rds, staticClusters: s.clusters, staticListeners: s.listeners, secrets: this.secrets },
      stats: this.stats,
      random: this.random,
      runtime: this.runtime,
      onListenersApplied: (bound) => this.announceNew(bound),
    });
    if (this.ads !== undefined) {
      // Listeners (static and LDS) are bound by the ADS client once the first config is applied or initial_fetch_timeout passes.
      this.ads.start();
      this.tap = await startTap(this.bootstrap, VERSION, identity.credentials, this.stats);
      await this.ads.initialized();
      if (identity.agent !== undefined) await waitAtMost(identity.agent.ready(), FIRST_CERTIFICATE_WAIT_MS);
    } else await this.listeners.update(s.listeners);
    for (const l of this.listeners.addresses()) this.announced.set(l.name, l.port);
    this.started = true;
    this.stats.gauge('server', 'concurrency').set(1);
  }

  configDump(): unknown {
    return this.ads === undefined ? { bootstrap: this.bootstrap } : { bootstrap: this.bootstrap, configs: this.ads.configDump() };
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
    // first: peers stop choosing this proxy while it drains what it already has
    this.ads?.close(true);
    this.tap?.close();
    this.identityAgent?.close();
    await this.listeners.close(drainMs); // stops accepting and drains every connection manager
    await this.tracing.close(); // the last spans go out through the pools, before they close
    await Promise.all(this.accessLoggers.map((l) => l.close())); // so do the last gRPC access log batches
    this.pools.close();
    this.clusters.close();
    this.runtime.dispose();
  }
}

function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
