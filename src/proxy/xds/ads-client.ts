// xDS client: the proxy's ADS client — subscribes CDS/LDS (wildcard) and EDS/RDS (by name), validates each response, ACKs or NACKs, hands accepted state to the applier.
import { formatErrors, type ConfigError } from '../../common/result.js';
import type { Cluster, ClusterLoadAssignment, Listener } from '../config/types.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { DiscoveryRequest, DiscoveryResponse, XdsNode } from '../../xds/ads-service.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, shortName } from '../../xds/type-urls.js';
import { AdsStream } from './ads-stream.js';
import type { BackoffOptions } from './backoff.js';
import { Applier, type ApplyTarget, type BoundListener, type XdsResources } from './applier.js';
import {
  CLUSTERS,
  ENDPOINTS,
  LISTENERS,
  checkListenerAddresses,
  checkNotStatic,
  edsName,
  rdsNames,
  routesSpec,
  validateResources,
  type CompiledRoutes,
  type ResourceSpec,
} from './resources.js';
import { TypeState } from './xds-state.js';
import { XdsStats, type SubscriptionStats } from './xds-stats.js';
import { configDump } from './config-dump.js';

export interface AdsClientOptions {
  node: XdsNode;
  /** Control plane host:port (several = tried in turn on reconnect). */
  targets: readonly string[];
  target: ApplyTarget;
  stats: StatsScope;
  random?: () => number;
  /** Envoy's initial_fetch_timeout: start-up and warming wait at most this long for the control plane. Default 15 s. */
  initialFetchTimeoutMs?: number;
  backoff?: BackoffOptions;
  connectTimeoutMs?: number;
  log?(msg: string): void;
  onListenersApplied?(bound: BoundListener[]): void;
}

/** One subscription on the stream. */
interface Watch {
  readonly typeUrl: string;
  readonly wildcard: boolean;
  /** Sorted resource names (EDS/RDS). */
  names: string[];
  /** Requested on the current stream. */
  subscribed: boolean;
  /** Nonce of the last response of this type on the current stream. */
  nonce: string;
}

const INVALID_ARGUMENT = 3; // google.rpc.Code, what Envoy puts in a NACK's error_detail

