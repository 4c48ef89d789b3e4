// HTTP API: config routes — list/get resources, apply, delete, revisions, rollback, diff.
import { KINDS } from '../../api/types.js';
import { isStoreError, type CommitMeta } from '../store/index.js';
import type { ApiDeps } from './deps.js';
import { applyText, deleteKeys, keysToDelete } from './apply.js';
import { HttpError, ok, optionalBoolean, optionalString, parseRevision, readJsonObject } from './io.js';
import type { RequestContext, Router } from './router.js';
import { diffReply, resourcesReply, secretsRequested } from './secret-routes.js';
import { registeredServices } from './registered-services.js';

/**
 * Author: the authenticated identity; a name the client states (body `author`, else x-trellis-author) is only a
 * note beside it — `admin (alice)` — since anyone holding the shared admin token can claim any name.
 */
export function commitMeta(ctx: RequestContext, body: Record<string, unknown>, fallbackMessage: string): CommitMeta {
  const header = ctx.req.headers['x-trellis-author'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const claimed = (optionalString(body, 'author') ?? fromHeader ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 64);
  const identity = ctx.identity?.name ?? 'unknown';
  const author = claimed === '' || claimed === identity ? identity : `${identity} (${claimed})`;
  return { author, message: optionalString(body, 'message') ?? fallbackMessage };
}

/** Kinds are matched case-insensitively (`virtualservice` = VirtualService); unknown kinds are passed through. */
export function canonicalKind(kind: string): string {
  return KINDS.find((k) => k.toLowerCase() === kind.toLowerCase()) ?? kind;
}

function storeErrorToHttp(e: unknown): never {
  if (isStoreError(e, 'BAD_REVISION')) throw new HttpError(400, e.message);
  if (isStoreError(e, 'INVALID')) throw new HttpError(400, 'invalid', e.errors);
  if (isStoreError(e, 'CONFLICT')) throw new HttpError(409, e.message);
  if (isStoreError(e, 'UNAVAILABLE')) throw new HttpError(503, e.message);
  throw e;
}

export function addConfigRoutes(router: Router, deps: ApiDeps): void {
  const { store } = deps;

  // secret values only with ?showSecrets=true and the admin credential
  const reveal = (ctx: RequestContext): boolean => secretsRequested(ctx, deps.auth.adminToken);

  router.add('GET', '/api/v1/resources', async (ctx) => {
    const { query } = ctx;
    const shown = reveal(ctx);
    const kind = query.get('kind');
    const namespace = query.get('namespace');
    const wanted = kind !== null && kind !== '' ? canonicalKind(kind) : undefined;
    const ns = namespace !== null && namespace !== '' ? namespace : undefined;
    const list = await store.list({ ...(wanted !== undefined ? { kind: wanted } : {}), ...(ns !== undefined ? { namespace: ns } : {}) });
    // services declared only by registered workloads are listed too (read-only; they vanish with their workloads)
    const registered = wanted === undefined || wanted === 'Service' ? registeredServices(deps.snapshot(), await store.list({ kind: 'Service' }), ns) : [];
    return resourcesReply([...list, ...registered], shown);
  });

  router.add('GET', '/api/v1/resources/:kind/:namespace/:name', async (ctx) => {
    const { params } = ctx;
    const shown = reveal(ctx);
    const key = `${canonicalKind(params.kind!)}/${params.namespace}/${params.name}`;
    const r = (await store.get(key)) ?? (params.kind !== undefined && canonicalKind(params.kind) === 'Service' ? registeredServices(deps.snapshot(), [], params.namespace).find((x) => x.metadata.name === params.name) : undefined);
    if (r === undefined) throw new HttpError(404, `${key} not found`);
    return resourcesReply(r, shown);
  });

  router.add('POST', '/api/v1/apply', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const text = optionalString(body, 'text');
    if (text === undefined) throw new HttpError(400, '"text" (the YAML or JSON documents) is required');
    const dryRun = optionalBoolean(body, 'dryRun') ?? false;
    return ok(await applyText(store, text, commitMeta(ctx, body, 'apply'), dryRun));
  });

  router.add('POST', '/api/v1/delete', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const rawKeys = body.keys;
    if (rawKeys !== undefined && !Array.isArray(rawKeys)) throw new HttpError(400, '"keys" must be an array of "Kind/namespace/name" strings');
    const keys = keysToDelete(rawKeys as unknown[] | undefined, optionalString(body, 'text'));
    return ok(await deleteKeys(store, keys, commitMeta(ctx, body, `delete ${keys.join(', ')}`)));
  });

  router.add('GET', '/api/v1/revisions', async ({ query }) => {
    const limit = parseRevision(query.get('limit') ?? undefined, 'limit', false);
    return ok(await store.history(limit !== undefined && limit > 0 ? { limit } : {}));
  });

  router.add('POST', '/api/v1/rollback', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const to = parseRevision(body.to, 'to', true)!;
    const current = await store.revision();
    if (to > current) throw new HttpError(400, `revision ${to} does not exist (the latest is ${current})`);
    try {
      return ok({ revision: await store.rollback(to, commitMeta(ctx, body, `rollback to ${to}`)) });
    } catch (e) {
      return storeErrorToHttp(e);
    }
  });

  router.add('GET', '/api/v1/diff', async (ctx) => {
    const { query } = ctx;
    const shown = reveal(ctx);
    const from = parseRevision(query.get('from') ?? undefined, 'from', true)!;
    const to = parseRevision(query.get('to') ?? undefined, 'to', false) ?? (await store.revision());
    try {
      return diffReply(await store.diff(from, to), shown);
    } catch (e) {
      return storeErrorToHttp(e);
    }
  });
}
