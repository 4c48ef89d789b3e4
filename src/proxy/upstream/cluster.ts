// Upstream clusters: one cluster — discovery (STATIC/DNS/EDS) into a PrioritySet, health, outliers, breakers, picker.
import type { Cluster, ClusterLoadAssignment } from '../config/types.js';
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import { CircuitBreakersImpl } from './circuit-breakers.js';
import { DnsRefresher, systemLookup, type DnsLookup } from './dns.js';
import { HealthChecker } from './health-checker.js';
import { HostImpl, hostKey, type EndpointSpec } from './host.js';
import { OutlierDetector } from './outlier-detector.js';
import { DEFAULT_OVERPROVISIONING, buildPrioritySet, specsFromAssignment } from './priority-set.js';
import type { Host, LoadBalancer, PickContext, Picker, PrioritySet, UpstreamCluster, UpstreamFailure } from './types.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import { DnsCacheManager } from './dfp/dns-cache-manager.js';
import { DfpHosts } from './dfp/dfp-hosts.js';

export type LoadBalancerFactory = (cluster: Cluster, random?: () => number) => LoadBalancer;

export interface ClusterOptions {
  /** Root stats scope; the cluster creates `cluster.<name>.` under it. */
  stats: StatsScope;
  lbFactory: LoadBalancerFactory;
  random?: () => number;
  lookup?: DnsLookup;
  /** Clock for outlier ejection timing (ms, monotonic). */
  now?: () => number;
  /** The cluster this one replaces: hosts with the same key keep their objects and state. */
  previous?: ClusterImpl;
  /** Envoy's runtime: circuit_breakers.<cluster>.* and outlier_detection.* keys. */
  runtime?: RuntimeSource;
  /** DNS caches for dynamic_forward_proxy clusters (shared with the DFP filter); a private one if absent. */
  dnsCaches?: DnsCacheManager;
}

const EMPTY_ASSIGNMENT = (name: string): ClusterLoadAssignment => ({
  cluster_name: name,
  endpoints: [],
  policy: { overprovisioning_factor: DEFAULT_OVERPROVISIONING, drop_overloads: [] },
});

export class ClusterImpl implements UpstreamCluster {
  readonly name: string;
  readonly stats: StatsScope;
  readonly breakers: CircuitBreakersImpl;
  private readonly lb: LoadBalancer;
  private picker: Picker;
  private set: PrioritySet = [];
  private hostMap = new Map<string, HostImpl>();
  private assignment: ClusterLoadAssignment;
  private readonly hc: HealthChecker | undefined;
  private readonly outlier: OutlierDetector | undefined;
  private dns: DnsRefresher | undefined;
  private dfp: DfpHosts | undefined;
  private dnsAnswers: ReadonlyMap<string, readonly string[]> = new Map();
  private discoveryDone = false;
  private readyWaiters: (() => void)[] = [];
  private closed = false;
  private readonly gTotal: Gauge;
  private readonly gHealthy: Gauge;
  private readonly gDegraded: Gauge;
  private readonly cChange: Counter;
  private readonly cxTotal: Counter;

  constructor(
    readonly config: Cluster,
    opts: ClusterOptions,
  ) {
    this.name = config.name;
    const random = opts.random ?? Math.random;
    this.stats = opts.stats.scope('cluster', ['envoy_cluster_name', config.name]);
    this.gTotal = this.stats.gauge('membership_total');
    this.gHealthy = this.stats.gauge('membership_healthy');
    this.gDegraded = this.stats.gauge('membership_degraded');
    this.cChange = this.stats.counter('membership_change');
    this.cxTotal = this.stats.counter('upstream_cx_total');
    const rt = opts.runtime === undefined ? undefined : { source: opts.runtime, cluster: config.name };
    this.breakers = new CircuitBreakersImpl(config.circuit_breakers.thresholds, this.stats, opts.previous?.breakers.shared(), rt);
    this.lb = opts.lbFactory(config, random);
    this.picker = this.lb.update(this.set);
    this.assignment = config.load_assignment ?? EMPTY_ASSIGNMENT(config.name);

    const prev = opts.previous;
    if (prev) {
      this.hostMap = new Map(prev.hostMap);
      this.dnsAnswers = prev.dnsAnswers;
      for (const h of this.hostMap.values()) {
        // State that the new config no longer backs is dropped.
        if (config.health_checks.length === 0) h.hc = undefined;
        if (!config.outlier_detection) h.ejected = false;
        h.recomputeHealth();
      }
    }

    const check = config.health_checks[0]; // Envoy supports one health checker per cluster.
    this.hc = check
      ? new HealthChecker(check, {
          clusterName: config.name,
          stats: this.stats,
          random,
          hasTraffic: () => this.hasTraffic(),
          onChange: (h) => this.onHealthChanged(h),
          onCheckDone: () => this.checkReady(),
        })
      : undefined;
    this.outlier = config.outlier_detection
      ? new OutlierDetector(config.outlier_detection, {
          stats: this.stats,
          hosts: () => [...this.hostMap.values()],
          onChange: () => this.rebuild(),
          random,
          now: opts.now,
          runtime: opts.runtime,
        })
      : undefined;

    if (config.cluster_type !== undefined) {
      const caches = opts.dnsCaches ?? new DnsCacheManager({ stats: opts.stats, lookup: opts.lookup, now: opts.now });
      this.dfp = new DfpHosts(config.cluster_type, config.transport_socket !== undefined, caches, () => this.applyDfp());
    }
    this.startDiscovery(opts.lookup ?? systemLookup);
  }

