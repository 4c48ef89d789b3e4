// Serving: incremental (Delta) ADS — subscribe/unsubscribe, per-resource versions, removals, ACK/NACK on one stream.
import type { DeltaDiscoveryRequest } from '../../xds/ads-service.js';
import type { Any } from '../../xds/codec.js';
import { framedDelta } from './framed-response.js';
import { shortName, WILDCARD_TYPES } from '../../xds/type-urls.js';
import { Watch, type Connection, type ServingContext } from './connection.js';
import { setVersion, sharedEncoding, type BuiltResource, type SharedEncoding } from './resources.js';

/** What a new stream holds when it sends no initial_resource_versions. */
const NOTHING: readonly BuiltResource[] = [];

/**
 * Handles one DeltaDiscoveryRequest. Subscription changes always apply (they are deltas, whatever the
 * nonce); the nonce, when it is the latest one sent, makes the request an ACK or (with error_detail) a NACK.
 * The first request of a type, and any request that subscribes to something new, is answered with what
 * the client lacks; initial_resource_versions (sent on reconnect) say what it already holds.
 */
export function onDeltaRequest(ctx: ServingContext, conn: Connection, req: DeltaDiscoveryRequest): void {
  const typeUrl = req.type_url ?? '';
  if (typeUrl === '') return;
  const subs = req.resource_names_subscribe ?? [];
  const unsubs = req.resource_names_unsubscribe ?? [];
  let w = conn.watches.get(typeUrl);
  let answer = false;
  if (w === undefined) {
    w = new Watch(typeUrl);
    conn.watches.set(typeUrl, w);
    // legacy wildcard: a first request naming nothing, for LDS/CDS
    w.wildcard = subs.length === 0 && WILDCARD_TYPES.has(typeUrl);
    const initial = Object.entries(req.initial_resource_versions ?? {});
    if (initial.length === 0) w.heldList = NOTHING; // holds nothing: the first answer is shared by every stream of the shape
    else for (const [name, version] of initial) w.clientVersionMap().set(name, version);
    answer = true;
  }
  for (const n of subs) {
    if (n === '*') {
      answer ||= !w.wildcard;
      w.wildcard = true;
    } else answer ||= !w.subscription.has(n);
  }
  if (unsubs.includes('*')) w.wildcard = false;
  const dropped = unsubs.filter((n) => n !== '*');
  if (subs.length > 0 || dropped.length > 0) w.subscription = w.subscription.with(subs.filter((n) => n !== '*'), dropped);
  if (dropped.length > 0) {
    // the client drops it (a namespace: everything in it); forget versions so a later subscribe sends again
    const held = w.clientVersionMap();
    for (const n of dropped) {
      held.delete(n);
      if (w.namespaced) for (const name of [...held.keys()]) if (name.startsWith(`${n}/`)) held.delete(name);
    }
  }

  const nonce = req.response_nonce ?? '';
  if (nonce !== '' && nonce === w.sentNonce) {
    if (req.error_detail !== undefined && req.error_detail !== null) {
      w.nackedNonce = nonce;
      w.nackedVersion = w.sentVersion;
      w.nackError = req.error_detail.message ?? `code ${req.error_detail.code ?? 0}`;
      ctx.metrics.rejected(shortName(typeUrl));
      conn.nacked(typeUrl);
      ctx.log(`xds: ${conn.proxy?.connId ?? '?'} NACKed ${shortName(typeUrl)} ${w.sentVersion ?? ''}: ${w.nackError}`);
    } else {
      w.ackedNonce = nonce;
      w.ackedVersion = w.sentVersion;
      conn.acked(ctx, typeUrl);
    }
  }
  if (answer) sendDelta(ctx, conn, w, undefined, true, new Set(subs));
}

/** What a response carries: changed resources and removed names. */
interface DeltaBody {
  resources: { name: string; version: string; resource: Any }[];
  removed: string[];
}

/**
 * Diffs by the content version of the held list: streams that connected at different snapshots hold different list
 * objects with equal content, and still share one diff (and one encoding) per push. Bounded: old versions age out.
 */
const listDiffs = new Map<string, WeakMap<readonly BuiltResource[], DeltaBody>>();

