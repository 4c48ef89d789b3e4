// Control-plane cluster: asks the other replicas' HTTP APIs for their part of a mesh-wide answer (metrics are scraped
// by the replica each proxy is connected to). Authenticated with this replica's admin token, which every replica
// accepts; each answer is bounded in time and size and checked by the caller's parser.
import { readBodyBounded } from '../../common/bounded-body.js';
import type { ReplicaInfo } from './replica-directory.js';

export interface PeerAnswers<T> {
  /** The replicas that answered, and what each said. */
  answers: Array<{ replica: string; body: T }>;
  unreachable: Array<{ replica: string; error: string }>;
}

export interface AskOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

async function askOne<T>(peer: ReplicaInfo, path: string, token: string, parse: (v: unknown) => T | string, o: Required<AskOptions>): Promise<T> {
  const res = await fetch(new URL(path, peer.api), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(o.timeoutMs) });
  const text = await readBodyBounded(res, o.maxBytes);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  const parsed = parse(JSON.parse(text));
  if (typeof parsed === 'string') throw new Error(`unusable answer: ${parsed}`);
  return parsed;
}

/** fetch hides why a connection failed in `cause` (ECONNREFUSED, a timeout): keep it. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
}

/** GET `path` from every peer at once; a peer that fails, is slow or answers nonsense is reported, never fatal. */
export async function askPeers<T>(peers: readonly ReplicaInfo[], path: string, token: string, parse: (v: unknown) => T | string, opts: AskOptions = {}): Promise<PeerAnswers<T>> {
  const o = { timeoutMs: opts.timeoutMs ?? 3000, maxBytes: opts.maxBytes ?? 64 * 2 ** 20 };
  const settled = await Promise.allSettled(peers.map((p) => askOne(p, path, token, parse, o)));
  const out: PeerAnswers<T> = { answers: [], unreachable: [] };
  settled.forEach((r, i) => {
    const replica = peers[i]!.id;
    if (r.status === 'fulfilled') out.answers.push({ replica, body: r.value });
    else out.unreachable.push({ replica, error: describe(r.reason) });
  });
  return out;
}
