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
    // a Secret has no spec: its data sits beside metadata
    if (!isKnownKind(r.kind) || (!SPECLESS.has(r.kind) && (typeof r['spec'] !== 'object' || r['spec'] === null))) continue;
    const namespace = r.metadata.namespace ?? 'default';
    out.push({ ...r, metadata: { ...r.metadata, namespace } } as unknown as MeshResource);
  }
  return out;
}
