// API stage: loadResources() — parse + validate a whole input in one step, all-or-nothing, every error with its source line (what `apply` and `analyze -f` need).
import { fail, ok, type Result } from '../common/result.js';
import { withLocation, type ApiError } from './errors.js';
import { locate, parseDocuments, type SkippedObject } from './parse.js';
import { validateResource } from './validate.js';
import type { MeshResource } from './types.js';

/** Parse `text` and validate every resource in it; any error anywhere fails the whole input. */
export function loadResources(text: string, source?: string): Result<MeshResource[]> {
  return loadDocuments(text, source).result;
}

/** loadResources(), and the objects of Kubernetes kinds with no meaning here that the input held (skipped, not refused). */
export function loadDocuments(text: string, source?: string): { result: Result<MeshResource[]>; skipped: SkippedObject[] } {
  // Envelope errors in one document do not stop the others from being checked: the user gets the full list.
  const parsed = parseDocuments(text, source);
  const errors: ApiError[] = [...parsed.errors];
  for (const r of parsed.resources) {
    for (const e of validateResource(r)) {
      const loc = locate(r, e.field);
      errors.push(loc ? withLocation(e, loc) : e);
    }
  }
  // Report in input order, document by document, line by line.
  errors.sort((a, b) => (a.document ?? 0) - (b.document ?? 0) || (a.line ?? 0) - (b.line ?? 0));
  return { result: errors.length > 0 ? fail(errors) : ok(parsed.resources), skipped: parsed.skipped };
}

/** Validate already-parsed resources (e.g. from the store or an API body); no line numbers. */
export function validateResources(resources: readonly MeshResource[]): ApiError[] {
  return resources.flatMap((r) => validateResource(r));
}
