// Upstream clusters: DNS for STRICT_DNS / LOGICAL_DNS — lookups by dns_lookup_family and periodic re-resolution.
import dns from 'node:dns';
import net from 'node:net';
import type { Cluster } from '../config/types.js';

export type LookupFamily = Cluster['dns_lookup_family'];

/** Resolves a name to its addresses in resolver order; rejects on failure. Injectable for tests. */
export type DnsLookup = (hostname: string, family: LookupFamily) => Promise<string[]>;

/** dns.promises.lookup(all) filtered the way Envoy's dns_lookup_family asks. */
export const systemLookup: DnsLookup = async (hostname, family) => {
  const hint = family === 'V4_ONLY' ? 4 : family === 'V6_ONLY' ? 6 : 0;
  const answers = await dns.promises.lookup(hostname, { all: true, family: hint, verbatim: true });
  return pickFamily(
    answers.map((a) => ({ address: a.address, family: a.family })),
    family,
  );
};

/** AUTO prefers v6 then falls back to v4; V4_PREFERRED the reverse; ALL keeps both. */
export function pickFamily(answers: readonly { address: string; family: number }[], family: LookupFamily): string[] {
  const v4 = answers.filter((a) => a.family === 4).map((a) => a.address);
  const v6 = answers.filter((a) => a.family === 6).map((a) => a.address);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
    case 'ALL':
      return answers.map((a) => a.address);
    default:
      return v6.length > 0 ? v6 : v4;
  }
}

/**
 * Resolves a set of names now and every `refreshMs` after each round completes; reports the answer
 * map when it differs from the last one. A failed lookup keeps that name's previous addresses.
 */
export class DnsRefresher {
  private answers = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private generation = 0;
  private firstRound: Promise<void>;

  constructor(
    private names: readonly string[],
    private readonly family: LookupFamily,
    private readonly refreshMs: number,
    private readonly lookup: DnsLookup,
    private readonly onAnswer: (answers: ReadonlyMap<string, readonly string[]>) => void,
  ) {
    this.firstRound = this.round();
  }

  /** Resolves once the first round finished (success or not). */
  ready(): Promise<void> {
    return this.firstRound;
  }

  /** New target names (e.g. a new load assignment): resolve again right away. */
  setNames(names: readonly string[]): Promise<void> {
    this.names = names;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.round();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async round(): Promise<void> {
    const gen = ++this.generation;
    const names = [...new Set(this.names)];
    const results = await Promise.all(
      names.map(async (n): Promise<[string, string[] | undefined]> => {
        // IP literals need no lookup (and must not fail when the family filter disagrees).
        if (net.isIP(n)) return [n, [n]];
        try {
          return [n, await this.lookup(n, this.family)];
        } catch {
          return [n, undefined];
        }
      }),
    );
    if (this.closed || gen !== this.generation) return;
    const next = new Map<string, string[]>();
    for (const [n, addrs] of results) next.set(n, addrs ?? this.answers.get(n) ?? []);
    const changed = !sameAnswers(this.answers, next);
    this.answers = next;
    if (changed) this.onAnswer(next);
    this.timer = setTimeout(() => void this.round(), Math.max(1, this.refreshMs));
  }
}

function sameAnswers(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) {
    const o = a.get(k);
    if (!o || o.length !== v.length || o.some((x, i) => x !== v[i])) return false;
  }
  return true;
}
