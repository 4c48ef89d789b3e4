// Control plane / config store: the ConfigStore interface, etcd-shaped so an etcd backend can replace the embedded one.
//
// Model (as etcd's): one global revision counter; every commit that changes something creates exactly one
// revision (starting at 1; revision 0 is the empty store). Each key keeps its full history, so any read can
// be made "as of" a past revision. Watches start at a revision (inclusive, like etcd's start_revision) and
// deliver every later revision in order. Leases own ephemeral keys that vanish when the lease expires or is
// revoked; those keys live outside the revisioned config (they are runtime state, not config history).
import type { ConfigError } from '../../common/result.js';

/**
 * A stored resource: opaque JSON. The store only looks at `kind`, `metadata.name` and `metadata.namespace`
 * (to build the key); everything else (apiVersion, spec, …) is kept verbatim.
 */
export type StoredResource = {
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** `kind/namespace/name`; the namespace part is empty for resources without one (`Kind//name`). */
export type ResourceKey = string;
export type Revision = number;

export type Change =
  /** Create or replace. `ifModRevision` (per-key CAS, etcd's mod_revision compare): 0 = must not exist. */
  | { op: 'put'; resource: StoredResource; ifModRevision?: Revision }
  /** Delete; deleting an absent key is a no-op. `ifModRevision`: the key's last change must be at this revision. */
  | { op: 'delete'; key: ResourceKey; ifModRevision?: Revision };

export interface CommitMeta {
  author: string;
  message: string;
}

/** Read-only view of the store as it would be after a commit; handed to validators (synchronous on purpose). */
export interface StoreView {
  /** The revision this view stands for (the one the commit would create). */
  readonly revision: Revision;
  get(key: ResourceKey): StoredResource | undefined;
  list(filter?: ListFilter): StoredResource[];
}

/**
 * Checks the would-be state (e.g. schema and cross-resource validation); any returned error rejects the
 * whole commit and nothing changes. Runs only when the commit changes something.
 */
export type CommitValidator = (after: StoreView, changes: readonly Change[]) => readonly ConfigError[];

export interface CommitOptions {
  /** Global CAS (etcd Txn compare on the store revision): fail with CONFLICT unless the current revision equals this. */
  ifRevision?: Revision;
  validate?: CommitValidator;
}

export interface ListFilter {
  kind?: string;
  /** Exact namespace; '' selects resources without one. */
  namespace?: string;
}

export interface RevisionChange {
  key: ResourceKey;
  op: 'put' | 'delete';
}

export interface RevisionInfo {
  revision: Revision;
  /** ISO-8601 commit time. */
  time: string;
  author: string;
  message: string;
  changes: RevisionChange[];
}

export interface ResourceDiff {
  key: ResourceKey;
  op: 'added' | 'removed' | 'changed';
  before?: StoredResource;
  after?: StoredResource;
}

/** One revision as delivered to watchers: its metadata and every key it touched, with the new value of puts. */
export interface WatchEvent extends RevisionInfo {
  changes: Array<RevisionChange & { resource?: StoredResource }>;
}

/** A resource with the revision of its last change (etcd's mod_revision; the value for per-key CAS). */
export interface StoredEntry {
  key: ResourceKey;
  resource: StoredResource;
  modRevision: Revision;
}

/** A lease's id: a decimal string, because etcd's are int64 values beyond 2^53. */
export type LeaseId = string;

export interface EphemeralEvent {
  key: string;
  op: 'put' | 'delete';
  value?: unknown;
  lease: LeaseId;
  /** Why a key went away: an explicit delete, a revoke, or the lease's TTL running out. */
  reason?: 'deleted' | 'revoked' | 'expired';
}

export interface ConfigStore {
  /** The resource at `key` now, or as of revision `at`. */
  get(key: ResourceKey, at?: Revision): Promise<StoredResource | undefined>;
  /** Like get, with the key's mod revision (for per-key CAS). */
  getEntry(key: ResourceKey, at?: Revision): Promise<StoredEntry | undefined>;
  /** Resources now or as of revision `at`, sorted by key. */
  list(opts?: ListFilter & { at?: Revision }): Promise<StoredResource[]>;

  /**
   * Applies all changes as one atomic revision, or none of them (CONFLICT / INVALID errors, see errors.ts).
   * Puts of an identical value (compared as canonical JSON) and deletes of absent keys are dropped; if nothing
   * is left, no revision is created and the current revision is returned. Two changes to one key are INVALID
   * (as in an etcd Txn). A number as third argument is shorthand for `{ ifRevision }`.
   * @returns the new revision (or the unchanged current one for a no-op).
   */
  commit(changes: readonly Change[], meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision>;
  /** The latest revision (0 for an empty store). */
  revision(): Promise<Revision>;
  /** The newest `limit` revisions (all by default), oldest first; with `key`, only those touching it. */
  history(opts?: { limit?: number; key?: ResourceKey }): Promise<RevisionInfo[]>;
  /**
   * Restores the whole config as it was at revision `to` as one new revision (resources created after `to` are
   * deleted, removed ones come back). Same no-op, CAS and validation rules as commit.
   */
  rollback(to: Revision, meta: CommitMeta, opts?: CommitOptions | Revision): Promise<Revision>;
  /** What changed between the config at `from` and at `to` (either order), sorted by key. */
  diff(from: Revision, to: Revision): Promise<ResourceDiff[]>;
  /**
   * Calls `onEvent` once per revision ≥ `fromRevision`, in order, without gaps: first the past ones from
   * history, then each new commit. Pass `await revision() + 1` for new changes only. Delivery is
   * asynchronous (never inside commit). Returns a cancel function.
   */
  watch(fromRevision: Revision, onEvent: (ev: WatchEvent) => void): () => void;

  /** A lease that expires `ttlMs` after its grant or last keepAlive. */
  grantLease(ttlMs: number): Promise<LeaseId>;
  /** Restarts the lease's TTL; LEASE_NOT_FOUND once it expired or was revoked. */
  keepAlive(lease: LeaseId): Promise<void>;
  /** Ends the lease now and deletes its keys (unknown leases are ignored, as they may have just expired). */
  revokeLease(lease: LeaseId): Promise<void>;
  /** Milliseconds the lease has left, or undefined if it is gone. */
  leaseTimeToLive(lease: LeaseId): Promise<number | undefined>;
  /** Puts an ephemeral key owned by `lease` (moved to it if another lease owned it). Not config, no revision. */
  putWithLease(key: string, value: unknown, lease: LeaseId): Promise<void>;
  /**
   * Only while `key` is still owned by `ifLease` (no other writer took it over since): moves it to `next.lease` with
   * `next.value`, or deletes it when `next` is undefined. Atomic; says whether it did.
   */
  replaceEphemeralIf(key: string, ifLease: LeaseId, next: { value: unknown; lease: LeaseId } | undefined): Promise<boolean>;
  getEphemeral(key: string): Promise<unknown>;
  /** Ephemeral entries whose key starts with `prefix`, sorted by key. */
  listEphemeral(prefix?: string): Promise<Array<{ key: string; value: unknown; lease: LeaseId }>>;
  deleteEphemeral(key: string): Promise<void>;
  /** Live events for ephemeral keys under `prefix` (no history: list first, in the same tick). */
  watchEphemeral(prefix: string, onEvent: (ev: EphemeralEvent) => void): () => void;

  /** Stops watches and lease timers, releases files. Later calls fail with CLOSED. */
  close(): Promise<void>;
}
