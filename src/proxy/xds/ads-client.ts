// xDS client: the proxy's xDS client — subscribes CDS/LDS (wildcard; over ADS, their own gRPC streams or files), EDS/RDS (by name) and VHDS
// (by route config, delta only) over ADS, validates each response, ACKs or NACKs, hands accepted state to the applier.
import { formatErrors, type ConfigError } from '../../common/result.js';
import type { Cluster, ClusterLoadAssignment, Listener, VirtualHost } from '../config/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { XdsNode } from '../../xds/ads-service.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE, shortName } from '../../xds/type-urls.js';
import type { AdsTransport, TransportHandlers, Watch, XdsApi, XdsUpdate } from './ads-protocol.js';
import type { AdsStreamOptions } from './ads-stream.js';
import type { BackoffOptions } from './backoff.js';
import type { XdsCredentials } from './xds-credentials.js';
import { Applier, type ApplyTarget, type BoundListener, type XdsResources } from './applier.js';
import type { GrpcTransportFactory } from './grpc-transport.js';
import { FileSource } from './file-source.js';
import { loadFilterModules } from '../config/filter-modules.js';
import { accessLogClusterRefs } from '../config/access-log-clusters.js';
import type { TlsSecret } from '../tls/secret-manager.js';
import {
  CLUSTERS,
  ENDPOINTS,
  LISTENERS,
  SECRETS,
  VIRTUAL_HOSTS,
  checkListenerAddresses,
  checkNotStatic,
  edsName,
  rdsNames,
  routesSpec,
  sdsSecretNames,
  validateResources,
  type CompiledRoutes,
  type ResourceEntry,
  type ResourceSpec,
} from './resources.js';
import { Subscriptions } from './subscriptions.js';
import { TypeState, type AcceptOptions } from './xds-state.js';
import { XdsStats, type SubscriptionStats } from './xds-stats.js';
import { configDump } from './config-dump.js';
import { VHDS_NEEDS_DELTA, Vhds } from './vhds.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';

/** Where LDS or CDS come from: the ADS stream, a stream of the type's own service, or a watched file. */
export type XdsSource =
  | { kind: 'ads' }
  | { kind: 'grpc'; api: XdsApi; targets: readonly string[] }
  | { kind: 'file'; path: string; watchedDirectory?: string }
  | { kind: 'none' };

