// HTTP API: identity tokens — POST /api/v1/tokens signs a JWT for a namespace/service account (admin only, as every write); GET /api/v1/whoami checks the admin token.
import { DEFAULT_TOKEN_TTL_S, identityError } from '../auth/identity-token.js';
import type { ApiDeps } from './deps.js';
import { requireAdmin } from '../auth/credential.js';
import { HttpError, ok, optionalString, readJsonObject } from './io.js';
import type { Router } from './router.js';

/** A year: longer-lived identity tokens are a mistake to refuse, not to sign. */
export const MAX_TOKEN_TTL_S = 365 * 24 * 3600;

export function addTokenRoutes(router: Router, deps: ApiDeps): void {
  // the dashboard's login checks the token it was given here (every other read is open)
  router.add('GET', '/api/v1/whoami', ({ req }) => ok({ identity: requireAdmin(req, deps.auth.adminToken).name }));
  router.add('POST', '/api/v1/tokens', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const namespace = optionalString(body, 'namespace');
    const serviceAccount = optionalString(body, 'serviceAccount');
    if (namespace === undefined || serviceAccount === undefined) throw new HttpError(400, '"namespace" and "serviceAccount" are required');
    const problem = identityError({ namespace, serviceAccount });
    if (problem !== undefined) throw new HttpError(400, problem);
    const ttl = body.ttlSeconds ?? DEFAULT_TOKEN_TTL_S;
    if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_S) {
      throw new HttpError(400, `"ttlSeconds" must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_S}, got ${JSON.stringify(ttl)}`);
    }
    const signed = await deps.auth.tokens.sign({ namespace, serviceAccount }, ttl);
    return ok({ token: signed.token, subject: signed.subject, expiresAt: signed.expiresAt.toISOString() });
  });
}
