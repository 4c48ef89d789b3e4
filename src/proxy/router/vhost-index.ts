// Router compile stage: the virtual-host lookup by :authority in Envoy's order (exact, *suffix, prefix*, then '*').

/** Wildcards of one length, so a lookup is one substring and one Map probe per distinct length. */
interface WildcardBucket<V> {
  readonly len: number;
  readonly map: Map<string, V>;
}

function buckets<V>(byLen: Map<number, Map<string, V>>): WildcardBucket<V>[] {
  // Longest wildcard first: the most specific one wins.
  return [...byLen.entries()].sort((a, b) => b[0] - a[0]).map(([len, map]) => ({ len, map }));
}

export class VirtualHostIndex<V> {
  private readonly exact = new Map<string, V>();
  private readonly suffixes: WildcardBucket<V>[];
  private readonly prefixes: WildcardBucket<V>[];
  private readonly any: V | undefined;

  /** `entries`: [domain, value]; domains are unique (the validator rejects duplicates, as Envoy does). */
  constructor(entries: Iterable<readonly [string, V]>) {
    const suf = new Map<number, Map<string, V>>();
    const pre = new Map<number, Map<string, V>>();
    let any: V | undefined;
    for (const [raw, v] of entries) {
      const d = raw.toLowerCase();
      if (d === '*') {
        if (any === undefined) any = v;
      } else if (d.startsWith('*')) {
        const key = d.slice(1);
        let m = suf.get(key.length);
        if (!m) suf.set(key.length, (m = new Map()));
        if (!m.has(key)) m.set(key, v);
      } else if (d.endsWith('*')) {
        const key = d.slice(0, -1);
        let m = pre.get(key.length);
        if (!m) pre.set(key.length, (m = new Map()));
        if (!m.has(key)) m.set(key, v);
      } else if (!this.exact.has(d)) {
        this.exact.set(d, v);
      }
    }
    this.suffixes = buckets(suf);
    this.prefixes = buckets(pre);
    this.any = any;
  }

  find(authority: string): V | undefined {
    // toLowerCase returns the same string when nothing changes, so the common case does not allocate.
    const host = authority.toLowerCase();
    const e = this.exact.get(host);
    if (e !== undefined) return e;
    const n = host.length;
    // The wildcard must stand for at least one character, hence len < n.
    for (let i = 0; i < this.suffixes.length; i++) {
      const b = this.suffixes[i]!;
      if (b.len >= n) continue;
      const v = b.map.get(host.slice(n - b.len));
      if (v !== undefined) return v;
    }
    for (let i = 0; i < this.prefixes.length; i++) {
      const b = this.prefixes[i]!;
      if (b.len >= n) continue;
      const v = b.map.get(host.slice(0, b.len));
      if (v !== undefined) return v;
    }
    return this.any;
  }
}