export interface AdsClientOptions {
  node: XdsNode;
  /** ADS control plane host:port (several = tried in turn on reconnect); none = no ADS stream. */
  targets?: readonly string[];
  /** LDS and CDS sources; default both over ADS. EDS, RDS and VHDS always go over ADS. */
  sources?: { listeners?: XdsSource; clusters?: XdsSource };
  /** Opens gRPC streams; required when a source is ADS or gRPC (not loaded by file-only proxies). */
  grpc?: GrpcTransportFactory;
  target: ApplyTarget;
  stats: StatsScope;
  /** Which ADS RPC to speak (bootstrap ads_config.api_type GRPC = 'sotw', DELTA_GRPC = 'delta'). Default 'sotw'. */
  api?: XdsApi;
  random?: () => number;
  /** Envoy's runtime, for RDS route tables (runtime_fraction.runtime_key). */
  runtime?: RuntimeSource;
  /** Envoy's initial_fetch_timeout: start-up and warming wait at most this long for the control plane. Default 15 s. */
  initialFetchTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** TLS and identity proof for the gRPC streams (the ADS cluster's TLS context, the token, the workload certificate). */
  credentials?: XdsCredentials;
  /** SDS names the proxy provides itself (the workload certificate `default`): not subscribed over ADS. */
  localSecrets?: readonly string[];
  /** SDS names subscribed even when no TLS context names them (ROOTCA: the agent follows root rotations through it). */
  wantedSecrets?: readonly string[];
  connectTimeoutMs?: number;
  log?(msg: string): void;
  onListenersApplied?(bound: BoundListener[]): void;
}

export class AdsClient {
  readonly state: XdsResources = {
    clusters: new TypeState<Cluster>(CLUSTER_TYPE),
    endpoints: new TypeState<ClusterLoadAssignment>(ENDPOINT_TYPE),
    listeners: new TypeState<Listener>(LISTENER_TYPE),
    routes: new TypeState<CompiledRoutes>(ROUTE_TYPE),
    vhosts: new TypeState<VirtualHost>(VIRTUAL_HOST_TYPE),
    secrets: new TypeState<TlsSecret>(SECRET_TYPE),
  };
  readonly stats: XdsStats;
  readonly api: XdsApi;
  private readonly applier: Applier;
  /** Every source, and which one carries each type (a type without one is never requested). */
  private readonly transports: AdsTransport[] = [];
  private readonly byType = new Map<string, AdsTransport>();
  private readonly vhds: Vhds;
  private readonly subs: Subscriptions;
  private readonly routes: ResourceSpec<CompiledRoutes>;
  private readonly staticClusterNames: ReadonlySet<string>;
  private readonly staticListenerNames: ReadonlySet<string>;
  private readonly log: (msg: string) => void;
  private readonly initialTimeoutMs: number;
  /** Envoy asks for listeners only once the first cluster response is handled (clusters before the listeners that use them). */
  private clustersFetched = false;
  private initTimer: NodeJS.Timeout | undefined;
  private initDone = false;
  private readonly initWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: AdsClientOptions) {
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.api = opts.api ?? 'sotw';
    this.initialTimeoutMs = opts.initialFetchTimeoutMs ?? 15_000;
    this.stats = new XdsStats(opts.stats);
    this.routes = routesSpec(opts.random, opts.runtime);
    this.vhds = new Vhds(this.state.vhosts, this.state.routes);
    this.staticClusterNames = new Set(opts.target.staticClusters.map((c) => c.name));
    this.staticListenerNames = new Set(opts.target.staticListeners.map((l) => l.name));
    this.applier = new Applier(opts.target, this.state, {
      warmTimeoutMs: this.initialTimeoutMs,
      log: this.log,
      onWarmTimeout: (kind, missing) => {
        (kind === 'clusters' ? this.stats.cds : this.stats.lds).initFetchTimeout.inc();
        this.log(`xds: ${kind} went live without ${kind === 'clusters' ? 'endpoints for' : 'route configurations'} ${missing.join(', ')} (initial_fetch_timeout)`);
      },
      routesPending: (name) => this.vhds.pending(name),
      onListenersApplied: (bound, error) => {
        if (error !== undefined) {
          this.stats.listenerCreateFailure.inc();
          this.log(`xds: ${error.message}`);
        }
        this.finishInit();
        opts.onListenersApplied?.(bound);
      },
    });
    this.openSources();
    // without CDS the listeners need not wait for clusters
    this.clustersFetched = !this.byType.has(CLUSTER_TYPE);
    this.subs = new Subscriptions(this.state, this.applier, this.vhds, (r) => this.byType.get(r.watch.typeUrl)?.send(r) ?? false, (name) =>
      this.opts.target.secrets?.delete(name),
      new Set(this.opts.localSecrets ?? []),
      this.opts.wantedSecrets ?? [],
    );
    this.subs.followClusters();
    this.subs.followListeners();
  }

  /** The ADS stream (when there is a control plane), then LDS and CDS streams or files of their own. */
  private openSources(): void {
    const o = this.opts;
    const sources: [string, XdsSource][] = [
      [CLUSTER_TYPE, o.sources?.clusters ?? { kind: 'ads' }],
      [LISTENER_TYPE, o.sources?.listeners ?? { kind: 'ads' }],
    ];
    const handlers = (types: ReadonlySet<string>): TransportHandlers => ({
      onOpen: () => this.onOpen(types),
      onUpdate: (u) => this.onUpdate(u),
      onClose: (reason, wasOpen, retryIn) => this.onClose(types, reason, wasOpen, retryIn),
      onUnreadable: (typeUrl, details) => this.onUnreadable(typeUrl, details),
    });
    const streamOpts = (targets: readonly string[]): AdsStreamOptions => ({ targets, backoff: o.backoff, connectTimeoutMs: o.connectTimeoutMs, ...(o.credentials !== undefined ? { credentials: o.credentials } : {}) });
    const grpc = (): GrpcTransportFactory => {
      if (o.grpc === undefined) throw new Error('xDS over gRPC needs the gRPC transport (AdsClientOptions.grpc)');
      return o.grpc;
    };
    if (o.targets !== undefined && o.targets.length > 0) {
      const types = new Set([ENDPOINT_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, SECRET_TYPE, ...sources.filter(([, src]) => src.kind === 'ads').map(([t]) => t)]);
      this.add(grpc()('ads', this.api, o.node, streamOpts(o.targets), handlers(types)), types);
    }
    for (const [typeUrl, src] of sources) {
      const types = new Set([typeUrl]);
      if (src.kind === 'grpc') {
        this.add(grpc()(typeUrl === CLUSTER_TYPE ? 'cluster' : 'listener', src.api, o.node, streamOpts(src.targets), handlers(types)), types);
      } else if (src.kind === 'file') {
        this.add(new FileSource({ typeUrl, path: src.path, ...(src.watchedDirectory !== undefined ? { watchedDirectory: src.watchedDirectory } : {}) }, handlers(types)), types);
      }
    }
  }

