// Translate stage: per-snapshot memo — a resource whose inputs are equal for many proxy shapes is built once per snapshot,
// and the same object lets the ADS server reuse its encoding (no re-serialization per shape).
import type { Snapshot } from '../model/types.js';
import type { ClusterSpec } from './cluster-specs.js';

const tables = new WeakMap<Snapshot, Map<string, unknown>>();

/** `build()` once per (snapshot, key); `key` must name every input the result depends on besides the snapshot. */
export function memoInSnapshot<T>(snap: Snapshot, key: string, build: () => T): T {
  let table = tables.get(snap);
  if (table === undefined) tables.set(snap, (table = new Map()));
  if (table.has(key)) return table.get(key) as T;
  const v = build();
  table.set(key, v);
  return v;
}

/** A cluster spec's identity within a snapshot: its name and the DestinationRule chosen for it (which may depend on the proxy's namespace). */
export function specKey(spec: ClusterSpec): string {
  const r = spec.rule;
  return r === undefined ? spec.name : `${spec.name}|${r.metadata.namespace}/${r.metadata.name}`;
}
