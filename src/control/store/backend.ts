// Control plane / config store: the synchronous storage contract under RevisionedStore (memory and SQLite implement it).
//
// Why synchronous: better-sqlite3 is synchronous, and a commit that reads, checks and writes in one JS turn is
// atomic against every other caller in the process for free. Semantics (CAS, no-op puts, rollback, diff, watch)
// live once in revisioned-store.ts; a backend only keeps rows.
import type { ListFilter, ResourceKey, Revision, RevisionInfo } from './types.js';

/** One history row: the key's value from `revision` on; `value` is JSON text, null for a tombstone (delete). */
export interface Row {
  key: ResourceKey;
  revision: Revision;
  value: string | null;
}

/** What a commit writes: the rows of one new revision (one per key) plus the revision's metadata. */
export interface RevisionWrite {
  info: Omit<RevisionInfo, 'changes'>;
  rows: Array<{ key: ResourceKey; kind: string; namespace: string; value: string | null }>;
}

/** An ephemeral key as a backend keeps it across restarts (value = JSON text). */
export interface EphemeralRow {
  key: string;
  value: string;
  lease: string;
  ttlMs: number;
}

export interface Backend {
  /** Highest committed revision, 0 when empty. */
  currentRevision(): Revision;
  /** Optional: the oldest revision still readable (history below it was compacted); 0 when absent. */
  floor?(): Revision;
  /** The key's newest row with revision ≤ at (a tombstone is returned as such). */
  latest(key: ResourceKey, at: Revision): Row | undefined;
  /** Live entries (no tombstones) as of `at`, sorted by key. */
  listAt(at: Revision, filter: ListFilter): Array<{ key: ResourceKey; value: string }>;
  /** Keys with a row in the revision range (from, to]. */
  keysChangedBetween(from: Revision, to: Revision): ResourceKey[];
  /** The rows written by one revision, sorted by key. */
  rowsAt(revision: Revision): Row[];
  /** Metadata and changes of one revision. */
  revisionInfo(revision: Revision): RevisionInfo | undefined;
  /** Newest `limit` revisions (all if undefined), optionally only those touching `key`; oldest first. */
  revisions(limit: number | undefined, key: ResourceKey | undefined): RevisionInfo[];
  /** Runs fn as one exclusive unit; if it throws, nothing it wrote stays. */
  atomically<T>(fn: () => T): T;
  /** Appends one revision. Only called inside atomically(), with info.revision = currentRevision() + 1. */
  append(write: RevisionWrite): void;
  /**
   * Optional (SQLite): ephemeral keys survive a restart, as etcd's leases do — reloaded at open on their leases with
   * a fresh TTL, so registered workloads stay endpoints while their proxies reconnect. Writes may be batched.
   */
  loadEphemeral?(): EphemeralRow[];
  /** Records a put (row) or a removal (undefined) of an ephemeral key. */
  saveEphemeral?(key: string, row: EphemeralRow | undefined): void;
  close(): void;
}
