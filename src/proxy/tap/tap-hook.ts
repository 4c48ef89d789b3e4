// Proxy tap: the per-request hook the connection manager calls at stream end — one boolean check when nobody taps.
import type { AccessLogEntry } from '../telemetry/access-log.js';
import type { DownstreamConnectionInfo } from '../http/types.js';
import type { PeerInfo } from '../telemetry/peer-info.js';
import { TapSessions } from './tap-sessions.js';
import { buildTapEvent, stripQuery, type TapSelf } from './tap-event.js';

/** This process's sessions (one tap client per proxy process feeds and drains them). */
export const tapSessions = new TapSessions();
export const tapSelf: TapSelf = { proxy: '', service: '', workload: '', namespace: '', principal: 'unknown' };

/** Called with a lazily built access-log entry; does nothing unless a session is running. */
export function tapRequest(conn: DownstreamConnectionInfo, entry: () => AccessLogEntry, peer?: PeerInfo): void {
  if (!tapSessions.active) return;
  const e = entry();
  tapSessions.offer({ method: e.method, authority: e.authority, path: stripQuery(e.path) }, () => buildTapEvent(tapSelf, conn, e, peer));
}
