// etcd store: the ConfigStore several `trellis control` replicas share. Config reads, history, diff and watches are served
// from an in-memory mirror of the log in etcd (RevisionedStore over MemoryBackend, so the rules are the embedded store's);
// commits go to etcd as guarded transactions; leases and ephemeral keys are etcd's own.
import { EtcdLockFailedError, type Etcd3 } from 'etcd3';
import type { SecretStore } from '../../cluster/secret-store.js';
import { StoreError } from '../errors.js';
import { MemoryBackend } from '../memory-store.js';
import { RevisionedStore } from '../revisioned-store.js';
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
} from '../types.js';
import { connectEtcd, storeErrorFrom, type EtcdConnection } from './client.js';
import { EtcdConfigLog } from './config-log.js';
import { DEFAULT_ETCD_PREFIX, EtcdLayout } from './layout.js';
import { EtcdLeadership } from './leader.js';
import { EtcdLeases } from './leases.js';
import { EtcdSecrets } from './secrets.js';

export interface EtcdStoreOptions extends EtcdConnection {
  /** Key prefix every Trellis key lives under (several meshes can share one etcd). Default `/trellis/`. */
  prefix?: string;
  /** Clock for revision times (tests pin it). */
  now?: () => Date;
  log?: (msg: string) => void;
}

export class EtcdStore implements ConfigStore {
  readonly secrets: SecretStore & { delete(name: string): Promise<void> };
  private readonly mirror = new MemoryBackend();
  private readonly config: RevisionedStore;
  private readonly log: EtcdConfigLog;
  private readonly leases: EtcdLeases;
  private readonly layout: EtcdLayout;
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    opts: EtcdStoreOptions,
  ) {
    const layout = new EtcdLayout(opts.prefix ?? DEFAULT_ETCD_PREFIX);
    this.layout = layout;
    const say = opts.log ?? (() => {});
    this.config = new RevisionedStore(this.mirror, opts.now !== undefined ? { now: opts.now } : {});
    this.log = new EtcdConfigLog({ client, layout, store: this.config, mirror: this.mirror, log: say });
    this.config.mirrorOf(this.log);
    this.leases = new EtcdLeases(client, layout);
    this.secrets = new EtcdSecrets(client, layout);
  }

  /** Connects, reads the log into the mirror and starts following it; fails (UNAVAILABLE) if etcd cannot be reached. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(connectEtcd(opts), opts);
    try {
      await store.log.open();
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  /** The oldest revision still readable (0 until a compaction). */
  floor(): Revision {
    return this.mirror.floor();
  }

  /** Keeps the newest `keep` revisions of history in etcd and in every replica's mirror; the new floor, if it moved. */
  compact(keep: number): Promise<Revision | undefined> {
    this.assertOpen();
    return this.log.compact(keep);
  }

  /** Campaigns for leadership of the replicas' periodic jobs; the lease behind it lasts `ttlS` seconds without this replica. */
  leadership(replicaId: string, ttlS: number, log: (msg: string) => void): EtcdLeadership {
    return new EtcdLeadership(this.client, this.layout.prefix, replicaId, ttlS, log);
  }

  /**
   * Runs `fn` holding the replicas' lock `name` (an etcd lock on a `ttlS` lease, so a replica that dies holding it
   * frees it); `ran: false` when another replica holds it now. Fails UNAVAILABLE when etcd cannot be reached.
   */
  async exclusively<T>(name: string, ttlS: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    this.assertOpen();
    const lock = this.client.namespace(this.layout.prefix).lock(`locks/${name}`).ttl(ttlS);
    try {
      await lock.acquire();
    } catch (e) {
      if (e instanceof EtcdLockFailedError) return { ran: false };
      throw storeErrorFrom(e, `taking the lock ${name}`);
    }
    try {
      return { ran: true, value: await fn() };
    } finally {
      // a release that fails leaves the lock to its lease
      await lock.release().catch(() => undefined);
    }
  }

  /** Whether etcd answers now (a quorum read of the log's head). */
  async reachable(): Promise<boolean> {
    try {
      await this.log.sync();
      return true;
    } catch {
      return false;
    }
  }

  get(key: ResourceKey, at?: Revision): Promise<StoredResource | undefined> {
    return this.config.get(key, at);
  }
  getEntry(key: ResourceKey, at?: Revision): Promise<StoredEntry | undefined> {
    return this.config.getEntry(key, at);
  }
  list(opts?: ListFilter & { at?: Revision }): Promise<StoredResource[]> {
    return this.config.list(opts);
  }
  commit(changes: readonly Change[], meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision> {
    return this.config.commit(changes, meta, opts);
  }
  revision(): Promise<Revision> {
    return this.config.revision();
  }
  history(opts?: { limit?: number; key?: ResourceKey }): Promise<RevisionInfo[]> {
    return this.config.history(opts);
  }
  rollback(to: Revision, meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision> {
    return this.config.rollback(to, meta, opts);
  }
  diff(from: Revision, to: Revision): Promise<ResourceDiff[]> {
    return this.config.diff(from, to);
  }
  watch(fromRevision: Revision, onEvent: (ev: WatchEvent) => void): () => void {
    return this.config.watch(fromRevision, onEvent);
  }

  async grantLease(ttlMs: number): Promise<LeaseId> {
    this.assertOpen();
    return this.leases.grant(ttlMs);
  }
  async keepAlive(lease: LeaseId): Promise<void> {
    this.assertOpen();
    return this.leases.keepAlive(lease);
  }
  async revokeLease(lease: LeaseId): Promise<void> {
    this.assertOpen();
    return this.leases.revoke(lease);
  }
  async leaseTimeToLive(lease: LeaseId): Promise<number | undefined> {
    this.assertOpen();
    return this.leases.timeToLive(lease);
  }
  async putWithLease(key: string, value: unknown, lease: LeaseId): Promise<void> {
    this.assertOpen();
    return this.leases.put(key, value, lease);
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
    return this.leases.delete(key);
  }
  watchEphemeral(prefix: string, onEvent: (ev: EphemeralEvent) => void): () => void {
    this.assertOpen();
    return this.leases.watch(prefix, onEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.log.close();
    this.leases.close();
    (this.secrets as EtcdSecrets).close();
    await this.config.close();
    this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'config store is closed');
  }
}
