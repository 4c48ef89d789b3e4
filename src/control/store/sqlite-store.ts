// Control plane / config store: the embedded default — SQLite (better-sqlite3, WAL) in `--data-dir`/trellis.db.
//
// Schema: `revisions` (one row per revision: time, author, message) and `kv` (one row per key per revision
// that touched it; value = JSON text, NULL = tombstone). Reading as of revision N = each key's newest row with
// revision ≤ N, so history, rollback and diff are queries, never replays. `ephemeral` holds the leased keys
// (registered workloads) so a restart restores them with a fresh TTL, as etcd does; written in batches.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, EphemeralRow, Row, RevisionWrite } from './backend.js';
import { StoreError } from './errors.js';
import { RevisionedStore, type StoreOptions } from './revisioned-store.js';
import type { ConfigStore, ListFilter, ResourceKey, Revision, RevisionInfo } from './types.js';

const SCHEMA_VERSION = 1;
export const DB_FILE = 'trellis.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revisions (
  revision INTEGER PRIMARY KEY,
  time     TEXT NOT NULL,
  author   TEXT NOT NULL,
  message  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
  key       TEXT NOT NULL,
  revision  INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  namespace TEXT NOT NULL,
  value     TEXT,
  PRIMARY KEY (key, revision)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_by_revision ON kv (revision, key);