export class AdsClient {
  readonly state: XdsResources = {
    clusters: new TypeState<Cluster>(CLUSTER_TYPE),
    endpoints: new TypeState<ClusterLoadAssignment>(ENDPOINT_TYPE),
    listeners: new TypeState<Listener>(LISTENER_TYPE),
    routes: new TypeState<CompiledRoutes>(ROUTE_TYPE),
  };
  readonly stats: XdsStats;
  private readonly applier: Applier;
  private readonly stream: AdsStream;
  private readonly watches = new Map<string, Watch>();
  private readonly routes: ResourceSpec<CompiledRoutes>;
  private readonly staticClusterNames: ReadonlySet<string>;
  private readonly staticListenerNames: ReadonlySet<string>;
  private readonly log: (msg: string) => void;
  private readonly initialTimeoutMs: number;
  private nodeSent = false;
  /** Envoy asks for listeners only once the first cluster response is handled (clusters before the listeners that use them). */
  private clustersFetched = false;
  private initTimer: NodeJS.Timeout | undefined;
  private initDone = false;
  private readonly initWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: AdsClientOptions) {
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.initialTimeoutMs = opts.initialFetchTimeoutMs ?? 15_000;
    this.stats = new XdsStats(opts.stats);
    this.routes = routesSpec(opts.random);
    this.staticClusterNames = new Set(opts.target.staticClusters.map((c) => c.name));
    this.staticListenerNames = new Set(opts.target.staticListeners.map((l) => l.name));
    for (const t of [CLUSTER_TYPE, LISTENER_TYPE]) this.watches.set(t, { typeUrl: t, wildcard: true, names: [], subscribed: false, nonce: '' });
    for (const t of [ENDPOINT_TYPE, ROUTE_TYPE]) this.watches.set(t, { typeUrl: t, wildcard: false, names: [], subscribed: false, nonce: '' });
    this.applier = new Applier(opts.target, this.state, {
      warmTimeoutMs: this.initialTimeoutMs,
      log: this.log,
      onWarmTimeout: (kind, missing) => {
        (kind === 'clusters' ? this.stats.cds : this.stats.lds).initFetchTimeout.inc();
        this.log(`xds: ${kind} went live without ${kind === 'clusters' ? 'endpoints for' : 'route configurations'} ${missing.join(', ')} (initial_fetch_timeout)`);
      },
      onListenersApplied: (bound, error) => {
        if (error !== undefined) {
          this.stats.listenerCreateFailure.inc();
          this.log(`xds: ${error.message}`);
        }
        this.finishInit();
        opts.onListenersApplied?.(bound);
      },
    });
    this.stream = new AdsStream(
      { targets: opts.targets, backoff: opts.backoff, connectTimeoutMs: opts.connectTimeoutMs },
      {
        onOpen: () => this.onOpen(),
        onResponse: (r) => this.onResponse(r),
        onClose: (reason, wasOpen, retryIn) => this.onClose(reason, wasOpen, retryIn),
      },
    );
    this.updateEdsNames();
    this.updateRdsNames();
  }

  start(): void {
    this.stream.start();
    // Envoy's init manager: if the control plane does not deliver in time, go live with what we have (static resources).
    this.initTimer = setTimeout(() => {
      if (this.initDone) return;
      this.log(`xds: no listeners from the control plane within ${this.initialTimeoutMs} ms; starting with static resources`);
      this.stats.lds.initFetchTimeout.inc();
      void this.applier.schedule('listeners');
    }, this.initialTimeoutMs);
  }

  /** Resolves once the first listener set (with its clusters and routes) is live, or the initial fetch timed out. */
  initialized(): Promise<void> {
    if (this.initDone) return Promise.resolve();
    return new Promise((resolve) => this.initWaiters.push(resolve));
  }

  get connected(): boolean {
    return this.stream.connected;
  }

  /** Resolves when every accepted update has been applied (tests). */
  idle(): Promise<void> {
    return this.applier.idle();
  }

  close(): void {
    this.closed = true;
    if (this.initTimer !== undefined) clearTimeout(this.initTimer);
    this.stream.close();
    this.applier.close();
    this.stats.connectedState.set(0);
    this.finishInit();
  }

  /** Envoy admin config_dump entries for the dynamic (and static) clusters, listeners, routes and endpoints. */
  configDump(): object[] {
    return configDump(this.state, this.opts.target);
  }

  private finishInit(): void {
    if (this.initDone) return;
    this.initDone = true;
    if (this.initTimer !== undefined) clearTimeout(this.initTimer);
    for (const w of this.initWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------ stream events

  private onOpen(): void {
    this.stats.connectedState.set(1);
    this.nodeSent = false;
    for (const w of this.watches.values()) {
      w.subscribed = false;
      w.nonce = '';
    }
    // Re-subscribe with the versions we hold, so a control plane that has nothing new need not resend.
    this.request(this.watch(CLUSTER_TYPE));
    if (this.watch(ENDPOINT_TYPE).names.length > 0) this.request(this.watch(ENDPOINT_TYPE));
    if (this.clustersFetched) this.request(this.watch(LISTENER_TYPE));
    if (this.watch(ROUTE_TYPE).names.length > 0) this.request(this.watch(ROUTE_TYPE));
  }

  private onClose(reason: string, wasOpen: boolean, retryIn: number): void {
    this.stats.connectedState.set(0);
    this.stats.cds.failure.inc();
    this.stats.lds.failure.inc();
    if (wasOpen) this.log(`xds: ${reason}; keeping the last good config, reconnecting in ${retryIn} ms`);
  }

  private onResponse(res: DiscoveryResponse): void {
    if (this.closed) return;
    const w = this.watches.get(res.type_url);
    if (w === undefined || !w.subscribed) {
      this.log(`xds: ignoring a response of unrequested type ${res.type_url}`);
      return;
    }
    w.nonce = res.nonce;
    switch (res.type_url) {
      case CLUSTER_TYPE:
        return this.onClusters(w, res);
      case ENDPOINT_TYPE:
        return this.onEndpoints(w, res);
      case LISTENER_TYPE:
        return this.onListeners(w, res);
      case ROUTE_TYPE:
        return this.onRoutes(w, res);
    }
  }

  // ------------------------------------------------------------------ per type

  private onClusters(w: Watch, res: DiscoveryResponse): void {
    const st = this.stats.cds;
    st.attempt.inc();
    const r = validateResources(CLUSTERS, res.resources);
    const errors = r.ok ? checkNotStatic(r.value.map((c) => c.name), this.staticClusterNames, 'cluster') : r.errors;
    if (r.ok && errors.length === 0) {
      this.state.clusters.accept(res.version_info, r.value, true);
      this.ack(w, res, st);
      this.updateEdsNames();
      void this.applier.schedule('clusters');
      this.applier.stateChanged();
    } else this.nack(w, res, errors, this.state.clusters, [st]);
    if (!this.clustersFetched) {
      this.clustersFetched = true; // accepted or not, the cluster phase of start-up is over (Envoy moves on too)
      this.request(this.watch(LISTENER_TYPE));
    }
  }

  private onEndpoints(w: Watch, res: DiscoveryResponse): void {
    const byEds = this.clustersByEdsName();
    const stats = (names: Iterable<string>): SubscriptionStats[] => [...names].flatMap((n) => (byEds.get(n) ?? []).map((c) => this.stats.eds(c)));
    const r = validateResources(ENDPOINTS, res.resources);
    if (!r.ok) {
      for (const s of stats(w.names)) s.attempt.inc();
      this.nack(w, res, r.errors, this.state.endpoints, stats(w.names));
      return;
    }
    const wanted = new Set(w.names);
    // Assignments we did not ask for are ignored, as Envoy does.
    const items = r.value.filter((c) => wanted.has(c.name));
    this.state.endpoints.accept(res.version_info, items, false, wanted);
    this.ack(w, res, undefined);
    for (const it of items) {
      for (const s of stats([it.name])) {
        s.attempt.inc();
        s.accepted(res.version_info);
        if (it.value.endpoints.length === 0) s.empty.inc();
      }
    }
    void this.applier.schedule('endpoints');
    this.applier.stateChanged();
  }

  private onListeners(w: Watch, res: DiscoveryResponse): void {
    const st = this.stats.lds;
    st.attempt.inc();
    const r = validateResources(LISTENERS, res.resources);
    let errors: ConfigError[] = r.ok ? [] : r.errors;
    if (r.ok) {
      errors = [
        ...checkNotStatic(r.value.map((l) => l.name), this.staticListenerNames, 'listener'),
        ...checkListenerAddresses(r.value.map((l) => l.value), this.opts.target.staticListeners),
      ];
    }
    if (!r.ok || errors.length > 0) {
      this.nack(w, res, errors, this.state.listeners, [st]);
      return;
    }
    this.state.listeners.accept(res.version_info, r.value, true);
    this.ack(w, res, st);
    this.updateRdsNames();
    void this.applier.schedule('listeners');
    this.applier.stateChanged();
  }

  private onRoutes(w: Watch, res: DiscoveryResponse): void {
    const prefixes = rdsNames(this.applier.allListeners());
    const stats = (names: Iterable<string>): SubscriptionStats[] =>
      [...names].flatMap((n) => [...(prefixes.get(n) ?? [])].map((p) => this.stats.rds(p, n)));
    const r = validateResources(this.routes, res.resources);
    if (!r.ok) {
      for (const s of stats(w.names)) s.attempt.inc();
      this.nack(w, res, r.errors, this.state.routes, stats(w.names));
      return;
    }
    const wanted = new Set(w.names);
    const items = r.value.filter((rc) => wanted.has(rc.name));
    this.state.routes.accept(res.version_info, items, false, wanted);
    this.ack(w, res, undefined);
    for (const s of stats(items.map((i) => i.name))) {
      s.attempt.inc();
      s.accepted(res.version_info);
    }
    void this.applier.schedule('routes');
    this.applier.stateChanged();
  }

  // ------------------------------------------------------------------ subscriptions

  private clustersByEdsName(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const c of this.applier.allClusters()) {
      const n = edsName(c);
      if (n === undefined) continue;
      const l = out.get(n);
      if (l === undefined) out.set(n, [c.name]);
      else l.push(c.name);
    }
    return out;
  }

  /** EDS follows the clusters: one name per EDS cluster (static or dynamic). */
  private updateEdsNames(): void {
    this.resubscribe(this.watch(ENDPOINT_TYPE), [...this.clustersByEdsName().keys()], this.state.endpoints);
  }

  /** RDS follows the listeners: every route_config_name an HCM refers to. */
  private updateRdsNames(): void {
    this.resubscribe(this.watch(ROUTE_TYPE), [...rdsNames(this.applier.allListeners()).keys()], this.state.routes);
  }

  private resubscribe<T>(w: Watch, names: string[], st: TypeState<T>): void {
    const next = [...new Set(names)].sort();
    if (next.length === w.names.length && next.every((n, i) => n === w.names[i])) return;
    w.names = next;
    st.retain(new Set(next));
    // A type never requested on this stream needs no "unsubscribe everything".
    if (next.length > 0 || w.subscribed) this.request(w);
  }

  private watch(typeUrl: string): Watch {
    return this.watches.get(typeUrl)!;
  }

  // ------------------------------------------------------------------ requests

  private stateOf(typeUrl: string): TypeState<unknown> {
    const s = this.state;
    if (typeUrl === CLUSTER_TYPE) return s.clusters;
    if (typeUrl === ENDPOINT_TYPE) return s.endpoints;
    if (typeUrl === LISTENER_TYPE) return s.listeners;
    return s.routes;
  }

  /** A (re)subscription, ACK or NACK: version = last accepted, names = current interest, nonce = last response seen. */
  private request(w: Watch, errorDetail?: string): void {
    const req: DiscoveryRequest = {
      version_info: this.stateOf(w.typeUrl).version,
      resource_names: w.wildcard ? [] : w.names,
      type_url: w.typeUrl,
      response_nonce: w.nonce,
    };
    // Istio's set_node_on_first_message_only: the node travels once per stream.
    if (!this.nodeSent) req.node = this.opts.node;
    if (errorDetail !== undefined) req.error_detail = { code: INVALID_ARGUMENT, message: errorDetail };
    if (this.stream.send(req)) {
      this.nodeSent = true;
      w.subscribed = true;
    }
  }

  private ack(w: Watch, res: DiscoveryResponse, st: SubscriptionStats | undefined): void {
    this.request(w);
    if (st !== undefined) {
      st.accepted(res.version_info);
      if (res.resources.length === 0) st.empty.inc();
    }
  }

  private nack<T>(w: Watch, res: DiscoveryResponse, errors: ConfigError[], state: TypeState<T>, stats: SubscriptionStats[]): void {
    const details = formatErrors(errors);
    state.reject(res.version_info, details);
    for (const s of stats) s.rejected.inc();
    this.log(`xds: rejected ${shortName(w.typeUrl).toUpperCase()} version ${res.version_info} (keeping ${state.version || 'the static config'}):\n${details}`);
    this.request(w, details);
  }
}
