// CLI: a stored resource as the user wrote it for `get -o yaml|json` — the original apiVersion restored, the store's bookkeeping annotation dropped.
import { ORIGINAL_API_VERSION_ANNOTATION, type MeshResource } from '../api/types.js';

/** Output of `get -o yaml` re-applies unchanged: the user's v1beta1/v1alpha3 comes back, not the storage version. */
export function asWritten(r: MeshResource): MeshResource {
  const annotations = r.metadata.annotations;
  const original = annotations?.[ORIGINAL_API_VERSION_ANNOTATION];
  if (original === undefined) return r;
  const rest = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k !== ORIGINAL_API_VERSION_ANNOTATION));
  const { annotations: _dropped, ...others } = r.metadata;
  const metadata = Object.keys(rest).length === 0 ? others : { ...others, annotations: rest };
  return { ...r, apiVersion: original, metadata } as MeshResource;
}

/** kubectl's shape for several objects, which `trellis apply -f` also reads back. */
export function asList(items: readonly MeshResource[]): { apiVersion: 'v1'; kind: 'List'; items: MeshResource[] } {
  return { apiVersion: 'v1', kind: 'List', items: items.map(asWritten) };
}
