// Serving: State-of-the-World ADS — requests (subscribe / ACK / NACK) and pushes on one stream.
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { shortName, WILDCARD_TYPES } from '../../xds/type-urls.js';
import { Watch, type Connection, type ServingContext } from './connection.js';
import { nextNonce, setVersion } from './resources.js';

function sameNames(w: Watch, names: readonly string[], wildcard: boolean): boolean {
  if (w.wildcard !== wildcard) return false;
  if (wildcard) return true;
  const set = new Set(names);
  if (set.size !== w.names.size) return false;
  for (const n of set) if (!w.names.has(n)) return false;
  return true;
}

function subscribe(w: Watch, names: readonly string[], wildcard: boolean): void {
  w.wildcard = wildcard;
  w.names = new Set(wildcard ? [] : names);
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

/**
 * Sends the full state of `w`'s type. A push (`force` false) whose version equals the last one sent is
 * skipped: versions are content hashes, so equal means the proxy already has (or rejected) exactly this.
 * Returns false when the stream's buffer is full.
 */
export function sendSotw(ctx: ServingContext, conn: Connection, w: Watch, trigger: number | undefined, force: boolean): boolean {
  const t0 = performance.now();
  const built = conn.generate(ctx, w);
  if (built === undefined) return true;
  const version = setVersion(built);
  if (!force && version === w.sentVersion) return true;
  const nonce = nextNonce();
  const res: DiscoveryResponse = {
    version_info: version,
    resources: built.map((b) => b.any),
    type_url: w.typeUrl,
    nonce,
    control_plane: { identifier: ctx.identifier },
  };
  w.sentVersion = version;
  w.sentNonce = nonce;
  w.resources = built.length;
  conn.sentForPush(trigger, w.typeUrl);
  const ok = conn.write(res);
  const type = shortName(w.typeUrl);
  ctx.metrics.pushed(type);
  ctx.metrics.pushTime(type, (performance.now() - t0) / 1000);
  return ok;
}
