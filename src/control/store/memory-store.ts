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

class MemoryBackend implements Backend {
  private readonly keys = new Map<ResourceKey, KeyHistory>();
  private readonly infos: Array<Omit<RevisionInfo, 'changes'>> = []; // infos[r - 1] is revision r
  private readonly rowsByRevision: Row[][] = [];

  currentRevision(): Revision {
    return this.infos.length;
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
    for (let r = from + 1; r <= to; r++) for (const row of this.rowsByRevision[r - 1] ?? []) keys.add(row.key);
    return [...keys];
  }

  rowsAt(revision: Revision): Row[] {
    return [...(this.rowsByRevision[revision - 1] ?? [])];
  }

  revisionInfo(revision: Revision): RevisionInfo | undefined {
    const info = this.infos[revision - 1];
    return info && { ...info, changes: this.changesAt(revision) };
  }

  revisions(limit: number | undefined, key: ResourceKey | undefined): RevisionInfo[] {
    const out: RevisionInfo[] = [];
    for (let r = this.infos.length; r >= 1 && (limit === undefined || out.length < limit); r--) {
      if (key !== undefined && !this.rowsByRevision[r - 1]!.some((row) => row.key === key)) continue;
      out.push(this.revisionInfo(r)!);
    }
    return out.reverse();
  }

  // Single-threaded and append() writes only after every check passed, so there is nothing to undo.
  atomically<T>(fn: () => T): T {
    return fn();
  }

  append({ info, rows }: RevisionWrite): void {
    this.infos.push({ ...info });
    this.rowsByRevision.push(rows.map((r) => ({ key: r.key, revision: info.revision, value: r.value })).sort(byKey));
    for (const r of rows) {
      let h = this.keys.get(r.key);
      if (!h) this.keys.set(r.key, (h = { kind: r.kind, namespace: r.namespace, revisions: [], values: [] }));
      h.revisions.push(info.revision);
      h.values.push(r.value);
    }
  }

  close(): void {}

  private changesAt(revision: Revision): RevisionChange[] {
    return (this.rowsByRevision[revision - 1] ?? []).map((r) => ({ key: r.key, op: r.value === null ? 'delete' : 'put' }));
  }
}

/** A fresh, empty in-memory store. */
export function createMemoryStore(opts: StoreOptions = {}): ConfigStore {
  return new RevisionedStore(new MemoryBackend(), opts);
}