  private add(t: AdsTransport, types: ReadonlySet<string>): void {
    this.transports.push(t);
    for (const type of types) this.byType.set(type, t);
  }

  start(): void {
    for (const t of this.transports) t.start();
    // Envoy's init manager: if the control plane does not deliver in time, go live with what we have (static resources).
    this.initTimer = setTimeout(() => {
      if (this.initDone) return;
      this.log(`xds: no listeners from the control plane within ${this.initialTimeoutMs} ms; starting with static resources`);
      this.stats.lds.initFetchTimeout.inc();
      void this.applier.schedule('listeners');
    }, this.initialTimeoutMs);
    // no LDS and no CDS to wait for: the static listeners go live now
    if (this.clustersFetched && !this.byType.has(LISTENER_TYPE)) void this.applier.schedule('listeners');
  }

  /** Resolves once the first listener set (with its clusters and routes) is live, or the initial fetch timed out. */
  initialized(): Promise<void> {
    if (this.initDone) return Promise.resolve();
    return new Promise((resolve) => this.initWaiters.push(resolve));
  }

  /** Every source is up (streams open; files are always "connected"). */
  get connected(): boolean {
    return this.transports.length > 0 && this.transports.every((t) => t.connected);
  }

  /** Resolves when every accepted update has been applied (tests). */
  idle(): Promise<void> {
    return this.applier.idle();
  }

  /** `withdraw`: end the streams cleanly, so the control plane withdraws this proxy's endpoint at once (shutdown). */
  close(withdraw = false): void {
    this.closed = true;
    if (this.initTimer !== undefined) clearTimeout(this.initTimer);
    for (const t of this.transports) t.close(withdraw);
    this.applier.close();
    this.stats.connectedState.set(0);
    this.finishInit();
  }

  /** Envoy admin config_dump entries for the dynamic (and static) clusters, listeners, routes and endpoints. */
  configDump(): object[] {
    return configDump(this.state, this.opts.target, (name, raw) => this.vhds.mergedRaw(name, raw));
  }

