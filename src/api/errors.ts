// API stage: the error shape of parsing and validation — a ConfigError that also names the resource, the document and the source line.
import type { ConfigError } from '../common/result.js';

/**
 * A ConfigError whose `path` is `<resource>: <field>` and whose `message` is the reason (plus the
 * source position when known), so the shared formatErrors() prints
 * `VirtualService default/reviews: spec.http[0].route[1].weight: weights must sum to 100, got 90 (vs.yaml:14)`.
 * The parts stay available separately for JSON output and tests.
 */
export interface ApiError extends ConfigError {
  /** 'Kind namespace/name' once known, else 'document N' (1-based, in the order of the input). */
  resource: string;
  /** Field path inside the resource, e.g. 'spec.http[0].route[1].weight'; '' for the whole document. */
  field: string;
  reason: string;
  /** 1-based document index within the input, when the error came from parsing text. */
  document?: number;
  source?: string;
  line?: number;
}

export interface Location {
  document?: number;
  source?: string;
  line?: number;
}

export function apiError(resource: string, field: string, reason: string, loc: Location = {}): ApiError {
  const where = loc.line !== undefined ? ` (${loc.source ?? 'line'}:${loc.line})` : '';
  return {
    path: field === '' ? resource : `${resource}: ${field}`,
    message: `${reason}${where}`,
    resource,
    field,
    reason,
    ...(loc.document !== undefined ? { document: loc.document } : {}),
    ...(loc.source !== undefined ? { source: loc.source } : {}),
    ...(loc.line !== undefined ? { line: loc.line } : {}),
  };
}

/** Re-issue an error with a source location attached (the message is rebuilt to show it). */
export function withLocation(e: ApiError, loc: Location): ApiError {
  return apiError(e.resource, e.field, e.reason, { document: e.document, source: e.source, line: e.line, ...loc });
}

/** Parse a field path like `spec.http[0].headers["x-user"]` back into keys, for line look-ups. */
export function splitFieldPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(m[2]) as string);
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}
