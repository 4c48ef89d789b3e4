// xDS client: applies accepted resources to the running proxy in Envoy's order (CDS → EDS → LDS → RDS), warming new clusters and listeners first.
import type { SecretManager, TlsSecret } from '../tls/secret-manager.js';
import type { Cluster, ClusterLoadAssignment, Listener, VirtualHost } from '../config/types.js';
import type { ClusterManager } from '../upstream/types.js';
import type { RouteTable } from '../router/types.js';
import type { RouteRegistry } from './route-registry.js';
import { edsName, rdsNames, type CompiledRoutes } from './resources.js';
import type { TypeState } from './xds-state.js';

export interface BoundListener {
  name: string;
  address: string;
  port: number;
}

/** The parts of the proxy the xDS client drives. */
export interface ApplyTarget {
  clusters: ClusterManager;
  listeners: { update(listeners: Listener[]): Promise<void>; addresses(): BoundListener[] };
  routes: RouteRegistry;
  staticClusters: readonly Cluster[];
  staticListeners: readonly Listener[];
  /** Where accepted SDS secrets go (TLS contexts read them there). */
  secrets?: SecretManager;
}

export interface XdsResources {
  clusters: TypeState<Cluster>;
  endpoints: TypeState<ClusterLoadAssignment>;
  listeners: TypeState<Listener>;
  routes: TypeState<CompiledRoutes>;
  /** VHDS, keyed `<route config name>/<virtual host>`; already composed into the route tables of `routes`. */
  vhosts: TypeState<VirtualHost>;
  /** SDS: the secrets that listeners' and clusters' TLS contexts name with sds_config {ads: {}}. */
  secrets: TypeState<TlsSecret>;
}

export interface ApplierOptions {
  /**
   * How long a new EDS cluster waits for its endpoints, and a new listener for its route configurations,
   * before going live without them (Envoy's initial_fetch_timeout, default 15 s).
   */
  warmTimeoutMs: number;
  log(msg: string): void;
  onWarmTimeout(kind: 'clusters' | 'listeners', missing: string[]): void;
  /** A held route configuration that still waits for more (its VHDS virtual hosts): its listeners keep warming. */
  routesPending?(name: string): boolean;
  onListenersApplied(bound: BoundListener[], error: Error | undefined): void;
}

type Kind = 'clusters' | 'endpoints' | 'listeners' | 'routes';

/**
 * One task at a time, in the order responses were accepted, so a route never goes live before the cluster
 * it names. Tasks read the latest accepted state when they run (a queued task of a kind absorbs later
 * updates of that kind). Waiting for warm-up happens inside the queue, while responses keep being
 * accepted outside it: that is what lets the awaited EDS/RDS response arrive.
 */
export class Applier {
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Kind>();
  private readonly waiters = new Set<() => void>();
  /** Which assignment each live cluster object last got: a rebuilt cluster gets it again, an unchanged one not. */
  private readonly appliedCla = new WeakMap<object, ClusterLoadAssignment>();
  private readonly published = new Map<string, RouteTable>();
  private closed = false;

  constructor(
    private readonly target: ApplyTarget,
    private readonly state: XdsResources,
    private readonly opts: ApplierOptions,
  ) {}

  schedule(kind: Kind): Promise<void> {
    if (this.pending.has(kind)) return this.queue;
    this.pending.add(kind);
    this.queue = this.queue.then(async () => {
      this.pending.delete(kind);
      if (this.closed) return;
      try {
        await this.run(kind);
      } catch (e) {
        this.opts.log(`xds: applying ${kind} failed: ${(e as Error).message}`);
      }
    });
    return this.queue;
  }

  /** Accepted state changed: re-check what a warming task waits for. */
  stateChanged(): void {
    for (const w of [...this.waiters]) w();
  }

  idle(): Promise<void> {
    return this.queue;
  }

  close(): void {
    this.closed = true;
    this.stateChanged();
  }

  allClusters(): Cluster[] {
    return [...this.target.staticClusters, ...this.state.clusters.values()];
  }

  allListeners(): Listener[] {
    return [...this.target.staticListeners, ...this.state.listeners.values()];
  }

  private async run(kind: Kind): Promise<void> {
    switch (kind) {
      case 'clusters':
        return this.applyClusters();
      case 'endpoints':
        return this.applyEndpoints();
      case 'listeners':
        return this.applyListeners();
      case 'routes':
        return this.publishRoutes();
    }
  }

  /** EDS names of clusters that do not exist yet and have no assignment: a new cluster warms until its endpoints arrive. */
  private coldClusters(): string[] {
    const out: string[] = [];
    for (const c of this.allClusters()) {
      const n = edsName(c);
      if (n === undefined || this.target.clusters.get(c.name) !== undefined) continue;
      // a name the server says does not exist ends the wait too (the cluster goes live without endpoints, as in Envoy)
      if (!this.state.endpoints.resources.has(n) && !this.state.endpoints.absent.has(n)) out.push(n);
    }
    return out;
  }

  /** Route config names no table exists for: a listener warms until its routes (and their VHDS virtual hosts) arrive. */
  private coldRoutes(): string[] {
    const routes = this.state.routes;
    return [...rdsNames(this.allListeners()).keys()].filter(
      (n) => !this.published.has(n) && (routes.resources.has(n) ? this.opts.routesPending?.(n) === true : !routes.absent.has(n)),
    );
  }

  private async applyClusters(): Promise<void> {
    const missing = await this.warm(() => this.coldClusters());
    if (missing.length > 0) this.opts.onWarmTimeout('clusters', missing);
    if (this.closed) return;
    this.target.clusters.update(this.allClusters());
    this.applyEndpoints();
  }

  private applyEndpoints(): void {
    for (const c of this.allClusters()) {
      const n = edsName(c);
      if (n === undefined) continue;
      const cla = this.state.endpoints.resources.get(n)?.value;
      const live = this.target.clusters.get(c.name);
      if (cla === undefined || live === undefined || this.appliedCla.get(live) === cla) continue;
      this.target.clusters.setLoadAssignment(cla.cluster_name === c.name ? cla : { ...cla, cluster_name: c.name });
      this.appliedCla.set(live, cla);
    }
  }

  private async applyListeners(): Promise<void> {
    const missing = await this.warm(() => this.coldRoutes());
    if (missing.length > 0) this.opts.onWarmTimeout('listeners', missing);
    if (this.closed) return;
    this.publishRoutes(); // the routes a new listener needs go live with it
    let error: Error | undefined;
    try {
      await this.target.listeners.update(this.allListeners());
    } catch (e) {
      error = e as Error; // a listener that cannot bind; the others are applied
    }
    this.opts.onListenersApplied(this.target.listeners.addresses(), error);
  }

  private publishRoutes(): void {
    for (const r of this.state.routes.resources.values()) {
      const table = r.value.table;
      if (this.published.get(r.name) === table) continue;
      this.published.set(r.name, table);
      this.target.routes.set(r.name, table);
    }
  }

  /** Waits until `missing()` is empty, the warm timeout passes or the client closes; returns what is still missing. */
  private warm(missing: () => string[]): Promise<string[]> {
    const now = missing();
    if (now.length === 0 || this.closed) return Promise.resolve([]);
    return new Promise((resolve) => {
      const done = (left: string[]): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(left);
      };
      const check = (): void => {
        const left = missing();
        if (left.length === 0 || this.closed) done([]);
      };
      const timer = setTimeout(() => done(missing()), this.opts.warmTimeoutMs);
      this.waiters.add(check);
    });
  }
}
