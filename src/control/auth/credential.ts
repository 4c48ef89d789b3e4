// Control-plane auth: the HTTP API's credential check — `Authorization: Bearer <token>` compared in constant time; 401 + `WWW-Authenticate: Bearer` otherwise.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/io.js';

/** Who made an authenticated request; recorded as the author of the revisions it commits. */
export interface Identity {
  name: string;
}

export const ADMIN_IDENTITY: Identity = { name: 'admin' };

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(h);
  return m === null ? undefined : m[1];
}

/** Equal strings, in time that depends on neither content nor length (both sides are hashed to 32 bytes first). */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = crypto.createHash('sha256').update(a, 'utf8').digest();
  const db = crypto.createHash('sha256').update(b, 'utf8').digest();
  return crypto.timingSafeEqual(da, db);
}

export class Unauthorized extends HttpError {
  constructor(message: string) {
    super(401, message, undefined, { 'www-authenticate': 'Bearer realm="trellis"' });
  }
}

/** Several admin tokens at once (replicas sharing a store accept each other's); `accepts` must take constant time per token. */
export interface AdminTokenSet {
  accepts(token: string): boolean;
}

/** What a bearer token is checked against: this control plane's admin token, or the set every replica registered. */
export type AdminCredential = string | AdminTokenSet;

/**
 * The admin identity when the request carries the admin token (any replica's, with replicas sharing a store); else a
 * 401. Every write uses it, and reads of secrets must too (call it from the route before reading one).
 */
export function requireAdmin(req: Pick<IncomingMessage, 'headers'>, admin: AdminCredential): Identity {
  const token = bearerToken(req);
  if (token === undefined) throw new Unauthorized('this request needs the admin credential: send "Authorization: Bearer <token>" (the token is in the admin-token file that `trellis control` names at start-up)');
  const valid = typeof admin === 'string' ? constantTimeEqual(token, admin) : admin.accepts(token);
  if (!valid) throw new Unauthorized('the bearer token is not valid');
  return ADMIN_IDENTITY;
}
