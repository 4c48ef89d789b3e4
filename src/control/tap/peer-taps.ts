// Control-plane tap across replicas: a proxy's tap session runs on the replica its stream is connected to, so the
// replica serving `GET /api/v1/tap` also opens the same tap (scope=local) on every peer and relays their events.
import type { ReplicaInfo } from '../cluster/replica-directory.js';

/** A line longer than this from a peer is dropped (events are small; a runaway peer must not grow our memory). */
const MAX_LINE_BYTES = 256 * 1024;

export interface PeerTaps {
  /** Proxies tapped on the peers that answered. */
  proxies: number;
  unreachable: Array<{ replica: string; error: string }>;
  /** Relays each event line (JSON text, heartbeats left out) until stop(). */
  start(onLine: (line: string) => void): void;
  stop(): void;
}

/** Opens `path` on every peer; resolves once each answered with headers, failed, or `timeoutMs` passed. */
export async function openPeerTaps(peers: readonly ReplicaInfo[], path: string, token: string, timeoutMs = 3000): Promise<PeerTaps> {
  // one controller per peer: the timeout covers the answer's headers only, stop() ends the streams
  const controllers = peers.map(() => new AbortController());
  const opened = await Promise.allSettled(
    peers.map(async (p, i) => {
      const timer = setTimeout(() => controllers[i]!.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      try {
        const res = await fetch(new URL(path, p.api), { headers: { authorization: `Bearer ${token}` }, signal: controllers[i]!.signal });
        if (res.status !== 200 || res.body === null) throw new Error(`HTTP ${res.status}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
        return res;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const streams: Response[] = [];
  const unreachable: PeerTaps['unreachable'] = [];
  let proxies = 0;
  opened.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      streams.push(r.value);
      proxies += Number(r.value.headers.get('x-trellis-tap-proxies') ?? 0) || 0;
    } else unreachable.push({ replica: peers[i]!.id, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return {
    proxies,
    unreachable,
    start(onLine) {
      for (const res of streams) void relay(res, onLine).catch(() => undefined); // a peer going away ends its part only
    },
    stop() {
      for (const c of controllers) c.abort();
    },
  };
}

async function relay(res: Response, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body! as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line !== '{}' && line.length <= MAX_LINE_BYTES && isJsonObject(line)) onLine(line);
    }
    if (pending.length > MAX_LINE_BYTES) pending = ''; // no newline in sight: drop what cannot be a valid event
  }
}

function isJsonObject(line: string): boolean {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
