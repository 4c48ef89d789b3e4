// Control plane / config store: turns a commit's changes into the rows of one revision (checks, per-key CAS, no-op puts dropped).
import type { ConfigError } from '../../common/result.js';
import type { Backend, RevisionWrite } from './backend.js';
import { StoreError } from './errors.js';
import { canonicalJson } from './json.js';
import { checkResource, parseKey, resourceKey } from './keys.js';
import type { Change, ListFilter, ResourceKey, Revision, StoreView, StoredResource } from './types.js';

export type PlannedRow = RevisionWrite['rows'][number];

/**
 * Validates the changes against the state at `current` and returns the rows that actually change something
 * (empty for a no-op). Throws INVALID (every identity problem at once) or CONFLICT (first failed compare).
 */
export function planCommit(backend: Backend, current: Revision, changes: readonly Change[]): PlannedRow[] {
  const errors: ConfigError[] = [];
  const seen = new Set<ResourceKey>();
  changes.forEach((c, i) => {
    let key: ResourceKey | undefined;
    if (c.op === 'put') {
      const errs = checkResource(c.resource, i);
      errors.push(...errs);
      if (errs.length === 0) key = resourceKey(c.resource);
    } else if (c.op === 'delete') {
      if (typeof c.key === 'string' && parseKey(c.key)) key = c.key;
      else errors.push({ path: `changes[${i}].key`, message: `not a kind/namespace/name key: ${String(c.key)}` });
    } else {
      errors.push({ path: `changes[${i}].op`, message: `unknown op ${String((c as { op: unknown }).op)}` });
    }
    if (key === undefined) return;
    // Two changes to one key would make the revision's meaning order-dependent; etcd rejects it too.
    if (seen.has(key)) errors.push({ path: key, message: 'the same resource appears more than once in one commit' });
    seen.add(key);
  });
  if (errors.length > 0) throw StoreError.invalid(errors);

  const rows: PlannedRow[] = [];
  for (const c of changes) {
    const key = c.op === 'put' ? resourceKey(c.resource) : c.key;
    const prev = backend.latest(key, current);
    const live = prev !== undefined && prev.value !== null ? prev : undefined;
    if (c.ifModRevision !== undefined && c.ifModRevision !== (live?.revision ?? 0)) {
      throw new StoreError('CONFLICT', `${key}: last modified at revision ${live?.revision ?? 0}, expected ${c.ifModRevision}`);
    }
    const { kind, namespace } = parseKey(key)!;
    if (c.op === 'delete') {
      if (live) rows.push({ key, kind, namespace, value: null });
    } else if (!live || canonicalJson(JSON.parse(live.value!)) !== canonicalJson(c.resource)) {
      rows.push({ key, kind, namespace, value: JSON.stringify(c.resource) });
    }
  }
  return rows;
}

/** The store as it would be after `rows` land on top of `current`, for validators. */
export function overlayView(backend: Backend, current: Revision, rows: readonly PlannedRow[]): StoreView {
  const pending = new Map(rows.map((r) => [r.key, r] as const));
  const matches = (r: PlannedRow, f: ListFilter): boolean =>
    (f.kind === undefined || r.kind === f.kind) && (f.namespace === undefined || r.namespace === f.namespace);
  return {
    revision: current + 1,
    get(key) {
      const p = pending.get(key);
      const text = p ? p.value : backend.latest(key, current)?.value;
      return text ? (JSON.parse(text) as StoredResource) : undefined;
    },
    list(filter = {}) {
      const out = new Map<ResourceKey, string>();
      for (const e of backend.listAt(current, filter)) out.set(e.key, e.value);
      for (const r of rows) {
        if (!matches(r, filter)) continue;
        if (r.value === null) out.delete(r.key);
        else out.set(r.key, r.value);
      }
      return [...out.keys()].sort().map((k) => JSON.parse(out.get(k)!) as StoredResource);
    },
  };
}
