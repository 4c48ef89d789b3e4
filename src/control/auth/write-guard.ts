// Control-plane auth: browser-safety rules for writes — a write needs a JSON/YAML body (no CORS "simple request" types) and no foreign Origin.
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/io.js';

/** Methods that change state; everything else is a read. */
export function isWriteMethod(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Body types a write may have: none of them can be sent cross-origin by a browser without a preflight. */
const WRITE_CONTENT_TYPES = new Set(['application/json', 'application/yaml', 'application/x-yaml']);

/** The media type without parameters, lower-cased (`Application/JSON; charset=utf-8` → `application/json`); '' when absent. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * 415 for a body type a page on any origin could post (text/plain, form encodings, none), 403 when the Origin
 * header names another origin than this API's own (`http(s)://<Host>`). Requests without Origin (the CLI, curl) pass.
 */
export function checkWriteRequest(req: Pick<IncomingMessage, 'headers'>): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const host = req.headers.host;
    const own = host === undefined ? [] : [`http://${host.toLowerCase()}`, `https://${host.toLowerCase()}`];
    if (!own.includes(origin.toLowerCase())) throw new HttpError(403, `cross-origin writes are refused (Origin ${JSON.stringify(origin)} is not this API's origin)`);
  }
  const type = mediaType(req.headers['content-type']);
  if (!WRITE_CONTENT_TYPES.has(type)) {
    throw new HttpError(415, `writes need Content-Type application/json or application/yaml, got ${type === '' ? 'none' : JSON.stringify(type)}`);
  }
}
