// HTTP API: apply and delete — validated multi-document input turned into one atomic store commit (compare-and-swap on the revision).
import { parseDocuments, type SkippedObject } from '../../api/index.js';
import { admitDocuments } from '../../api/admission.js';
import { normalizeSecret } from '../../api/secret-data.js';
import type { MeshResource } from '../../api/types.js';
import { canonicalJson } from '../store/json.js';
import { isStoreError, parseKey, resourceKey, type Change, type CommitMeta, type ConfigStore, type Revision, type StoredResource } from '../store/index.js';
import { HttpError } from './io.js';

export type ApplyOp = 'created' | 'updated' | 'unchanged';

export interface ApplyResult {
  revision: Revision;
  changes: { key: string; op: ApplyOp }[];
  /** Kubernetes objects of kinds with no meaning in a Trellis mesh (ConfigMap, …): not stored; absent when none. */
  skipped?: SkippedObject[];
  dryRun?: boolean;
}

export interface DeleteResult {
  revision: Revision;
  deleted: string[];
}

// Commits race only with other API calls; a few retries settle any realistic contention.
const CAS_ATTEMPTS = 5;

/** What the store keeps: a Secret's stringData folded into data (write-only, as Kubernetes keeps it). */
export function toStored(r: MeshResource): StoredResource {
  const stored = r.kind === 'Secret' ? normalizeSecret(r) : r;
  return { ...stored, metadata: { ...stored.metadata } };
}

/**
 * Validates `text` (every error, nothing changes on any), then writes every resource that differs from the
 * store in one revision. Ops are computed against the revision the commit is conditioned on, so they are exact.
 */
export async function applyText(store: ConfigStore, text: string, meta: CommitMeta, dryRun: boolean): Promise<ApplyResult> {
  // valid Istio that Trellis cannot honour yet is refused by name (as analyze reports it), never dropped by translation
  const { result: loaded, skipped } = admitDocuments(text);
  if (!loaded.ok) throw new HttpError(400, 'invalid resources', loaded.errors);
  if (loaded.value.length === 0 && skipped.length === 0) throw new HttpError(400, 'no resources in the input');
  const resources = loaded.value.map(toStored);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const rev = await store.revision();
    const changes: ApplyResult['changes'] = [];
    const puts: Change[] = [];
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const given of resources) {
      const key = resourceKey(given);
      const current = await store.get(key, rev);
      // Kubernetes' creationTimestamp (get's AGE): set by the server when the object is created, kept after
      const r = { ...given, metadata: { ...given.metadata, creationTimestamp: current?.metadata['creationTimestamp'] ?? now } };
      const op: ApplyOp = current === undefined ? 'created' : canonicalJson(current) === canonicalJson(r) ? 'unchanged' : 'updated';
      changes.push({ key, op });
      if (op !== 'unchanged') puts.push({ op: 'put', resource: r });
    }
    const said = skipped.length > 0 ? { skipped } : {};
    if (dryRun) return { revision: rev, changes, ...said, dryRun: true };
    try {
      const revision = puts.length === 0 ? rev : await store.commit(puts, meta, { ifRevision: rev });
      return { revision, changes, ...said };
    } catch (e) {
      if (!isStoreError(e, 'CONFLICT')) throw e;
    }
  }
  throw new HttpError(409, 'the configuration kept changing during the apply; retry');
}

/** Keys named directly or by documents (only their kind/namespace/name are read, as `kubectl delete -f` does). */
export function keysToDelete(keys: readonly unknown[] | undefined, text: string | undefined): string[] {
  const out: string[] = [];
  const errors: { path: string; message: string }[] = [];
  for (const [i, k] of (keys ?? []).entries()) {
    if (typeof k !== 'string' || parseKey(k) === undefined) errors.push({ path: `keys[${i}]`, message: `expected "Kind/namespace/name", got ${JSON.stringify(k)}` });
    else out.push(k);
  }
  if (text !== undefined) {
    const parsed = parseDocuments(text);
    errors.push(...parsed.errors);
    for (const r of parsed.resources) out.push(resourceKey(toStored(r)));
  }
  if (errors.length > 0) throw new HttpError(400, 'invalid delete request', errors);
  const unique = [...new Set(out)];
  if (unique.length === 0) throw new HttpError(400, 'nothing to delete: give "keys" or "text"');
  return unique;
}

/** Deletes every key in one revision; if any does not exist nothing is deleted (404 listing the missing ones). */
export async function deleteKeys(store: ConfigStore, keys: readonly string[], meta: CommitMeta): Promise<DeleteResult> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const rev = await store.revision();
    const missing: { path: string; message: string }[] = [];
    for (const key of keys) if ((await store.get(key, rev)) === undefined) missing.push({ path: key, message: 'not found' });
    if (missing.length > 0) throw new HttpError(404, 'not found', missing);
    try {
      const revision = await store.commit(keys.map((key) => ({ op: 'delete', key })), meta, { ifRevision: rev });
      return { revision, deleted: [...keys] };
    } catch (e) {
      if (!isStoreError(e, 'CONFLICT')) throw e;
    }
  }
  throw new HttpError(409, 'the configuration kept changing during the delete; retry');
}