/** `next` against `prev` (both whole lists): computed once per (content of prev, next), shared by every stream that held it. */
function listDiff(prev: readonly BuiltResource[], next: readonly BuiltResource[]): DeltaBody {
  const key = prev.length === 0 ? '' : setVersion(prev);
  let byNext = listDiffs.get(key);
  if (byNext === undefined) {
    if (listDiffs.size >= 1000) listDiffs.clear();
    listDiffs.set(key, (byNext = new WeakMap()));
  }
  let d = byNext.get(next);
  if (d === undefined) {
    d = mapDiff(new Map(prev.map((r) => [r.name, r.version])), next);
    byNext.set(next, d);
  }
  return d;
}

/** `next` against a stream's own name -> version map (after subscription changes or initial_resource_versions). */
function mapDiff(held: ReadonlyMap<string, string>, next: readonly BuiltResource[]): DeltaBody {
  const current = new Set<string>();
  const resources: DeltaBody['resources'] = [];
  for (const b of next) {
    current.add(b.name);
    if (held.get(b.name) !== b.version) resources.push({ name: b.name, version: b.version, resource: b.any });
  }
  const removed: string[] = [];
  for (const name of held.keys()) if (!current.has(name)) removed.push(name);
  return { resources, removed: removed.sort() };
}

/** Encoded responses by body, shared by every stream that gets it (see sharedEncoding). */
const encoded = new WeakMap<DeltaBody, SharedEncoding>();

function encodedDelta(body: DeltaBody, version: string, typeUrl: string, identifier: string, lastNonce: string | undefined): SharedEncoding {
  return sharedEncoding(encoded, body, `${typeUrl}\n${version}\n${identifier}`, lastNonce, (nonce) =>
    framedDelta({ system_version_info: version, resources: body.resources, type_url: typeUrl, removed_resources: body.removed, nonce, identifier }),
  );
}

const EMPTY: DeltaBody = { resources: [], removed: [] };

const nameSets = new WeakMap<readonly BuiltResource[], Set<string>>();

/** Subscribed names that exist nowhere in `built` (and are not already reported removed); the name set is shared per list. */
function missingNames(asked: ReadonlySet<string>, built: readonly BuiltResource[], removed: readonly string[]): string[] {
  let names = nameSets.get(built);
  if (names === undefined) nameSets.set(built, (names = new Set(built.map((b) => b.name))));
  const out: string[] = [];
  for (const n of asked) if (n !== '*' && !names.has(n) && !removed.includes(n)) out.push(n);
  return out;
}

/**
 * Sends what changed for `w` since what the client holds: resources whose version differs, and the names
 * it holds that no longer exist. Nothing to say = nothing sent (unless `force`: the answer to a request).
 * `asked` = names just subscribed: one that does not exist is reported in removed_resources so the client
 * need not wait out a timeout. A stream that holds exactly the previous list of its shape shares the diff and
 * the encoded response with every other such stream, so a push costs O(changed resources), not O(held), per
 * stream. Returns false when the stream's buffer is full.
 */
export function sendDelta(
  ctx: ServingContext,
  conn: Connection,
  w: Watch,
  trigger: number | undefined,
  force: boolean,
  asked: ReadonlySet<string> = new Set(),
): boolean {
  const t0 = performance.now();
  const built = conn.generate(ctx, w);
  if (built === undefined) return true;
  let body: DeltaBody;
  if (w.heldList === built) body = EMPTY;
  else if (w.heldList !== undefined) body = listDiff(w.heldList, built);
  else body = mapDiff(w.clientVersionMap(), built);
  // a namespace name (VHDS) is not a resource: an empty namespace is no removal
  const missing = w.namespaced || asked.size === 0 ? [] : missingNames(asked, built, body.removed);
  if (missing.length > 0) body = { resources: body.resources, removed: [...body.removed, ...missing].sort() };
  w.heldList = built;
  w.lastBuilt = built;
  if (!force && body.resources.length === 0 && body.removed.length === 0) return true;
  const version = setVersion(built);
  const { nonce, framed } = encodedDelta(body, version, w.typeUrl, ctx.identifier, w.sentNonce);
  w.sentVersion = version;
  w.sentNonce = nonce;
  w.resources = built.length;
  conn.sentForPush(trigger, w.typeUrl);
  const ok = conn.write(framed);
  const type = shortName(w.typeUrl);
  ctx.metrics.pushed(type);
  ctx.metrics.pushTime(type, (performance.now() - t0) / 1000);
  return ok;
}
