// Serving: the state of one ADS stream — the proxy, per-type subscriptions, what was sent, ACKed and NACKed.
import type { WorkloadIdentity } from '../auth/identity-token.js';
import type { XdsMetrics } from './metrics.js';
import { buildResource, type BuiltResource } from './resources.js';
import { Subscription } from './subscription.js';
import type { FramedResponse } from './framed-response.js';
import type { ConnectedProxy, GeneratedResource, ProxyStatus, SyncStatus, TypeStatus, XdsGenerator } from './types.js';
import { NAMESPACED_TYPES, shortName } from '../../xds/type-urls.js';

/** Built (encoded, filtered) lists by the generated list they came from: see Connection.generate. */
const builtCache = new WeakMap<readonly GeneratedResource[], { typeUrl: string; subscription: string; built: BuiltResource[] }>();

/** One subscribed type on one stream. */
export class Watch {
  /** The names subscribed to (shared with every stream that subscribes to the same names). */
  subscription = Subscription.NONE;
  wildcard = false;
  /** SotW: resource_names as the proxy last sent them (compared cheaply on each ACK). */
  requestedNames?: readonly string[];
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  ackedNonce?: string;
  nackedNonce?: string;
  nackedVersion?: string;
  nackError?: string;
  generateError?: string;
  resources = 0;
  /** SotW: the list the last response was generated from (unset after a NACK); later pushes of EDS/RDS send only what changed. */
  sentBuilt?: readonly BuiltResource[];
  /**
   * Delta: what the client holds, name -> version (from initial_resource_versions, then what we sent). While
   * `heldList` is set the client holds exactly that list instead and this map is stale (see clientVersionMap).
   */
  private readonly versions = new Map<string, string>();
  /** The whole list the stream holds after its last response of this type (what `proxy-config` shows as sent). */
  lastBuilt?: readonly BuiltResource[];
  /** Delta: the built list the client holds exactly (after a response); lets streams share one diff per push. */
  heldList?: readonly BuiltResource[];

  /** VHDS names are namespaces: subscribing `outbound` means every `outbound/<vhost>` (Envoy's namespace matching). */
  readonly namespaced: boolean;

  constructor(readonly typeUrl: string) {
    this.namespaced = NAMESPACED_TYPES.has(typeUrl);
  }

  /** Delta: the client's resource versions as a map (materialized from heldList on first need). */
  clientVersionMap(): Map<string, string> {
    if (this.heldList !== undefined) {
      this.versions.clear();
      for (const r of this.heldList) this.versions.set(r.name, r.version);
      this.heldList = undefined;
    }
    return this.versions;
  }

  /** Does the subscription cover a resource of this name? */
  covers(name: string): boolean {
    if (this.wildcard || this.subscription.has(name)) return true;
    if (!this.namespaced) return false;
    const slash = name.indexOf('/');
    return slash > 0 && this.subscription.has(name.slice(0, slash));
  }

  status(): SyncStatus {
    if (this.sentNonce === undefined) return 'NOT SENT';
    if (this.nackedNonce === this.sentNonce) return 'NACKED';
    if (this.ackedNonce === this.sentNonce) return 'SYNCED';
    return 'STALE';
  }
}

/** A push waiting for ACKs: convergence time is recorded when every type it sent is ACKed. */
interface PendingConvergence {
  trigger: number;
  remaining: Set<string>;
}

export interface ServingContext {
  readonly generator: XdsGenerator;
  readonly metrics: XdsMetrics;
  readonly identifier: string;
  log(msg: string): void;
}

export class Connection {
  proxy?: ConnectedProxy;
  /** The identity the caller proved (certificate or token) on an authenticated port; undefined on the plaintext port. */
  identity?: WorkloadIdentity;
  readonly watches = new Map<string, Watch>();
  closed = false;
  /** Ends the stream from the server side (shutdown). */
  cancel?: () => void;
  private readonly converging: PendingConvergence[] = [];

