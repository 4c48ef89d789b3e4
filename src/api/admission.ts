// API stage: the one admission check of a resource — what `apply` refuses is what `analyze` (online or --offline) reports.
import { fail, ok, type Result } from '../common/result.js';
import { withLocation, type ApiError } from './errors.js';
import { loadDocuments } from './load.js';
import { locate, type SkippedObject } from './parse.js';
import type { MeshResource } from './types.js';
import { unsupportedFields } from './unsupported.js';
import { validateResource } from './validate.js';

export interface Admission {
  /** Invalid Istio (the schema and Istio's own validation rules). */
  invalid: ApiError[];
  /** Valid Istio that Trellis cannot honour yet: refused by name, never dropped. */
  unsupported: ApiError[];
}

export function admission(r: MeshResource): Admission {
  const invalid = validateResource(r);
  // fields of an invalid resource are not judged further: its schema errors say what to fix first
  return { invalid, unsupported: invalid.length > 0 ? [] : unsupportedFields(r) };
}

/** What `apply` takes: valid Istio (loadResources) with no field Trellis cannot honour, every refusal with its source line. */
export function admitResources(text: string, source?: string): Result<MeshResource[]> {
  return admitDocuments(text, source).result;
}

/** admitResources(), and the Kubernetes objects the input held that mean nothing here (skipped, said once each). */
export function admitDocuments(text: string, source?: string): { result: Result<MeshResource[]>; skipped: SkippedObject[] } {
  const { result: loaded, skipped } = loadDocuments(text, source);
  if (!loaded.ok) return { result: loaded, skipped };
  const errors = loaded.value.flatMap((r) => admission(r).unsupported.map((e) => {
    const loc = locate(r, e.field);
    return loc ? withLocation(e, loc) : e;
  }));
  return { result: errors.length > 0 ? fail(errors) : ok(loaded.value), skipped };
}
