// HTTP API: how reads treat secrets — `?showSecrets=true` needs the admin credential (401 otherwise); every other reply has its secrets redacted, whatever route made it.
import { requireAdmin, type AdminCredential } from '../auth/credential.js';
import { HttpError, type Reply } from './io.js';
import type { RequestContext } from './router.js';
import { redactDeep, redactDiffEntry, redactResource } from './secret-redaction.js';

/** Did the request ask to see secret values? Asking without the admin token is a 401, never a silent redaction. */
export function secretsRequested(ctx: RequestContext, adminToken: AdminCredential): boolean {
  const v = ctx.query.get('showSecrets');
  if (v === null || v === '' || v === 'false') return false;
  if (v !== 'true') throw new HttpError(400, `"showSecrets" must be true or false, got ${JSON.stringify(v)}`);
  requireAdmin(ctx.req, adminToken);
  return true;
}

/** Stored resources as a read returns them: values shown only when `reveal` (the admin asked). */
export function resourcesReply(value: unknown, reveal: boolean): Reply {
  if (reveal) return { status: 200, json: value, revealSecrets: true };
  return { status: 200, json: Array.isArray(value) ? value.map(redactResource) : redactResource(value) };
}

/** Diff entries as a read returns them: a changed secret value is marked as changed without showing either side. */
export function diffReply<T extends { before?: unknown; after?: unknown }>(entries: readonly T[], reveal: boolean): Reply {
  return reveal ? { status: 200, json: entries, revealSecrets: true } : { status: 200, json: entries.map(redactDiffEntry) };
}

/** The server's last step: a reply not explicitly revealing secrets has every Secret and inline private key redacted. */
export function withSecretsHidden(reply: Reply): Reply {
  if (reply.revealSecrets === true || reply.json === undefined) return reply;
  const json = redactDeep(reply.json);
  return json === reply.json ? reply : { ...reply, json };
}
