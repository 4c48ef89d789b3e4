// Ingestion stage: stored JSON back to typed mesh resources (the store keeps any kind; translation reads only the known ones).
import { KINDS, SPECLESS_KINDS, type Kind, type MeshResource } from '../../api/types.js';
import type { StoredResource } from '../store/types.js';

const KNOWN: ReadonlySet<string> = new Set<string>(KINDS);
const SPECLESS: ReadonlySet<string> = new Set<string>(SPECLESS_KINDS);

export function isKnownKind(kind: string): kind is Kind {
  return KNOWN.has(kind);
}

/**
 * Everything in the store passed loadResources() when it was applied (rollback restores such values too), so a
 * known kind with a spec object (or a kind with none: Secret, ServiceAccount, Namespace) is trusted as that kind.
 */
export function toMeshResources(stored: Iterable<StoredResource>): MeshResource[] {
  const out: MeshResource[] = [];
  for (const r of stored) {
    const m = meshResource(r);
    if (m !== undefined) out.push(m);
  }
  return out;
}

/** Once per stored object, so an unchanged resource is the same object in every snapshot (later stages memoize on that). */
const converted = new WeakMap<StoredResource, MeshResource | null>();

function meshResource(r: StoredResource): MeshResource | undefined {
  let m = converted.get(r);
  if (m === undefined) {
    // a Secret has no spec: its data sits beside metadata
    const known = isKnownKind(r.kind) && (SPECLESS.has(r.kind) || (typeof r['spec'] === 'object' && r['spec'] !== null));
    m = known ? ({ ...r, metadata: { ...r.metadata, namespace: r.metadata.namespace ?? 'default' } } as unknown as MeshResource) : null;
    converted.set(r, m);
  }
  return m ?? undefined;
}
