// HTTP: the HCM's path sanitation before routing — path_with_escaped_slashes_action, normalize_path, merge_slashes.
import type { HttpConnectionManager } from '../config/types.js';
import type { HeaderMap } from '../router/types.js';
import type { HcmStats } from './request-stats.js';

export type EscapedSlashesAction = HttpConnectionManager['path_with_escaped_slashes_action'];

export interface PathOptions {
  normalizePath: boolean;
  mergeSlashes: boolean;
  escapedSlashes: EscapedSlashesAction;
}

/** 'reject': 400 (REJECT_REQUEST); 'redirect': 307 to the new path (UNESCAPE_AND_REDIRECT found escaped slashes). */
export type PathVerdict = 'continue' | 'reject' | 'redirect';

const ESCAPED_SLASH = /%(2f|5c)/i;
const ESCAPED_SLASHES = /%(2f|5c)/gi;

/**
 * Envoy's order: escaped slashes first (%2F/%5C in the path, not the query, any case), then normalize_path and
 * merge_slashes; a redirect goes to the path as it is after all of them.
 */
export function sanitizePath(raw: string, o: PathOptions): { path: string; verdict: PathVerdict } {
  let path = raw;
  let verdict: PathVerdict = 'continue';
  const action = o.escapedSlashes;
  if (action === 'REJECT_REQUEST' || action === 'UNESCAPE_AND_REDIRECT' || action === 'UNESCAPE_AND_FORWARD') {
    const q = path.indexOf('?');
    const p = q < 0 ? path : path.slice(0, q);
    if (ESCAPED_SLASH.test(p)) {
      if (action === 'REJECT_REQUEST') return { path, verdict: 'reject' };
      path = p.replace(ESCAPED_SLASHES, (_m, c: string) => (c.toLowerCase() === '2f' ? '/' : '\\')) + (q < 0 ? '' : path.slice(q));
      if (action === 'UNESCAPE_AND_REDIRECT') verdict = 'redirect';
    }
  }
  if (o.normalizePath || o.mergeSlashes) path = normalizePath(path, o.normalizePath, o.mergeSlashes);
  return { path, verdict };
}

/**
 * HCM normalize_path (RFC 3986 §5.2.4 dot-segment removal, after decoding percent-encoded unreserved
 * characters as Envoy does) and merge_slashes, applied to the path before routing; the query is kept.
 */
export function normalizePath(raw: string, dotSegments: boolean, mergeSlashes: boolean): string {
  const q = raw.indexOf('?');
  let path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  if (dotSegments) {
    path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
    });
    const out: string[] = [];
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      if (s === '.') {
        if (i === segs.length - 1) out.push('');
      } else if (s === '..') {
        out.pop();
        if (i === segs.length - 1) out.push('');
      } else out.push(s);
    }
    path = '/' + out.join('/');
  }
  if (mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  return path + query;
}

/** What replying to a request whose target failed needs from the stream. */
export interface TargetReplier {
  readonly path: string;
  readonly isGrpc: boolean;
  readonly cm: { readonly stats: HcmStats };
  sendLocalReply(status: number, body: string, extraHeaders?: HeaderMap): void;
}

/**
 * A target the proxy will not route: a malformed one (400 Bad Request), one with escaped slashes under
 * REJECT_REQUEST (400), or one UNESCAPE_AND_REDIRECT changed (307 to the new path; gRPC cannot follow, so 400).
 */
export function replyToTarget(s: TargetReplier, verdict: PathVerdict | 'malformed'): void {
  if (verdict === 'malformed') return s.sendLocalReply(400, 'Bad Request');
  if (verdict === 'redirect' && !s.isGrpc) {
    s.cm.stats.rqRedirectedNormalizedPath.inc();
    return s.sendLocalReply(307, '', { location: s.path });
  }
  s.cm.stats.rqFailedPathNormalization.inc();
  s.sendLocalReply(400, '');
}
