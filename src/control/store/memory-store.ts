// Control plane / config store: the in-memory ConfigStore (fast tests, and the fake other components test against).
import type { Backend, Row, RevisionWrite } from './backend.js';
import { RevisionedStore, type StoreOptions } from './revisioned-store.js';
import type { ConfigStore, ListFilter, ResourceKey, Revision, RevisionChange, RevisionInfo } from './types.js';

interface KeyHistory {
  kind: string;
  namespace: string;
  revisions: Revision[]; // ascending
  values: Array<string | null>; // JSON text (never shared objects, same as SQLite); null = tombstone
}

function byKey<T extends { key: string }>(a: T, b: T): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Index of the last element ≤ at, or -1. */
function floorIndex(sorted: readonly number[], at: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** A row as a mirror is seeded with: a key's value at the floor, with the revision of its last change. */
export interface SeedRow {
  key: ResourceKey;
  kind: string;
  namespace: string;
  revision: Revision;
  value: string;
}

/**
 * Rows in memory. Also the local mirror of a remote log (the etcd store): it can start at a floor other than 0
 * (`seed`) and forget history below a floor (`compact`), as a compacted etcd does.
 */
export class MemoryBackend implements Backend {
  private readonly keys = new Map<ResourceKey, KeyHistory>();
  private readonly infos = new Map<Revision, Omit<RevisionInfo, 'changes'>>();
  private readonly rowsByRevision = new Map<Revision, Row[]>();
  private head = 0;
  private lowest = 0;

  currentRevision(): Revision {
    return this.head;
  }

  floor(): Revision {
    return this.lowest;
  }

  latest(key: ResourceKey, at: Revision): Row | undefined {
    const h = this.keys.get(key);
    if (!h) return undefined;
    const i = floorIndex(h.revisions, at);
    return i < 0 ? undefined : { key, revision: h.revisions[i]!, value: h.values[i]! };
  }

  listAt(at: Revision, filter: ListFilter): Array<{ key: ResourceKey; value: string }> {
    const out: Array<{ key: ResourceKey; value: string }> = [];
    for (const [key, h] of this.keys) {
      if (filter.kind !== undefined && h.kind !== filter.kind) continue;
      if (filter.namespace !== undefined && h.namespace !== filter.namespace) continue;
      const i = floorIndex(h.revisions, at);
      const value = i < 0 ? null : h.values[i]!;
      if (value !== null) out.push({ key, value });
    }
    return out.sort(byKey);
  }

  keysChangedBetween(from: Revision, to: Revision): ResourceKey[] {
    const keys = new Set<ResourceKey>();
    for (let r = from + 1; r <= to; r++) for (const row of this.rowsByRevision.get(r) ?? []) keys.add(row.key);
    return [...keys];
  }

  rowsAt(revision: Revision): Row[] {
    return [...(this.rowsByRevision.get(revision) ?? [])];
  }

  revisionInfo(revision: Revision): RevisionInfo | undefined {
    const info = this.infos.get(revision);
    return info && { ...info, changes: this.changesAt(revision) };
  }

  revisions(limit: number | undefined, key: ResourceKey | undefined): RevisionInfo[] {
    const out: RevisionInfo[] = [];
    for (let r = this.head; r > 0 && this.infos.has(r) && (limit === undefined || out.length < limit); r--) {
      if (key !== undefined && !this.rowsByRevision.get(r)!.some((row) => row.key === key)) continue;
      out.push(this.revisionInfo(r)!);
    }
    return out.reverse();
  }

  // Single-threaded and append() writes only after every check passed, so there is nothing to undo.
  atomically<T>(fn: () => T): T {
    return fn();
  }

  append({ info, rows }: RevisionWrite): void {
    this.head = info.revision;
    this.infos.set(info.revision, { ...info });
    this.rowsByRevision.set(info.revision, rows.map((r) => ({ key: r.key, revision: info.revision, value: r.value })).sort(byKey));
    for (const r of rows) {
      let h = this.keys.get(r.key);
      if (!h) this.keys.set(r.key, (h = { kind: r.kind, namespace: r.namespace, revisions: [], values: [] }));
      h.revisions.push(info.revision);
      h.values.push(r.value);
    }
  }

  /** Forgets everything and starts at `floor` with these live rows (and the floor revision's own metadata, if known). */
  seed(floor: Revision, info: Omit<RevisionInfo, 'changes'> | undefined, rows: readonly SeedRow[]): void {
    this.keys.clear();
    this.infos.clear();
    this.rowsByRevision.clear();
    this.head = this.lowest = floor;
    if (info !== undefined) this.infos.set(floor, { ...info });
    for (const r of rows) this.keys.set(r.key, { kind: r.kind, namespace: r.namespace, revisions: [r.revision], values: [r.value] });
    if (info !== undefined) {
      this.rowsByRevision.set(floor, rows.filter((r) => r.revision === floor).map((r) => ({ key: r.key, revision: floor, value: r.value })).sort(byKey));
    }
  }

  /** Drops history below `floor`: each key keeps its state at the floor (its newest row at or below it) and later rows. */
  compact(floor: Revision): void {
    if (floor <= this.lowest) return;
    for (const r of [...this.infos.keys()]) if (r < floor) this.infos.delete(r);
    for (const r of [...this.rowsByRevision.keys()]) if (r < floor) this.rowsByRevision.delete(r);
    for (const [key, h] of this.keys) {
      const i = floorIndex(h.revisions, floor);
      if (i <= 0) continue;
      h.revisions.splice(0, i);
      h.values.splice(0, i);
      if (h.values.length === 1 && h.values[0] === null) this.keys.delete(key);
    }
    this.lowest = floor;
  }

  close(): void {}

  private changesAt(revision: Revision): RevisionChange[] {
    return (this.rowsByRevision.get(revision) ?? []).map((r) => ({ key: r.key, op: r.value === null ? 'delete' : 'put' }));
  }
}

/** A fresh, empty in-memory store. */
export function createMemoryStore(opts: StoreOptions = {}): ConfigStore {
  return new RevisionedStore(new MemoryBackend(), opts);
}
