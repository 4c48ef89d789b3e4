// HTTP API: `GET /api/v1/tap` — admin only; starts a tap on the target's proxies and streams their events as NDJSON until the client goes away.
import type { ServerResponse } from 'node:http';
import { requireAdmin } from '../auth/credential.js';
import { DEFAULT_TAP_RPS, MAX_TAP_RPS, type TapMatch } from '../../tap/protocol.js';
import { TooManyTaps, type TapHub } from '../tap/tap-hub.js';
import type { ApiDeps } from './deps.js';
import { openPeerTaps, type PeerTaps } from '../tap/peer-taps.js';
import { HttpError, type Reply } from './io.js';
import type { Router } from './router.js';

/** Linkerd-like: a line every 10 s so clients and intermediaries see a live stream. */
export const TAP_HEARTBEAT_MS = 10_000;
/** Bytes waiting for a slow API client beyond which further events are dropped. */
export const TAP_CLIENT_BUFFER_BYTES = 1024 * 1024;

function parseTapQuery(q: URLSearchParams): { target: string; namespace: string; match: TapMatch; maxRps: number } {
  const target = q.get('target') ?? '';
  if (target === '') throw new HttpError(400, '"target" (a service or workload name) is required');
  const match: TapMatch = {};
  const path = q.get('path');
  if (path !== null && path !== '') {
    if (!path.startsWith('/')) throw new HttpError(400, `"path" must start with "/", got ${JSON.stringify(path)}`);
    match.pathPrefix = path;
  }
  const method = q.get('method');
  if (method !== null && method !== '') {
    if (!/^[A-Za-z]+$/.test(method)) throw new HttpError(400, `"method" must be an HTTP method, got ${JSON.stringify(method)}`);
    match.method = method.toUpperCase();
  }
  const authority = q.get('authority');
  if (authority !== null && authority !== '') match.authority = authority;
  const raw = q.get('max_rps');
  let maxRps = DEFAULT_TAP_RPS;
  if (raw !== null && raw !== '') {
    maxRps = Number(raw);
    if (!Number.isInteger(maxRps) || maxRps < 1 || maxRps > MAX_TAP_RPS) throw new HttpError(400, `"max_rps" must be an integer from 1 to ${MAX_TAP_RPS}, got ${JSON.stringify(raw)}`);
  }
  return { target, namespace: q.get('namespace') || 'default', match, maxRps };
}

/**
 * Writes events as they come — this replica's proxies' and, with replicas, those relayed from the peers' taps; stops
 * the tap (and so every proxy's session) when the response closes.
 */
export function streamTap(hub: TapHub, req: ReturnType<typeof parseTapQuery>, res: ServerResponse, heartbeatMs = TAP_HEARTBEAT_MS, peers?: PeerTaps): void {
  if (res.destroyed) return void peers?.stop(); // the client left while the peers were being asked
  let tap: ReturnType<TapHub['start']>;
  // a client that does not read cannot make us buffer without bound: past the limit its events are dropped
  const write = (line: string): void => void (res.writableLength < TAP_CLIENT_BUFFER_BYTES && res.write(`${line}\n`));
  try {
    tap = hub.start(req, { onEvent: (e) => write(JSON.stringify(e)) });
  } catch (e) {
    peers?.stop();
    const status = e instanceof TooManyTaps ? 429 : 500;
    const body = JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const missing = (peers?.unreachable ?? []).map((u) => `${u.replica} (${u.error})`).join('; ');
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'x-trellis-tap-proxies': String(tap.proxies + (peers?.proxies ?? 0)),
    ...(missing !== '' ? { 'x-trellis-tap-unreachable': missing.replace(/[^\x20-\x7e]/g, '?') } : {}),
  });
  res.flushHeaders();
  peers?.start(write);
  const beat = setInterval(() => res.write('{}\n'), heartbeatMs);
  res.on('close', () => {
    clearInterval(beat);
    tap.stop();
    peers?.stop();
  });
}

export function addTapRoutes(router: Router, deps: ApiDeps): void {
  router.add('GET', '/api/v1/tap', async (ctx): Promise<Reply> => {
    requireAdmin(ctx.req, deps.auth.adminToken);
    const hub = deps.tap;
    if (hub === undefined) throw new HttpError(503, 'tap is not available on this control plane');
    const req = parseTapQuery(ctx.query);
    // replicas: the target's proxies may be connected to any of them; `scope=local` is what one replica asks another
    const r = deps.replicas;
    let peers: PeerTaps | undefined;
    if (r !== undefined && ctx.query.get('scope') !== 'local') {
      const list = await r.peers().catch(() => []);
      if (list.length > 0) {
        const q = new URLSearchParams(ctx.query);
        q.set('scope', 'local');
        peers = await openPeerTaps(list, `/api/v1/tap?${q.toString()}`, r.token);
      }
    }
    return { status: 200, stream: (res) => streamTap(hub, req, res, TAP_HEARTBEAT_MS, peers) };
  });
}