  chooseHost(ctx: PickContext): Host | null {
    // CLUSTER_PROVIDED for dynamic_forward_proxy: the host resolved for this request's authority.
    if (this.dfp !== undefined) return this.dfp.choose(ctx.authority, this.hostMap);
    const p = this.picker.pick(ctx);
    return p.kind === 'complete' ? p.host : null;
  }

  reportResult(host: Host, outcome: { status?: number; localFailure?: UpstreamFailure }): void {
    if (outcome.status !== undefined) {
      if (outcome.status >= 500) host.stats.rq_error++;
      else host.stats.rq_success++;
    } else if (outcome.localFailure !== undefined) {
      host.stats.rq_error++;
      if (outcome.localFailure === 'timeout') host.stats.rq_timeout++;
    }
    if (host instanceof HostImpl && this.hostMap.get(host.key) === host) this.outlier?.report(host, outcome);
  }

  prioritySet(): PrioritySet {
    return this.set;
  }

  /** Every host, including ones kept after removal because they still pass health checks. */
  hosts(): readonly HostImpl[] {
    return [...this.hostMap.values()];
  }

  /** New endpoints (EDS pushes; also accepted for STATIC and DNS clusters as their new targets). */
  setLoadAssignment(cla: ClusterLoadAssignment): void {
    if (this.closed || this.dfp !== undefined) return; // a DFP cluster's hosts come from its DNS cache only
    this.assignment = cla;
    if (this.config.type === 'STRICT_DNS' || this.config.type === 'LOGICAL_DNS') {
      this.applyDns(this.dnsAnswers);
      void this.dns?.setNames(this.dnsNames());
    } else {
      this.applySpecs(specsFromAssignment(cla, (ep) => [ep.endpoint.address.socket_address.address]));
    }
    this.discoveryDone = true;
    this.checkReady();
  }

  /** Resolves when initial discovery is done and every host has had its first health check. */
  ready(): Promise<void> {
    return new Promise((resolve) => {
      this.readyWaiters.push(resolve);
      this.checkReady();
    });
  }

