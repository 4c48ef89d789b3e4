// Serving: State-of-the-World ADS — requests (subscribe / ACK / NACK) and pushes on one stream.
import type { DiscoveryRequest } from '../../xds/ads-service.js';
import { framedSotw } from './framed-response.js';
import { shortName, WILDCARD_TYPES } from '../../xds/type-urls.js';
import { Watch, type Connection, type ServingContext } from './connection.js';
import type { Any } from '../../xds/codec.js';
import { Subscription } from './subscription.js';
import { setVersion, sharedEncoding, type BuiltResource, type SharedEncoding } from './resources.js';

function sameNames(w: Watch, names: readonly string[], wildcard: boolean): boolean {
  if (w.wildcard !== wildcard) return false;
  if (wildcard) return true;
  // fast path: a proxy ACKing repeats the list it last sent (Envoy: same names, same order)
  const last = w.requestedNames;
  if (last !== undefined && last.length === names.length) {
    let same = true;
    for (let i = 0; i < names.length; i++) {
      if (last[i] !== names[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  const set = new Set(names);
  if (set.size !== w.subscription.size) return false;
  for (const n of set) if (!w.subscription.has(n)) return false;
  w.requestedNames = names;
  return true;
}

function subscribe(w: Watch, names: readonly string[], wildcard: boolean): void {
  w.wildcard = wildcard;
  w.subscription = wildcard ? Subscription.NONE : Subscription.of(names);
  w.requestedNames = wildcard ? undefined : names;
}

/**
 * Handles one DiscoveryRequest. Per the xDS spec: an empty nonce is a (re)subscription and is answered;
 * a nonce other than the latest one sent is stale and ignored; the latest nonce with error_detail is a NACK
 * (recorded; the proxy keeps its previous version, so nothing is resent); otherwise an ACK, answered only
 * when the subscribed names changed (Envoy asking for the EDS/RDS names a new CDS/LDS refers to).
 */
export function onSotwRequest(ctx: ServingContext, conn: Connection, req: DiscoveryRequest): void {
  const typeUrl = req.type_url ?? '';
  if (typeUrl === '') return;
  const names = req.resource_names ?? [];
  const wildcard = names.includes('*') || (names.length === 0 && WILDCARD_TYPES.has(typeUrl));
  const nonce = req.response_nonce ?? '';
  let w = conn.watches.get(typeUrl);
  if (w === undefined) {
    // first request for the type on this stream (a reconnecting client may still carry an old nonce)
    w = new Watch(typeUrl);
    conn.watches.set(typeUrl, w);
    subscribe(w, names, wildcard);
    sendSotw(ctx, conn, w, undefined, true);
    return;
  }
  if (nonce === '') {
    subscribe(w, names, wildcard);
    sendSotw(ctx, conn, w, undefined, true);
    return;
  }
  if (nonce !== w.sentNonce) return; // stale: a newer response is on its way
  if (req.error_detail !== undefined && req.error_detail !== null) {
    w.nackedNonce = nonce;
    w.nackedVersion = w.sentVersion;
    w.nackError = req.error_detail.message ?? `code ${req.error_detail.code ?? 0}`;
    // the proxy kept its previous resources, not these: the next response is a full one
    w.sentBuilt = undefined;
    ctx.metrics.rejected(shortName(typeUrl));
    conn.nacked(typeUrl);
    ctx.log(`xds: ${conn.proxy?.connId ?? '?'} NACKed ${shortName(typeUrl)} ${w.sentVersion ?? ''}: ${w.nackError}`);
    subscribe(w, names, wildcard);
    return;
  }
  w.ackedNonce = nonce;
  w.ackedVersion = req.version_info ?? w.sentVersion;
  conn.acked(ctx, typeUrl);
  if (!sameNames(w, names, wildcard)) {
    subscribe(w, names, wildcard);
    sendSotw(ctx, conn, w, undefined, true);
  }
}

const anys = new WeakMap<readonly BuiltResource[], Any[]>();
/** Encoded responses by resource list (see sharedEncoding). */
const encoded = new WeakMap<Any[], SharedEncoding>();

function encodedResponse(resources: Any[], version: string, typeUrl: string, identifier: string, lastNonce: string | undefined): SharedEncoding {
  return sharedEncoding(encoded, resources, `${typeUrl}\n${version}\n${identifier}`, lastNonce, (nonce) =>
    framedSotw({ version_info: version, resources, type_url: typeUrl, nonce, identifier }),
  );
}

const versionMaps = new WeakMap<readonly BuiltResource[], Map<string, string>>();
const diffs = new WeakMap<readonly BuiltResource[], WeakMap<readonly BuiltResource[], Any[]>>();

function allAnys(built: readonly BuiltResource[]): Any[] {
  let a = anys.get(built);
  if (a === undefined) anys.set(built, (a = built.map((b) => b.any)));
  return a;
}

/** The resources of `next` whose version differs from (or is absent in) `prev`; computed once per pair of lists. */
function changedAnys(prev: readonly BuiltResource[], next: readonly BuiltResource[]): Any[] {
  let byNext = diffs.get(prev);
  if (byNext === undefined) diffs.set(prev, (byNext = new WeakMap()));
  let out = byNext.get(next);
  if (out === undefined) {
    let versions = versionMaps.get(prev);
    if (versions === undefined) versionMaps.set(prev, (versions = new Map(prev.map((b) => [b.name, b.version]))));
    out = [];
    for (const b of next) if (versions.get(b.name) !== b.version) out.push(b.any);
    byNext.set(next, out);
  }
  return out;
}

/**
 * Sends the state of `w`'s type. A push (`force` false) whose version equals the last one sent is
 * skipped: versions are content hashes, so equal means the proxy already has (or rejected) exactly this.
 * Listener and Cluster responses always carry every resource (the xDS spec requires it for those types);
 * for the other types (EDS, RDS) a push carries only the resources that changed since the last response
 * the proxy did not reject, as the spec allows and Istio's incremental EDS does: the proxy keeps the
 * subscribed resources a response does not name. Subscription changes and responses after a NACK are full.
 * Returns false when the stream's buffer is full.
 */
export function sendSotw(ctx: ServingContext, conn: Connection, w: Watch, trigger: number | undefined, force: boolean): boolean {
  const t0 = performance.now();
  const built = conn.generate(ctx, w);
  if (built === undefined) return true;
  const version = setVersion(built);
  if (!force && version === w.sentVersion) return true;
  const partial = !force && w.sentBuilt !== undefined && !WILDCARD_TYPES.has(w.typeUrl);
  const { nonce, framed } = encodedResponse(partial ? changedAnys(w.sentBuilt!, built) : allAnys(built), version, w.typeUrl, ctx.identifier, w.sentNonce);
  w.sentVersion = version;
  w.sentNonce = nonce;
  w.sentBuilt = built;
  w.lastBuilt = built;
  w.resources = built.length;
  conn.sentForPush(trigger, w.typeUrl);
  const ok = conn.write(framed);
  const type = shortName(w.typeUrl);
  ctx.metrics.pushed(type);
  ctx.metrics.pushTime(type, (performance.now() - t0) / 1000);
  return ok;
}
