// Serving: incremental (Delta) ADS — subscribe/unsubscribe, per-resource versions, removals, ACK/NACK on one stream.
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaResource } from '../../xds/ads-service.js';
import { shortName, WILDCARD_TYPES } from '../../xds/type-urls.js';
import { Watch, type Connection, type ServingContext } from './connection.js';
import { nextNonce, setVersion } from './resources.js';

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
    for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) w.clientVersions.set(name, version);
    answer = true;
  }
  if (subs.length > 0 || unsubs.length > 0) w.sortedNames = undefined;
  for (const n of subs) {
    if (n === '*') {
      answer ||= !w.wildcard;
      w.wildcard = true;
    } else if (!w.names.has(n)) {
      w.names.add(n);
      answer = true;
    }
  }
  for (const n of unsubs) {
    if (n === '*') w.wildcard = false;
    else w.names.delete(n);
    // the client drops it; forget its version so a later subscribe sends it again
    if (n !== '*') w.clientVersions.delete(n);
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

/**
 * Sends what changed for `w` since what the client holds: resources whose version differs, and the names
 * it holds that no longer exist. Nothing to say = nothing sent (unless `force`: the answer to a request).
 * `asked` = names just subscribed: one that does not exist is reported in removed_resources so the client
 * need not wait out a timeout. Returns false when the stream's buffer is full.
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
  const current = new Set<string>();
  const resources: DeltaResource[] = [];
  for (const b of built) {
    current.add(b.name);
    if (w.clientVersions.get(b.name) === b.version) continue;
    resources.push({ name: b.name, version: b.version, resource: b.any });
    w.clientVersions.set(b.name, b.version);
  }
  const removed: string[] = [];
  for (const name of [...w.clientVersions.keys()]) {
    if (current.has(name)) continue;
    removed.push(name);
    w.clientVersions.delete(name);
  }
  for (const name of asked) if (name !== '*' && !current.has(name) && !removed.includes(name)) removed.push(name);
  if (!force && resources.length === 0 && removed.length === 0) return true;
  const nonce = nextNonce();
  const version = setVersion(built);
  const res: DeltaDiscoveryResponse = {
    system_version_info: version,
    resources,
    type_url: w.typeUrl,
    removed_resources: removed.sort(),
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
