// Control plane / config store: the ConfigStore semantics (commit, CAS, rollback, diff, watch, leases) over any sync Backend.
import type { Backend } from './backend.js';
import { overlayView, planCommit } from './commit-plan.js';
import { StoreError } from './errors.js';
import { canonicalJson } from './json.js';
import { LeaseTable } from './lease-table.js';
import type {
  Change,
  CommitMeta,
  CommitOptions,
  ConfigStore,
  EphemeralEvent,
  LeaseId,
  ListFilter,
  ResourceDiff,
  ResourceKey,
  Revision,
  RevisionInfo,
  StoredEntry,
  StoredResource,
  WatchEvent,
} from './types.js';
import { WatchHub } from './watch-hub.js';

export interface StoreOptions {
  /** Clock for revision times (tests pin it). */
  now?: () => Date;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

function parse(text: string): StoredResource {
  return JSON.parse(text) as StoredResource;
}

export class RevisionedStore implements ConfigStore {
  private readonly hub: WatchHub;
  private readonly leases: LeaseTable;
  private readonly now: () => Date;
  private closed = false;

  constructor(
    private readonly backend: Backend,
    opts: StoreOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.leases = new LeaseTable(backend.saveEphemeral?.bind(backend));
    this.leases.restore(backend.loadEphemeral?.() ?? []);
    this.hub = new WatchHub(
      () => this.backend.currentRevision(),
      (rev) => this.loadEvent(rev),
    );
  }

  async get(key: ResourceKey, at?: Revision): Promise<StoredResource | undefined> {
    return (await this.getEntry(key, at))?.resource;
  }

  async getEntry(key: ResourceKey, at?: Revision): Promise<StoredEntry | undefined> {
    const row = this.backend.latest(key, this.resolve(at));
    return row && row.value !== null ? { key, resource: parse(row.value), modRevision: row.revision } : undefined;
  }

  async list(opts: ListFilter & { at?: Revision } = {}): Promise<StoredResource[]> {
    const at = this.resolve(opts.at);
    return this.backend.listAt(at, { kind: opts.kind, namespace: opts.namespace }).map((e) => parse(e.value));
  }

  async revision(): Promise<Revision> {
    this.assertOpen();
    return this.backend.currentRevision();
  }

  async history(opts: { limit?: number; key?: ResourceKey } = {}): Promise<RevisionInfo[]> {
    this.assertOpen();
    const limit = opts.limit === undefined ? undefined : Math.max(0, Math.floor(opts.limit));
    return this.backend.revisions(limit, opts.key);
  }