CREATE TABLE IF NOT EXISTS ephemeral (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL,
  lease  INTEGER NOT NULL,
  ttl_ms INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Ephemeral writes are batched: one transaction (one fsync) per burst of registrations, not one per proxy. */
const EPHEMERAL_FLUSH_MS = 50;

interface RevisionRow {
  revision: number;
  time: string;
  author: string;
  message: string;
}

// Prepared once per connection: every hot read is a single indexed statement.
function prepareQueries(db: Database.Database) {
  return {
    current: db.prepare<[], { r: number }>('SELECT coalesce(max(revision), 0) AS r FROM revisions'),
    latest: db.prepare<[string, number], { revision: number; value: string | null }>(
      'SELECT revision, value FROM kv WHERE key = ? AND revision <= ? ORDER BY revision DESC LIMIT 1',
    ),
    keysBetween: db.prepare<[number, number], { key: string }>(
      'SELECT DISTINCT key FROM kv WHERE revision > ? AND revision <= ?',
    ),
    rowsAt: db.prepare<[number], { key: string; value: string | null }>(
      'SELECT key, value FROM kv WHERE revision = ? ORDER BY key',
    ),
    info: db.prepare<[number], RevisionRow>('SELECT revision, time, author, message FROM revisions WHERE revision = ?'),
    // LIMIT -1 = no limit in SQLite.
    recent: db.prepare<[number], RevisionRow>(
      'SELECT revision, time, author, message FROM revisions ORDER BY revision DESC LIMIT ?',
    ),
    recentForKey: db.prepare<[string, number], RevisionRow>(
      `SELECT r.revision, r.time, r.author, r.message FROM kv JOIN revisions r ON r.revision = kv.revision
       WHERE kv.key = ? ORDER BY r.revision DESC LIMIT ?`,
    ),
    insertRevision: db.prepare<[number, string, string, string]>(
      'INSERT INTO revisions (revision, time, author, message) VALUES (?, ?, ?, ?)',
    ),
    insertRow: db.prepare<[string, number, string, string, string | null]>(
      'INSERT INTO kv (key, revision, kind, namespace, value) VALUES (?, ?, ?, ?, ?)',
    ),
    ephemeralAll: db.prepare<[], { key: string; value: string; lease: number; ttl_ms: number }>('SELECT key, value, lease, ttl_ms FROM ephemeral ORDER BY key'),
    ephemeralPut: db.prepare<[string, string, number, number]>('INSERT OR REPLACE INTO ephemeral (key, value, lease, ttl_ms) VALUES (?, ?, ?, ?)'),
    ephemeralDelete: db.prepare<[string]>('DELETE FROM ephemeral WHERE key = ?'),
  };
}

type Queries = ReturnType<typeof prepareQueries>;

class SqliteBackend implements Backend {
  private readonly db: Database.Database;
  private readonly listStatements = new Map<string, Database.Statement<Record<string, unknown>, { key: string; value: string }>>();
  private readonly q: Queries;
  private readonly pendingEphemeral = new Map<string, EphemeralRow | undefined>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: an apply that returned a revision survives a power cut, not only a crash (commits are rare).
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      this.db.close();
      throw new StoreError('INVALID', `${file} has schema version ${version}; this trellis knows up to ${SCHEMA_VERSION}`);
    }
    this.db.exec(SCHEMA);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.q = prepareQueries(this.db);
  }

  currentRevision(): Revision {
    return this.q.current.get()!.r;
  }

  latest(key: ResourceKey, at: Revision): Row | undefined {
    const row = this.q.latest.get(key, at);
    return row && { key, revision: row.revision, value: row.value };
  }

  listAt(at: Revision, filter: ListFilter): Array<{ key: ResourceKey; value: string }> {
    return this.listStatement(filter).all({ at, kind: filter.kind, namespace: filter.namespace });
  }

  keysChangedBetween(from: Revision, to: Revision): ResourceKey[] {
    return this.q.keysBetween.all(from, to).map((r) => r.key);
  }

  rowsAt(revision: Revision): Row[] {
    return this.q.rowsAt.all(revision).map((r) => ({ key: r.key, revision, value: r.value }));
  }

  revisionInfo(revision: Revision): RevisionInfo | undefined {
    const row = this.q.info.get(revision);
    return row && this.withChanges(row);
  }

  revisions(limit: number | undefined, key: ResourceKey | undefined): RevisionInfo[] {
    const n = limit ?? -1;
    const rows = key === undefined ? this.q.recent.all(n) : this.q.recentForKey.all(key, n);
    return rows.reverse().map((r) => this.withChanges(r));
  }

  atomically<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front, so the revision read at the start is still the newest at the end.
    return this.db.transaction(fn).immediate();
  }

  append({ info, rows }: RevisionWrite): void {
    this.q.insertRevision.run(info.revision, info.time, info.author, info.message);
    for (const r of rows) this.q.insertRow.run(r.key, info.revision, r.kind, r.namespace, r.value);
  }

  loadEphemeral(): EphemeralRow[] {
    return this.q.ephemeralAll.all().map((r) => ({ key: r.key, value: r.value, lease: String(r.lease), ttlMs: r.ttl_ms }));
  }

  saveEphemeral(key: string, row: EphemeralRow | undefined): void {
    this.pendingEphemeral.set(key, row);
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flushEphemeral(), EPHEMERAL_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  close(): void {
    if (this.db.open) {
      this.flushEphemeral();
      this.db.close();
    }
  }

  private flushEphemeral(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingEphemeral.size === 0 || !this.db.open) return;
    const batch = [...this.pendingEphemeral];
    this.pendingEphemeral.clear();
    this.db.transaction(() => {
      for (const [key, row] of batch) {
        if (row === undefined) this.q.ephemeralDelete.run(key);
        else this.q.ephemeralPut.run(key, row.value, Number(row.lease), row.ttlMs);
      }
    })();
  }

  private withChanges(row: RevisionRow): RevisionInfo {
    const changes = this.q.rowsAt
      .all(row.revision)
      .map((r) => ({ key: r.key, op: r.value === null ? ('delete' as const) : ('put' as const) }));
    return { revision: row.revision, time: row.time, author: row.author, message: row.message, changes };
  }

  // Each key's newest row ≤ at (SQLite returns the bare columns of the max() row), tombstones dropped.
  // Filters go inside: every row of a key has the same kind and namespace.
  private listStatement(filter: ListFilter): Database.Statement<Record<string, unknown>, { key: string; value: string }> {
    const where = ['revision <= @at'];
    if (filter.kind !== undefined) where.push('kind = @kind');
    if (filter.namespace !== undefined) where.push('namespace = @namespace');
    const sql = `SELECT key, value FROM (
        SELECT key, value, max(revision) AS r FROM kv WHERE ${where.join(' AND ')} GROUP BY key
      ) WHERE value IS NOT NULL ORDER BY key`;
    let stmt = this.listStatements.get(sql);
    if (!stmt) this.listStatements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }
}

export interface SqliteStoreOptions extends StoreOptions {
  /** Created if missing; the database is `${dataDir}/trellis.db`. */
  dataDir: string;
}

/** Opens (or creates) the embedded store in `dataDir`; history persists, and so do leased keys (restored with a fresh TTL). */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<ConfigStore> {
  mkdirSync(opts.dataDir, { recursive: true });
  return new RevisionedStore(new SqliteBackend(join(opts.dataDir, DB_FILE)), opts);
}
