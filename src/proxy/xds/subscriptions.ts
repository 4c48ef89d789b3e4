// xDS client: what the stream subscribes to — CDS/LDS wildcards, EDS/RDS names following the clusters and listeners, VHDS following route configurations with `vhds`.
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, VIRTUAL_HOST_TYPE } from '../../xds/type-urls.js';
import { newWatch, type Watch, type WatchRequest } from './ads-protocol.js';
import type { Applier, XdsResources } from './applier.js';
import { edsName, rdsNames, sdsSecretNames } from './resources.js';
import type { Vhds } from './vhds.js';
import type { TypeState } from './xds-state.js';

export class Subscriptions {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly state: XdsResources,
    private readonly applier: Applier,
    private readonly vhds: Vhds,
    private readonly send: (r: WatchRequest) => boolean,
    /** A secret no TLS context names any more. */
    private readonly onSecretDropped: (name: string) => void = () => {},
    /** Secrets the proxy makes itself (its workload certificate): never asked of the control plane. */
    private readonly localSecrets: ReadonlySet<string> = new Set(),
    /** Secrets the proxy wants whether or not a TLS context names them (the mesh roots, for its agent). */
    private readonly wantedSecrets: readonly string[] = [],
  ) {
    for (const t of [CLUSTER_TYPE, LISTENER_TYPE]) this.watches.set(t, newWatch(t, 'wildcard'));
    for (const t of [ENDPOINT_TYPE, ROUTE_TYPE, SECRET_TYPE]) this.watches.set(t, newWatch(t, 'named'));
    this.watches.set(VIRTUAL_HOST_TYPE, newWatch(VIRTUAL_HOST_TYPE, 'namespaced'));
  }

  get(typeUrl: string): Watch | undefined {
    return this.watches.get(typeUrl);
  }

  watch(typeUrl: string): Watch {
    return this.watches.get(typeUrl)!;
  }

  /**
   * A new stream (of `types`): every subscription is made again, with what is held (SotW: the versions; delta: each resource's
   * version), so a control plane that has nothing new need not resend. LDS waits for the first CDS answer.
   */
  reopen(types: ReadonlySet<string>, listeners: boolean): void {
    for (const w of this.watches.values()) {
      if (!types.has(w.typeUrl)) continue; // another source's watches are not this stream's business
      w.subscribed = false;
      w.sent = new Set();
      w.nonce = '';
    }
    if (types.has(CLUSTER_TYPE)) this.request(this.watch(CLUSTER_TYPE));
    for (const t of [ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE, SECRET_TYPE]) {
      const w = this.watch(t);
      if (types.has(t) && (t === LISTENER_TYPE ? listeners : w.names.length > 0)) this.request(w);
    }
  }

  /** A (re)subscription, ACK (`ack`) or NACK (`errorDetail`) of `w`, in the stream's protocol. */
  request(w: Watch, ack = false, errorDetail?: string): void {
    const st = this.stateOf(w.typeUrl);
    this.send({ watch: w, version: st.version, held: () => st.versions(), ack, ...(errorDetail !== undefined ? { errorDetail } : {}) });
  }

  /** EDS name -> the clusters (static or dynamic) that use it. */
  clustersByEdsName(): Map<string, string[]> {
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

  /** EDS follows the clusters: one name per EDS cluster. */
  followClusters(): void {
    const st = this.state.endpoints;
    this.resubscribe(this.watch(ENDPOINT_TYPE), [...this.clustersByEdsName().keys()], (next) => st.retain((n) => next.has(n)));
    this.followSecrets();
  }

  /** SDS follows the TLS contexts of the listeners and clusters (sds_config {ads: {}}). */
  followSecrets(): void {
    const st = this.state.secrets;
    const named = sdsSecretNames(this.applier.allListeners(), this.applier.allClusters());
    const names = [...new Set([...named, ...this.wantedSecrets])].filter((n) => !this.localSecrets.has(n));
    this.resubscribe(this.watch(SECRET_TYPE), names, (next) => {
      for (const n of [...st.resources.keys()]) if (!next.has(n)) this.onSecretDropped(n);
      st.retain((n) => next.has(n));
    });
  }

  /** RDS follows the listeners: every route_config_name an HCM refers to (and VHDS the route configurations kept). */
  followListeners(): void {
    const st = this.state.routes;
    this.resubscribe(this.watch(ROUTE_TYPE), [...rdsNames(this.applier.allListeners()).keys()], (next) => st.retain((n) => next.has(n)));
    this.followRoutes();
    this.followSecrets();
  }

  /** VHDS follows the route configurations: every held one with `vhds`, by its name (a namespace of virtual hosts). */
  followRoutes(): void {
    this.resubscribe(this.watch(VIRTUAL_HOST_TYPE), this.vhds.names(), (next) => this.vhds.retain([...next]));
  }

  private resubscribe(w: Watch, names: string[], retain: (next: ReadonlySet<string>) => void): void {
    const next = [...new Set(names)].sort();
    if (next.length === w.names.length && next.every((n, i) => n === w.names[i])) return;
    w.names = next;
    retain(new Set(next));
    // A type never requested on this stream needs no "unsubscribe everything".
    if (next.length > 0 || w.subscribed) this.request(w);
  }

  private stateOf(typeUrl: string): TypeState<unknown> {
    const s = this.state;
    if (typeUrl === CLUSTER_TYPE) return s.clusters;
    if (typeUrl === ENDPOINT_TYPE) return s.endpoints;
    if (typeUrl === LISTENER_TYPE) return s.listeners;
    if (typeUrl === VIRTUAL_HOST_TYPE) return s.vhosts;
    if (typeUrl === SECRET_TYPE) return s.secrets;
    return s.routes;
  }
}