  constructor(
    readonly mode: 'sotw' | 'delta',
    readonly peer: string,
    /** Writes one framed response; false = the stream's buffer is full (wait for drained()). */
    readonly write: (framed: FramedResponse) => boolean,
    readonly drained: () => Promise<void>,
  ) {}

  /**
   * Resources of `watch`'s type for this proxy, encoded; undefined if the generator or encoder failed. The built
   * list is shared by every stream that got the same generated list for the same subscription (the generator hands
   * identically-shaped proxies the same array per snapshot), so it is built and versioned once, not per proxy.
   * Callers must not mutate the returned array.
   */
  generate(ctx: ServingContext, watch: Watch): BuiltResource[] | undefined {
    if (this.proxy === undefined) return undefined;
    if (!watch.wildcard && watch.subscription.size === 0) return [];
    const names = watch.wildcard ? [] : watch.subscription.list;
    const subscription = watch.wildcard ? '*' : watch.subscription.key;
    try {
      const generated = ctx.generator.generate(this.proxy, watch.typeUrl, names, subscription);
      const hit = builtCache.get(generated);
      if (hit !== undefined && hit.typeUrl === watch.typeUrl && hit.subscription === subscription) {
        watch.generateError = undefined;
        return hit.built;
      }
      const seen = new Set<string>();
      const out: BuiltResource[] = [];
      for (const r of generated) {
        // the protocol promises exactly the subscribed names; a generator that over-delivers is filtered here
        if (seen.has(r.name) || !watch.covers(r.name)) continue;
        seen.add(r.name);
        out.push(buildResource(watch.typeUrl, r));
      }
      builtCache.set(generated, { typeUrl: watch.typeUrl, subscription, built: out });
      watch.generateError = undefined;
      return out;
    } catch (e) {
      watch.generateError = e instanceof Error ? e.message : String(e);
      ctx.log(`xds: generating ${shortName(watch.typeUrl)} for ${this.proxy.connId} failed: ${watch.generateError}`);
      return undefined;
    }
  }

  /** Remember that a push triggered at `trigger` (ms, performance.now) sent `typeUrl`. */
  sentForPush(trigger: number | undefined, typeUrl: string): void {
    if (trigger === undefined) return;
    let p = this.converging.find((c) => c.trigger === trigger);
    if (p === undefined) this.converging.push((p = { trigger, remaining: new Set() }));
    p.remaining.add(typeUrl);
  }

  acked(ctx: ServingContext, typeUrl: string): void {
    const now = performance.now();
    for (let i = this.converging.length - 1; i >= 0; i--) {
      const p = this.converging[i];
      if (!p.remaining.delete(typeUrl) || p.remaining.size > 0) continue;
      ctx.metrics.convergence((now - p.trigger) / 1000);
      this.converging.splice(i, 1);
    }
  }

  nacked(typeUrl: string): void {
    for (let i = this.converging.length - 1; i >= 0; i--) if (this.converging[i].remaining.has(typeUrl)) this.converging.splice(i, 1);
  }

  status(): ProxyStatus | undefined {
    const p = this.proxy;
    if (p === undefined) return undefined;
    const types: TypeStatus[] = [];
    for (const w of this.watches.values()) {
      types.push({
        typeUrl: w.typeUrl,
        type: shortName(w.typeUrl),
        status: w.status(),
        subscribed: w.wildcard ? '*' : [...w.subscription.list],
        resources: w.resources,
        sentVersion: w.sentVersion,
        sentNonce: w.sentNonce,
        ackedVersion: w.ackedVersion,
        ackedNonce: w.ackedNonce,
        nackError: w.nackError,
        nackedVersion: w.nackedVersion,
        generateError: w.generateError,
      });
    }
    return { connId: p.connId, id: p.id, metadata: p.metadata, connectedSince: p.connectedAt.toISOString(), mode: p.mode, peer: p.peer, types };
  }
}