  private finishInit(): void {
    if (this.initDone) return;
    this.initDone = true;
    if (this.initTimer !== undefined) clearTimeout(this.initTimer);
    for (const w of this.initWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------ stream events

  private onOpen(types: ReadonlySet<string>): void {
    this.stats.connectedState.set(this.connected ? 1 : 0);
    this.subs.reopen(types, this.clustersFetched);
  }

  /** A file that cannot be read or parsed: Envoy counts an update failure and keeps what it has. */
  private onUnreadable(typeUrl: string, details: string): void {
    const st = typeUrl === CLUSTER_TYPE ? this.stats.cds : this.stats.lds;
    st.attempt.inc();
    st.failure.inc();
    const state = typeUrl === CLUSTER_TYPE ? this.state.clusters : this.state.listeners;
    this.log(`xds: ${shortName(typeUrl).toUpperCase()} file not applied (keeping ${state.version || 'the static config'}): ${details}`);
    this.firstClusters(typeUrl);
  }

  /** Envoy asks for listeners once the first cluster answer is handled, accepted or not. */
  private firstClusters(typeUrl: string): void {
    if (typeUrl !== CLUSTER_TYPE || this.clustersFetched) return;
    this.clustersFetched = true;
    // without LDS the listeners are the static ones: they go live once the first clusters are in (and warm)
    if (this.byType.has(LISTENER_TYPE)) this.subs.request(this.subs.watch(LISTENER_TYPE));
    else void this.applier.schedule('listeners');
  }

  private onClose(types: ReadonlySet<string>, reason: string, wasOpen: boolean, retryIn: number): void {
    this.stats.connectedState.set(0);
    if (types.has(CLUSTER_TYPE)) this.stats.cds.failure.inc();
    if (types.has(LISTENER_TYPE)) this.stats.lds.failure.inc();
    if (wasOpen) this.log(`xds: ${reason}; keeping the last good config, reconnecting in ${retryIn} ms`);
  }


  /** Updates wait here, in order, while the filter modules they name load. */
  private loading: Promise<void> | null = null;

  private onUpdate(u: XdsUpdate): void {
    if (this.closed) return;
    const load = u.typeUrl === CLUSTER_TYPE || u.typeUrl === ENDPOINT_TYPE ? null : loadFilterModules(u.resources.map(resourceText));
    if (load === null && this.loading === null) return this.handleUpdate(u);
    const next = (this.loading ?? Promise.resolve())
      .then(() => load)
      .catch((e: Error) => this.log(`xds: cannot load a filter module: ${e.message}`)) // validation then names the filter as unsupported
      .then(() => {
        if (!this.closed) this.handleUpdate(u);
      })
      .catch((e: Error) => this.log(`xds: handling a ${shortName(u.typeUrl).toUpperCase()} response failed: ${e.message}`));
    this.loading = next;
    void next.finally(() => {
      if (this.loading === next) this.loading = null;
    });
  }

  private handleUpdate(u: XdsUpdate): void {
    const w = this.subs.get(u.typeUrl);
    if (w === undefined || !w.subscribed) {
      this.log(`xds: ignoring a response of unrequested type ${u.typeUrl}`);
      return;
    }
    w.nonce = u.nonce;
    switch (u.typeUrl) {
      case CLUSTER_TYPE:
        return this.onClusters(w, u);
      case ENDPOINT_TYPE:
        return this.onEndpoints(w, u);
      case LISTENER_TYPE:
        return this.onListeners(w, u);
      case ROUTE_TYPE:
        return this.onRoutes(w, u);
      case VIRTUAL_HOST_TYPE:
        return this.onVirtualHosts(w, u);
      case SECRET_TYPE:
        return this.onSecrets(w, u);
    }
  }

  // ------------------------------------------------------------------ per type

  /** SotW LDS/CDS replace the whole set; a delta response adds, updates and removes by name. */
  private acceptOptions(u: XdsUpdate, keep?: ReadonlySet<string>): AcceptOptions {
    return { full: u.full, removed: u.removed, ...(keep !== undefined ? { keep: (n: string) => keep.has(n) } : {}) };
  }

  private onClusters(w: Watch, u: XdsUpdate): void {
    const st = this.stats.cds;
    st.attempt.inc();
    const r = validateResources(CLUSTERS, u.resources);
    const errors = r.ok ? [...checkNotStatic(r.value.map((c) => c.name), this.staticClusterNames, 'cluster'), ...this.needsAds(r.value.filter((c) => edsName(c.value) !== undefined).map((c) => c.name), ENDPOINT_TYPE), ...this.needsAds(r.value.filter((c) => sdsSecretNames([], [c.value]).length > 0).map((c) => c.name), SECRET_TYPE)] : r.errors;
    if (r.ok && errors.length === 0) {
      this.state.clusters.accept(u.version, r.value, this.acceptOptions(u));
      this.ack(w, u, st);
      this.subs.followClusters();
      void this.applier.schedule('clusters');
      this.applier.stateChanged();
    } else this.nack(w, u, errors, this.state.clusters, [st]);
    this.firstClusters(CLUSTER_TYPE); // accepted or not, the cluster phase of start-up is over (Envoy moves on too)
  }

  private onEndpoints(w: Watch, u: XdsUpdate): void {
    const byEds = this.subs.clustersByEdsName();
    const stats = (names: Iterable<string>): SubscriptionStats[] => [...names].flatMap((n) => (byEds.get(n) ?? []).map((c) => this.stats.eds(c)));
    const r = validateResources(ENDPOINTS, u.resources);
    if (!r.ok) {
      for (const s of stats(w.names)) s.attempt.inc();
      this.nack(w, u, r.errors, this.state.endpoints, stats(w.names));
      return;
    }
    const wanted = new Set(w.names);
    // Assignments we did not ask for are ignored, as Envoy does.
    const items = r.value.filter((c) => wanted.has(c.name));
    this.state.endpoints.accept(u.version, items, this.acceptOptions(u, wanted));
    this.ack(w, u, undefined);
    for (const it of items) {
      for (const s of stats([it.name])) {
        s.attempt.inc();
        s.accepted(u.version);
        if (it.value.endpoints.length === 0) s.empty.inc();
      }
    }
    // Envoy: a removed assignment is an empty update (the cluster keeps its hosts, and stops warming)
    for (const s of stats(u.removed.filter((n) => wanted.has(n)))) {
      s.attempt.inc();
      s.empty.inc();
    }
    void this.applier.schedule('endpoints');
    this.applier.stateChanged();
  }

  /** SDS: secrets the TLS contexts name; a new one is used by new handshakes and connections at once. */
  private onSecrets(w: Watch, u: XdsUpdate): void {
    const r = validateResources(SECRETS, u.resources);
    if (!r.ok) {
      this.nack(w, u, r.errors, this.state.secrets, []);
      return;
    }
    const wanted = new Set(w.names);
    const items = r.value.filter((s) => wanted.has(s.name));
    const changed = this.state.secrets.accept(u.version, items, this.acceptOptions(u, wanted));
    this.ack(w, u, undefined);
    const store = this.opts.target.secrets;
    for (const name of changed) {
      const s = this.state.secrets.resources.get(name);
      if (s === undefined) store?.delete(name);
      else store?.set(name, s.value);
    }
    this.applier.stateChanged();
  }

  private onListeners(w: Watch, u: XdsUpdate): void {
    const st = this.stats.lds;
    st.attempt.inc();
    const r = validateResources(LISTENERS, u.resources);
    let errors: ConfigError[] = r.ok ? [] : r.errors;
    if (r.ok) {
      errors = [
        ...checkNotStatic(r.value.map((l) => l.name), this.staticListenerNames, 'listener'),
        ...this.needsAds(r.value.filter((l) => rdsNames([l.value]).size > 0).map((l) => l.name), ROUTE_TYPE),
        ...this.needsAds(r.value.filter((l) => sdsSecretNames([l.value], []).length > 0).map((l) => l.name), SECRET_TYPE),
        ...checkListenerAddresses(this.state.listeners.preview(r.value, this.acceptOptions(u)), this.opts.target.staticListeners),
        ...this.unknownAccessLogClusters(r.value.map((l) => l.value)),
      ];
    }
    if (!r.ok || errors.length > 0) {
      this.nack(w, u, errors, this.state.listeners, [st]);
      return;
    }
    this.state.listeners.accept(u.version, r.value, this.acceptOptions(u));
    this.ack(w, u, st);
    this.subs.followListeners();
    void this.applier.schedule('listeners');
    this.applier.stateChanged();
  }

  private onRoutes(w: Watch, u: XdsUpdate): void {
    const prefixes = rdsNames(this.applier.allListeners());
    const stats = (names: Iterable<string>): SubscriptionStats[] =>
      [...names].flatMap((n) => [...(prefixes.get(n) ?? [])].map((p) => this.stats.rds(p, n)));
    const r = validateResources(this.routes, u.resources);
    const wanted = new Set(w.names);
    const items = r.ok ? r.value.filter((rc) => wanted.has(rc.name)) : [];
    let errors: ConfigError[] = r.ok ? [] : r.errors;
    let commits: (() => void)[] = [];
    if (r.ok && this.api === 'sotw') {
      errors = items.filter((i) => i.value.config.vhds !== undefined).map((i) => ({ path: i.name, message: VHDS_NEEDS_DELTA }));
    } else if (r.ok) {
      const c = this.vhds.composeRoutes(items); // a route configuration with `vhds` serves its VHDS virtual hosts too
      if (c.ok) commits = c.value;
      else errors = c.errors;
    }
    if (errors.length > 0) {
      for (const s of stats(w.names)) s.attempt.inc();
      this.nack(w, u, errors, this.state.routes, stats(w.names));
      return;
    }
    this.state.routes.accept(u.version, items, this.acceptOptions(u, wanted));
    for (const c of commits) c();
    this.ack(w, u, undefined);
    for (const s of stats(items.map((i) => i.name))) {
      s.attempt.inc();
      s.accepted(u.version);
    }
    this.subs.followRoutes();
    void this.applier.schedule('routes');
    this.applier.stateChanged();
  }

  private onVirtualHosts(w: Watch, u: XdsUpdate): void {
    const prefixes = rdsNames(this.applier.allListeners());
    const stats = (names: Iterable<string>): SubscriptionStats[] =>
      [...names].flatMap((n) => [...(prefixes.get(n) ?? [])].map((p) => this.stats.vhds(p, n)));
    const r = validateResources(VIRTUAL_HOSTS, u.resources);
    const p = r.ok ? this.vhds.prepare(u.version, r.value, u.removed) : r;
    if (!p.ok) {
      for (const s of stats(w.names)) s.attempt.inc();
      this.nack(w, u, p.errors, this.state.vhosts, stats(w.names));
      // as Envoy's init target on a rejected update: listeners go live with the inline virtual hosts, not after a timeout
      this.vhds.markFetched(w.names);
      this.applier.stateChanged();
      return;
    }
    const changed = p.value.apply();
    this.ack(w, u, undefined);
    for (const s of stats(changed.length > 0 ? changed : w.names)) {
      s.attempt.inc();
      s.accepted(u.version);
      if (changed.length === 0) s.empty.inc();
    }
    if (changed.length > 0) void this.applier.schedule('routes');
    this.applier.stateChanged(); // also ends the warming of listeners that waited for their first virtual hosts
  }

  /**
   * Envoy refuses a gRPC access logger whose cluster does not exist. CDS is applied before LDS, so a listener's
   * logger cluster must be a static cluster or one CDS has delivered by the time the listener arrives.
   */
  private unknownAccessLogClusters(listeners: readonly Listener[]): ConfigError[] {
    const out: ConfigError[] = [];
    for (const l of listeners) {
      for (const r of accessLogClusterRefs(l, l.name)) {
        if (!this.staticClusterNames.has(r.cluster) && !this.state.clusters.resources.has(r.cluster)) {
          out.push({ path: r.path, message: `unknown cluster "${r.cluster}"; a gRPC access log service's cluster must exist (static or from CDS) before the listener that names it` });
        }
      }
    }
    return out;
  }

  /** EDS, RDS and SDS go over ADS only: without an ADS stream, resources that need them are refused (as Envoy refuses `ads: {}`). */
  private needsAds(names: readonly string[], typeUrl: string): ConfigError[] {
    if (this.byType.has(typeUrl)) return [];
    const what = typeUrl === ENDPOINT_TYPE ? 'EDS' : typeUrl === SECRET_TYPE ? 'SDS' : 'RDS';
    return names.map((n) => ({ path: n, message: `uses ${what} over ADS, but the bootstrap has no dynamic_resources.ads_config` }));
  }

  // ------------------------------------------------------------------ answers

  private ack(w: Watch, u: XdsUpdate, st: SubscriptionStats | undefined): void {
    this.subs.request(w, true);
    if (st !== undefined) {
      st.accepted(u.version);
      if (u.resources.length === 0 && u.removed.length === 0) st.empty.inc();
    }
  }

  /** The whole response is rejected: the state of the type stays the last good one, the NACK lists every error. */
  private nack<T>(w: Watch, u: XdsUpdate, errors: ConfigError[], state: TypeState<T>, stats: SubscriptionStats[]): void {
    const details = formatErrors(errors);
    state.reject(u.version, details);
    for (const s of stats) s.rejected.inc();
    this.log(`xds: rejected ${shortName(w.typeUrl).toUpperCase()} version ${u.version} (keeping ${state.version || 'the static config'}):\n${details}`);
    this.subs.request(w, false, details);
  }
}

/** A resource as text to find filter names in: protobuf bytes read as latin1 (strings are plain in them), or JSON. */
function resourceText(e: ResourceEntry): string {
  if (!('any' in e)) return JSON.stringify(e.json);
  const v = e.any.value;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
}
