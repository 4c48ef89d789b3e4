// Upstream clusters: the cluster manager — owns every cluster, replaces changed ones, keeps host state.
import { isDeepStrictEqual } from 'node:util';
import type { Cluster, ClusterLoadAssignment, Locality } from '../config/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import { ClusterImpl, type LoadBalancerFactory } from './cluster.js';
import type { DnsLookup } from './dns.js';
import { createLoadBalancer } from './lb/index.js';
import type { ClusterManager, UpstreamCluster } from './types.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import { DnsCacheManager } from './dfp/dns-cache-manager.js';

const defaultLbFactory: LoadBalancerFactory = (c, random) => createLoadBalancer(c, { random });

export interface ClusterManagerOptions {
  stats: StatsScope;
  /** This proxy's locality (node.locality), for locality-aware load balancing. */
  localLocality?: Locality;
  random?: () => number;
  /** Envoy's runtime, for the settings it may override (circuit breakers, outlier detection). */
  runtime?: RuntimeSource;
  /** After an update replaced or removed clusters: the live ones (the connection pools of the others drain). */
  onReplaced?: (live: ReadonlySet<UpstreamCluster>) => void;
  /** Test seams: a fake load balancer, a fake resolver, a fake clock. */
  lbFactory?: LoadBalancerFactory;
  lookup?: DnsLookup;
  now?: () => number;
}

export class ClusterManagerImpl implements ClusterManager {
  readonly localLocality: Locality | undefined;
  readonly dnsCaches: DnsCacheManager;
  private readonly clusters = new Map<string, ClusterImpl>();

  constructor(private readonly opts: ClusterManagerOptions) {
    this.localLocality = opts.localLocality;
    this.dnsCaches = new DnsCacheManager({ stats: opts.stats, lookup: opts.lookup, now: opts.now });
  }

  get(name: string): ClusterImpl | undefined {
    return this.clusters.get(name);
  }

  all(): readonly UpstreamCluster[] {
    return [...this.clusters.values()];
  }

  update(clusters: readonly Cluster[]): void {
    const wanted = new Map(clusters.map((c) => [c.name, c]));
    let replaced = false;
    for (const [name, old] of this.clusters) {
      if (!wanted.has(name)) {
        old.close();
        this.clusters.delete(name);
        replaced = true;
      }
    }
    for (const cfg of wanted.values()) {
      const old = this.clusters.get(cfg.name);
      if (old && isDeepStrictEqual(old.config, cfg)) continue;
      // A changed cluster is rebuilt, but hosts with the same key carry over with their state.
      const next = this.create(cfg, old);
      old?.close();
      this.clusters.set(cfg.name, next);
      replaced ||= old !== undefined;
    }
    if (replaced) this.opts.onReplaced?.(new Set(this.clusters.values()));
  }

  /** Feeds EDS endpoints to a cluster; false if the cluster is unknown. */
  setLoadAssignment(cla: ClusterLoadAssignment): boolean {
    const c = this.clusters.get(cla.cluster_name);
    if (!c) return false;
    c.setLoadAssignment(cla);
    return true;
  }

  /** Resolves once every current cluster finished initial discovery and first health checks. */
  async ready(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => c.ready()));
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
    this.dnsCaches.close();
  }

  private create(cfg: Cluster, previous: ClusterImpl | undefined): ClusterImpl {
    const o = this.opts;
    return new ClusterImpl(cfg, {
      stats: o.stats,
      lbFactory: o.lbFactory ?? defaultLbFactory,
      random: o.random,
      lookup: o.lookup,
      now: o.now,
      previous,
      runtime: o.runtime,
      dnsCaches: this.dnsCaches,
    });
  }
}