  close(): void {
    this.closed = true;
    this.dns?.close();
    this.dfp?.close();
    this.hc?.close();
    this.outlier?.close();
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private startDiscovery(lookup: DnsLookup): void {
    if (this.dfp !== undefined) {
      // Hosts arrive as requests resolve them; start from what the shared cache already knows.
      this.applyDfp();
      this.discoveryDone = true;
      return;
    }
    switch (this.config.type) {
      case 'STRICT_DNS':
      case 'LOGICAL_DNS':
        // Start from what the previous cluster knew so hosts do not flap while we re-resolve.
        this.applyDns(this.dnsAnswers);
        this.dns = new DnsRefresher(this.dnsNames(), this.config.dns_lookup_family, this.config.dns_refresh_rate, lookup, (a) => {
          this.applyDns(a);
        });
        void this.dns.ready().then(() => {
          this.discoveryDone = true;
          this.checkReady();
        });
        break;
      case 'EDS':
        // Endpoints arrive later through setLoadAssignment; keep carried-over hosts until then.
        this.applySpecs([...this.hostMap.values()].filter((h) => !h.removedFromDiscovery).map(specOf));
        this.discoveryDone = true;
        break;
      default:
        this.applySpecs(specsFromAssignment(this.assignment, (ep) => [ep.endpoint.address.socket_address.address]));
        this.discoveryDone = true;
    }
  }

  private dnsNames(): string[] {
    const names = this.assignment.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.address));
    return this.config.type === 'LOGICAL_DNS' ? names.slice(0, 1) : names;
  }

  private applyDns(answers: ReadonlyMap<string, readonly string[]>): void {
    if (this.closed) return;
    this.dnsAnswers = answers;
    if (this.config.type === 'STRICT_DNS') {
      this.applySpecs(specsFromAssignment(this.assignment, (ep) => answers.get(ep.endpoint.address.socket_address.address) ?? []));
      return;
    }
    // LOGICAL_DNS: one host keyed by name:port; connections go to the name's current first address.
    const all = specsFromAssignment(this.assignment, (ep) => [ep.endpoint.address.socket_address.address]);
    const spec = all[0];
    if (!spec) return this.applySpecs([]);
    const name = spec.address;
    spec.hostname = spec.hostname || name;
    this.applySpecs([spec]);
    const host = this.hostMap.get(hostKey(name, spec.port));
    host?.setAddress(answers.get(name)?.[0] ?? name);
  }

  /** dynamic_forward_proxy: one host per resolved name:port, connecting to the name's current address. */
  private applyDfp(): void {
    const dfp = this.dfp;
    if (dfp === undefined || this.closed) return;
    this.applySpecs(dfp.specs());
    for (const h of this.hostMap.values()) {
      const a = dfp.addressOf(h.key);
      if (a !== undefined) h.setAddress(a);
    }
  }

  private applySpecs(specs: readonly EndpointSpec[]): void {
    const next = new Map<string, HostImpl>();
    let changed = false;
    for (const spec of specs) {
      const key = hostKey(spec.address, spec.port);
      if (next.has(key)) continue;
      let h = this.hostMap.get(key);
      if (h) changed = h.updateFrom(spec) || changed;
      else {
        h = new HostImpl(spec, key);
        changed = true;
      }
      next.set(key, h);
    }
    const keepHealthyRemoved = this.hc !== undefined && !this.config.ignore_health_on_host_removal;
    for (const [key, h] of this.hostMap) {
      if (next.has(key)) continue;
      // Envoy keeps a host that left discovery while active health checks still pass it.
      if (keepHealthyRemoved && h.hc && !h.hc.failed) {
        h.removedFromDiscovery = true;
        next.set(key, h);
      } else changed = true;
    }
    this.hostMap = next;
    if (changed) this.cChange.inc();
    this.hc?.setHosts(next.values());
    this.outlier?.hostsChanged();
    this.rebuild();
  }

  private onHealthChanged(h: HostImpl): void {
    if (h.removedFromDiscovery && h.hc?.failed) {
      this.hostMap.delete(h.key);
      this.hc?.setHosts(this.hostMap.values());
      this.outlier?.hostsChanged();
      this.cChange.inc();
    }
    this.rebuild();
  }

  private rebuild(): void {
    if (this.closed) return;
    const factor = this.assignment.policy.overprovisioning_factor || DEFAULT_OVERPROVISIONING;
    this.set = buildPrioritySet(this.hostMap.values(), factor);
    let healthy = 0;
    let degraded = 0;
    for (const h of this.hostMap.values()) {
      if (h.ejected) continue;
      if (h.health === 'healthy') healthy++;
      else if (h.health === 'degraded') degraded++;
    }
    this.gTotal.set(this.hostMap.size);
    this.gHealthy.set(healthy);
    this.gDegraded.set(degraded);
    this.picker = this.lb.update(this.set);
  }

  private hasTraffic(): boolean {
    if (this.cxTotal.value() > 0) return true;
    for (const h of this.hostMap.values()) if (h.stats.cx_total > 0 || h.stats.rq_total > 0) return true;
    return false;
  }

  private checkReady(): void {
    if (this.readyWaiters.length === 0) return;
    if (!this.closed) {
      if (!this.discoveryDone) return;
      for (const h of this.hostMap.values()) if (h.hc?.pendingFirst) return;
    }
    for (const w of this.readyWaiters.splice(0)) w();
  }
}

function specOf(h: HostImpl): EndpointSpec {
  return {
    address: h.address,
    port: h.port,
    hostname: h.hostname,
    weight: h.weight,
    locality: h.locality,
    localityWeight: h.localityWeight,
    priority: h.priority,
    edsHealth: h.edsHealth,
    hcPort: h.hcPort,
    hcHostname: h.hcHostname,
    socketMatch: h.socketMatch,
  };
}