  async commit(changes: readonly Change[], meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision> {
    this.assertOpen();
    return this.commitNow(() => changes, meta, opts);
  }

  async rollback(to: Revision, meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision> {
    this.resolve(to);
    const message = meta.message || `rollback to revision ${to}`;
    // The changes are computed inside the same exclusive unit as the write, so nothing can slip in between.
    return this.commitNow(
      (current) =>
        this.backend.keysChangedBetween(to, current).map((key): Change => {
          const target = this.backend.latest(key, to);
          return target && target.value !== null ? { op: 'put', resource: parse(target.value) } : { op: 'delete', key };
        }),
      { author: meta.author, message },
      opts,
    );
  }

  async diff(from: Revision, to: Revision): Promise<ResourceDiff[]> {
    const a = this.resolve(from);
    const b = this.resolve(to);
    const out: ResourceDiff[] = [];
    // Only keys written between the two revisions can differ: no full scan of either state.
    for (const key of this.backend.keysChangedBetween(Math.min(a, b), Math.max(a, b)).sort()) {
      const before = this.backend.latest(key, a)?.value ?? null;
      const after = this.backend.latest(key, b)?.value ?? null;
      if (before === null && after !== null) out.push({ key, op: 'added', after: parse(after) });
      else if (before !== null && after === null) out.push({ key, op: 'removed', before: parse(before) });
      else if (before !== null && after !== null) {
        const [x, y] = [parse(before), parse(after)];
        if (canonicalJson(x) !== canonicalJson(y)) out.push({ key, op: 'changed', before: x, after: y });
      }
    }
    return out;
  }

  watch(fromRevision: Revision, onEvent: (ev: WatchEvent) => void): () => void {
    this.assertOpen();
    if (!Number.isInteger(fromRevision)) throw new StoreError('BAD_REVISION', `watch needs an integer revision, got ${fromRevision}`);
    return this.hub.add(fromRevision, onEvent);
  }

  async grantLease(ttlMs: number): Promise<LeaseId> {
    this.assertOpen();
    return this.leases.grant(ttlMs);
  }

  async keepAlive(lease: LeaseId): Promise<void> {
    this.assertOpen();
    this.leases.keepAlive(lease);
  }

  async revokeLease(lease: LeaseId): Promise<void> {
    this.assertOpen();
    this.leases.revoke(lease);
  }

  async leaseTimeToLive(lease: LeaseId): Promise<number | undefined> {
    this.assertOpen();
    return this.leases.timeToLive(lease);
  }

  async putWithLease(key: string, value: unknown, lease: LeaseId): Promise<void> {
    this.assertOpen();
    this.leases.put(key, value, lease);
  }

  async getEphemeral(key: string): Promise<unknown> {
    this.assertOpen();
    return this.leases.get(key);
  }

  async listEphemeral(prefix = ''): Promise<Array<{ key: string; value: unknown; lease: LeaseId }>> {
    this.assertOpen();
    return this.leases.list(prefix);
  }

  async deleteEphemeral(key: string): Promise<void> {
    this.assertOpen();
    this.leases.delete(key);
  }

  watchEphemeral(prefix: string, onEvent: (ev: EphemeralEvent) => void): () => void {
    this.assertOpen();
    return this.leases.watch(prefix, onEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    this.leases.close();
    this.backend.close();
  }

  /** One commit: plan, check, validate and append inside one exclusive unit; then wake the watchers. */
  private commitNow(
    makeChanges: (current: Revision) => readonly Change[],
    meta: CommitMeta,
    opts: CommitOptions | Revision | undefined,
  ): Revision {
    this.assertOpen();
    const o: CommitOptions = typeof opts === 'number' ? { ifRevision: opts } : (opts ?? {});
    if (typeof meta?.author !== 'string' || typeof meta.message !== 'string') {
      throw StoreError.invalid([{ path: 'meta', message: 'author and message must be strings' }]);
    }
    const result = this.backend.atomically(() => {
      const current = this.backend.currentRevision();
      if (o.ifRevision !== undefined && o.ifRevision !== current) {
        throw new StoreError('CONFLICT', `store is at revision ${current}, expected ${o.ifRevision}`);
      }
      const changes = makeChanges(current);
      const rows = planCommit(this.backend, current, changes);
      if (rows.length === 0) return { revision: current, event: undefined };
      if (o.validate) {
        const errors = o.validate(overlayView(this.backend, current, rows), changes);
        if (errors.length > 0) throw StoreError.invalid(errors);
      }
      const info = { revision: current + 1, time: this.now().toISOString(), author: meta.author, message: meta.message };
      this.backend.append({ info, rows });
      return { revision: info.revision, event: this.eventFrom(info, rows) };
    });
    if (result.event) this.hub.published(result.event);
    return result.revision;
  }

  private eventFrom(info: Omit<RevisionInfo, 'changes'>, rows: ReadonlyArray<{ key: ResourceKey; value: string | null }>): WatchEvent {
    const changes = [...rows]
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
      .map((r) =>
        r.value === null ? { key: r.key, op: 'delete' as const } : { key: r.key, op: 'put' as const, resource: parse(r.value) },
      );
    // Every watcher gets the same object: frozen so one cannot change what the others see.
    return deepFreeze({ ...info, changes });
  }

  private loadEvent(revision: Revision): WatchEvent {
    const info = this.backend.revisionInfo(revision);
    if (!info) throw new StoreError('BAD_REVISION', `revision ${revision} not found`);
    return this.eventFrom(info, this.backend.rowsAt(revision));
  }

  /** A read revision: default current; must be an integer in [0, current]. */
  private resolve(at: Revision | undefined): Revision {
    this.assertOpen();
    const current = this.backend.currentRevision();
    if (at === undefined) return current;
    if (!Number.isInteger(at) || at < 0) throw new StoreError('BAD_REVISION', `revision must be a non-negative integer, got ${at}`);
    if (at > current) throw new StoreError('BAD_REVISION', `revision ${at} is in the future (current ${current})`);
    return at;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'config store is closed');
  }
}
