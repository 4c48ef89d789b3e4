// Control plane / config store: the ConfigStore semantics (commit, CAS, rollback, diff, watch, leases) over any sync Backend.
import type { Backend, RevisionWrite } from './backend.js';
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

/**
 * Where commits really go when the backend is only a local mirror of a shared log (the etcd store). The mirror is
 * written only by `RevisionedStore.receive`, in revision order, as the log's feed delivers; a commit plans and
 * validates against the mirror, then asks the log to append — which fails if another writer got there first.
 */
export interface RemoteLog {
  /** Brings the mirror up to the log's head as of now (applying every missing revision through `receive`). */
  sync(): Promise<void>;
  /** Appends `write` iff the log's head is still `write.info.revision - 1`; false when another writer moved it. */
  append(write: RevisionWrite): Promise<boolean>;
}

// A commit that keeps losing the race to other replicas gives up rather than spinning.
const REMOTE_COMMIT_ATTEMPTS = 20;

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
  private remote: RemoteLog | undefined;
  /** Remote commits from this process run one at a time: they would only race each other for the same head. */
  private commitQueue: Promise<unknown> = Promise.resolve();

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

  /** Makes the backend a mirror of `log`: commits go there, and arrive back through `receive`. */
  mirrorOf(log: RemoteLog): void {
    this.remote = log;
  }

  /** One revision from the remote log, the next in order (the feed checks that), into the mirror and to watchers. */
  receive(write: RevisionWrite): void {
    this.assertOpen();
    this.backend.append(write);
    this.hub.published(this.eventFrom(write.info, write.rows));
  }

  /**
   * The remote log's history below `floor` is gone and this mirror is behind it (a replica away while it was
   * compacted): delivers what watchers still lack, lets `reseed` put the backend at the state of `floor`, and gives
   * watchers what changed in between as one event at `floor`.
   */
  jump(floor: Revision, info: Omit<RevisionInfo, 'changes'>, reseed: () => void): void {
    this.assertOpen();
    const head = this.backend.currentRevision();
    if (floor <= head) return;
    this.hub.drainTo(head);
    const before = new Map(this.backend.listAt(head, {}).map((r) => [r.key, r.value]));
    reseed();
    const rows: Array<{ key: ResourceKey; value: string | null }> = [];
    for (const r of this.backend.listAt(floor, {})) {
      if (before.get(r.key) !== r.value) rows.push(r);
      before.delete(r.key);
    }
    for (const key of before.keys()) rows.push({ key, value: null });
    this.hub.jumped(this.eventFrom({ ...info, revision: floor }, rows));
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
    const floor = this.backend.floor?.() ?? 0;
    if (fromRevision <= floor && floor > 0) throw new StoreError('BAD_REVISION', `cannot watch from revision ${fromRevision}: history up to ${floor} was compacted`);
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

  async replaceEphemeralIf(key: string, ifLease: LeaseId, next: { value: unknown; lease: LeaseId } | undefined): Promise<boolean> {
    this.assertOpen();
    return this.leases.replaceIf(key, ifLease, next);
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
  private async commitNow(
    makeChanges: (current: Revision) => readonly Change[],
    meta: CommitMeta,
    opts: CommitOptions | Revision | undefined,
  ): Promise<Revision> {
    this.assertOpen();
    const o: CommitOptions = typeof opts === 'number' ? { ifRevision: opts } : (opts ?? {});
    if (typeof meta?.author !== 'string' || typeof meta.message !== 'string') {
      throw StoreError.invalid([{ path: 'meta', message: 'author and message must be strings' }]);
    }
    const remote = this.remote;
    if (remote !== undefined) {
      const run = this.commitQueue.then(() => this.commitRemote(remote, makeChanges, meta, o));
      this.commitQueue = run.catch(() => undefined);
      return run;
    }
    const result = this.backend.atomically(() => {
      const write = this.plan(makeChanges, meta, o);
      if (write === undefined) return { revision: this.backend.currentRevision(), event: undefined };
      this.backend.append(write);
      return { revision: write.info.revision, event: this.eventFrom(write.info, write.rows) };
    });
    if (result.event) this.hub.published(result.event);
    return result.revision;
  }

  /** Optimistic: plan on a mirror brought up to the log's head, append if the head has not moved, else plan again. */
  private async commitRemote(
    remote: RemoteLog,
    makeChanges: (current: Revision) => readonly Change[],
    meta: CommitMeta,
    o: CommitOptions,
  ): Promise<Revision> {
    for (let attempt = 0; attempt < REMOTE_COMMIT_ATTEMPTS; attempt++) {
      await remote.sync();
      this.assertOpen();
      const write = this.plan(makeChanges, meta, o);
      if (write === undefined) return this.backend.currentRevision();
      if (await remote.append(write)) {
        await remote.sync();
        return write.info.revision;
      }
      // another replica committed first; with a global CAS that is the caller's conflict, else plan on the new head
      if (o.ifRevision !== undefined) throw new StoreError('CONFLICT', `store moved past revision ${o.ifRevision} during the commit`);
    }
    throw new StoreError('CONFLICT', `gave up after ${REMOTE_COMMIT_ATTEMPTS} attempts: other writers kept committing first`);
  }

  /** The revision a commit would write on top of the backend's current one, or undefined when it changes nothing. */
  private plan(makeChanges: (current: Revision) => readonly Change[], meta: CommitMeta, o: CommitOptions): RevisionWrite | undefined {
    const current = this.backend.currentRevision();
    if (o.ifRevision !== undefined && o.ifRevision !== current) {
      throw new StoreError('CONFLICT', `store is at revision ${current}, expected ${o.ifRevision}`);
    }
    const changes = makeChanges(current);
    const rows = planCommit(this.backend, current, changes);
    if (rows.length === 0) return undefined;
    if (o.validate) {
      const errors = o.validate(overlayView(this.backend, current, rows), changes);
      if (errors.length > 0) throw StoreError.invalid(errors);
    }
    return { info: { revision: current + 1, time: this.now().toISOString(), author: meta.author, message: meta.message }, rows };
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

  /** A read revision: default current; must be an integer in [floor, current]. */
  private resolve(at: Revision | undefined): Revision {
    this.assertOpen();
    const current = this.backend.currentRevision();
    if (at === undefined) return current;
    if (!Number.isInteger(at) || at < 0) throw new StoreError('BAD_REVISION', `revision must be a non-negative integer, got ${at}`);
    if (at > current) throw new StoreError('BAD_REVISION', `revision ${at} is in the future (current ${current})`);
    const floor = this.backend.floor?.() ?? 0;
    if (at < floor) throw new StoreError('BAD_REVISION', `revision ${at} was compacted (history starts at revision ${floor})`);
    return at;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'config store is closed');
  }
}
