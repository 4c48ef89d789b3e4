// Upstream LB: RING_HASH leaf — Ketama-style ring of "<host key>_<i>" hashes, entries proportional to weight.
import type { Host } from '../types.js';
import type { HashFn } from './hash-fn.js';
import type { Leaf, LeafFactory } from './leaf.js';
import type { Random, Slot } from './slot.js';

export interface RingHashConfig {
  minimum_ring_size: number; // default 1024
  maximum_ring_size: number; // default 8388608
}

export class RingLeaf implements Leaf {
  /** Sorted ascending; a plain bigint[] so comparisons in pick() allocate nothing. */
  readonly hashes: readonly bigint[];
  readonly owners: readonly Slot[];

  constructor(slots: readonly Slot[], weights: readonly number[], config: RingHashConfig, hash: HashFn, private readonly random: Random) {
    // Stable input order: the ring must not depend on the order hosts arrived in.
    const order = slots.map((_, i) => i).sort((a, b) => cmp(slots[a]!.host.key, slots[b]!.host.key));
    let total = 0;
    for (const w of weights) total += w;
    let minNorm = Infinity;
    for (const w of weights) minNorm = Math.min(minNorm, w / total);
    // Scale so the lightest host gets a whole number of entries and the ring is at least minimum size, capped at maximum.
    const minSize = Math.max(1, config.minimum_ring_size);
    const maxSize = Math.max(minSize, config.maximum_ring_size);
    const scale = Math.min(Math.ceil(minNorm * minSize) / minNorm, maxSize);
    const entries: { h: bigint; slot: Slot }[] = [];
    // Running sums distribute fractional entry counts without drift.
    let current = 0;
    let target = 0;
    for (const i of order) {
      target += (scale * weights[i]!) / total;
      const slot = slots[i]!;
      for (let n = 0; current < target; n++, current++) entries.push({ h: hash(`${slot.host.key}_${n}`), slot });
    }
    entries.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
    this.hashes = entries.map((e) => e.h);
    this.owners = entries.map((e) => e.slot);
  }

  pick(hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot {
    const n = this.hashes.length;
    let idx: number;
    if (hash === undefined) idx = Math.floor(this.random() * n);
    else {
      // first entry with position >= hash, wrapping past the end to the start
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.hashes[mid]! < hash) lo = mid + 1;
        else hi = mid;
      }
      idx = lo === n ? 0 : lo;
    }
    if (excluded !== undefined && excluded.size > 0) return walk(this.owners, idx, excluded);
    return this.owners[idx]!;
  }
}

/**
 * Clockwise from `idx`, the first entry whose host is not excluded: the host that would own the key if the
 * excluded ones were not on the ring. Falls back to the entry at `idx` when every host is excluded.
 */
export function walk(entries: readonly Slot[], idx: number, excluded: ReadonlySet<Host>): Slot {
  const n = entries.length;
  for (let step = 0; step < n; step++) {
    const s = entries[(idx + step) % n]!;
    if (!excluded.has(s.host)) return s;
  }
  return entries[idx]!;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function ringHash(config: RingHashConfig, hash: HashFn, random: Random): LeafFactory {
  return { hashBased: true, build: (slots, weights) => new RingLeaf(slots, weights, config, hash, random) };
}
