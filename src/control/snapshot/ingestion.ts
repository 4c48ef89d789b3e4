// Ingestion stage: follows the store (watch) and the registry, rebuilds the Snapshot debounced, and asks the ADS server to push the affected types.
import type { MeshConfig } from '../../api/mesh-config.js';
import type { RequestAuthentication } from '../../api/types.js';

export interface JwksSource {
  resolve(policies: readonly RequestAuthentication[]): ReadonlyMap<string, string>;
  onChange(fn: () => void): () => void;
}
import type { ChangeKind, Snapshot } from '../model/types.js';
import type { WorkloadSource } from '../registry/types.js';
import { resourceKey } from '../store/keys.js';
import type { ConfigStore, Revision, StoredResource, WatchEvent } from '../store/types.js';
import { buildMeshSnapshot } from './build.js';
import { changedKinds, typesToPush } from './changes.js';
import { Debounce } from './debounce.js';
import { EndpointIndex } from './endpoint-index.js';
import { toMeshResources } from './resources.js';

export interface IngestionOptions {
  store: ConfigStore;
  registry: WorkloadSource;
  /** Called after a rebuild with the xDS type URLs to push (never empty); the ADS server's push. */
  push: (typeUrls: readonly string[], changed: ReadonlySet<ChangeKind>) => void;
  /** Quiet period before a rebuild (default 100 ms). */
  debounceMs?: number;
  /** Longest a rebuild waits while changes keep coming (default 1000 ms). */
  debounceMaxMs?: number;
  rootNamespace?: string;
  trustDomain?: string;
  mesh?: MeshConfig;
  /** Fetches the JWKS RequestAuthentications name; its changes rebuild the snapshot like a RequestAuthentication edit. */
  jwks?: JwksSource;
  /** The mesh roots now (read on every rebuild; call trustBundleChanged() when they change). */
  trustBundle?: () => string;
  log?: (msg: string) => void;
}

/** What one rebuild produced (for tests and metrics). */
export interface Rebuild {
  snapshot: Snapshot;
  changed: ReadonlySet<ChangeKind>;
  pushed: readonly string[];
}

export class Ingestion {
  /** The store's resources as of `rev`, kept current from watch events (no re-listing per change). */
  private readonly resources = new Map<string, StoredResource>();
  private rev: Revision = 0;
  private registryGen = 0;
  private readonly dirtyKinds = new Set<string>();
  private registryDirty = false;
  private snap: Snapshot | undefined;
  /** Kept across rebuilds: a rebuild recomputes only the endpoints of services whose sources changed. */
  private readonly endpoints = new EndpointIndex();
  private readonly debounce: Debounce;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly listeners = new Set<(r: Rebuild) => void>();
  private closed = false;

  constructor(private readonly opts: IngestionOptions) {
    this.debounce = new Debounce(opts.debounceMs ?? 100, opts.debounceMaxMs ?? 1000, () => this.rebuild());
  }

  /** Loads the store as of its current revision, builds the first snapshot, then follows changes from the next revision. */
  async start(): Promise<Snapshot> {
    const store = this.opts.store;
    this.rev = await store.revision();
    for (const r of await store.list({ at: this.rev })) this.resources.set(resourceKey(r), r);
    this.unsubscribe.push(store.watch(this.rev + 1, (ev) => this.onStoreEvent(ev)));
    this.unsubscribe.push(
      this.opts.registry.onChange(() => {
        this.registryDirty = true;
        this.debounce.trigger();
      }),
    );
    const jwks = this.opts.jwks;
    if (jwks !== undefined) {
      this.unsubscribe.push(
        jwks.onChange(() => {
          this.dirtyKinds.add('RequestAuthentication');
          this.debounce.trigger();
        }),
      );
    }
    this.snap = this.build();
    return this.snap;
  }

  /** The snapshot translation reads now. */
  current(): Snapshot {
    if (this.snap === undefined) throw new Error('ingestion not started');
    return this.snap;
  }

  /** The store revision the current snapshot reflects (events still in the debounce window not included). */
  revision(): Revision {
    return this.rev;
  }

  onRebuild(fn: (r: Rebuild) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The CA's roots changed (a root rotation): every proxy gets the new ROOTCA. */
  trustBundleChanged(): void {
    this.dirtyKinds.add('trustBundle');
    this.debounce.trigger();
  }

  /** Rebuilds now if changes are waiting in the debounce window (tests, shutdown). */
  flush(): void {
    this.debounce.flush();
  }

  close(): void {
    this.closed = true;
    this.debounce.cancel();
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private onStoreEvent(ev: WatchEvent): void {
    if (this.closed) return;
    for (const c of ev.changes) {
      if (c.op === 'put' && c.resource !== undefined) this.resources.set(c.key, c.resource);
      else this.resources.delete(c.key);
      this.dirtyKinds.add(c.key.slice(0, c.key.indexOf('/')));
    }
    this.rev = ev.revision;
    this.debounce.trigger();
  }

  private build(): Snapshot {
    const resources = toMeshResources(this.resources.values());
    const jwks = this.opts.jwks?.resolve(resources.filter((r): r is RequestAuthentication => r.kind === 'RequestAuthentication'));
    return buildMeshSnapshot({
      resources,
      ...(jwks !== undefined ? { jwks } : {}),
      workloads: this.opts.registry.workloads(),
      endpoints: this.endpoints,
      version: `${this.rev}.${this.registryGen}`,
      ...(this.opts.rootNamespace !== undefined ? { rootNamespace: this.opts.rootNamespace } : {}),
      ...(this.opts.trustDomain !== undefined ? { trustDomain: this.opts.trustDomain } : {}),
      ...(this.opts.mesh !== undefined ? { mesh: this.opts.mesh } : {}),
      ...(this.opts.trustBundle !== undefined ? { trustBundlePem: this.opts.trustBundle() } : {}),
    });
  }

  private rebuild(): void {
    if (this.closed) return;
    if (this.registryDirty) this.registryGen++;
    const storeKinds = new Set(this.dirtyKinds);
    this.dirtyKinds.clear();
    this.registryDirty = false;
    const prev = this.snap;
    let next: Snapshot;
    try {
      next = this.build();
    } catch (e) {
      // keep serving the last good snapshot; the next change retries
      this.opts.log?.(`ingestion: snapshot build failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.snap = next;
    const changed = changedKinds(prev, next, storeKinds);
    const pushed = typesToPush(changed);
    if (pushed.length > 0) this.opts.push(pushed, changed);
    for (const fn of this.listeners) fn({ snapshot: next, changed, pushed });
  }
}
