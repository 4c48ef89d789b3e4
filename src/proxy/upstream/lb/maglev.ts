// Upstream LB: MAGLEV leaf — the Maglev paper's lookup table (prime size), filled in turns paced by host weight.
import type { Host } from '../types.js';
import type { HashFn } from './hash-fn.js';
import type { Leaf, LeafFactory } from './leaf.js';
import { walk } from './ring-hash.js';
import type { Random, Slot } from './slot.js';

export interface MaglevConfig {
  table_size: number; // default 65537, prime
}

export class MaglevLeaf implements Leaf {
  readonly table: readonly Slot[];
  private readonly sizeBig: bigint;

  constructor(slots: readonly Slot[], weights: readonly number[], size: number, hash: HashFn, private readonly random: Random) {
    const m = size;
    this.sizeBig = BigInt(m);
    // Stable input order: ties during filling must not depend on the order hosts arrived in.
    const order = slots.map((_, i) => i).sort((a, b) => (slots[a]!.host.key < slots[b]!.host.key ? -1 : 1));
    const n = order.length;
    const offset = new Float64Array(n);
    const skip = new Float64Array(n);
    const weight = new Float64Array(n);
    const targetWeight = new Float64Array(n);
    const next = new Float64Array(n); // current position in the host's permutation (as a table index)
    let maxWeight = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      const key = slots[i]!.host.key;
      offset[j] = Number(hash(key, 0n) % this.sizeBig);
      skip[j] = Number(hash(key, 1n) % BigInt(m - 1)) + 1;
      next[j] = offset[j]!;
      weight[j] = weights[i]!;
      maxWeight = Math.max(maxWeight, weights[i]!);
    }
    const table = new Array<Slot | undefined>(m).fill(undefined);
    // Each round every host may claim its next preferred empty cell; a host with weight w/max claims in
    // a fraction w/max of the rounds, so cell counts follow weights.
    let filled = 0;
    for (let round = 0; filled < m; round++) {
      for (let j = 0; j < n && filled < m; j++) {
        if (round * weight[j]! < targetWeight[j]!) continue;
        targetWeight[j]! += maxWeight;
        let c = next[j]!;
        while (table[c] !== undefined) c = (c + skip[j]!) % m;
        table[c] = slots[order[j]!]!;
        next[j] = (c + skip[j]!) % m;
        filled++;
      }
    }
    this.table = table as Slot[];
  }

  pick(hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot {
    const m = this.table.length;
    const idx = hash === undefined ? Math.floor(this.random() * m) : Number(hash % this.sizeBig);
    // Cells are filled in pseudo-random order, so the next cells belong to unrelated hosts: a short walk avoids excluded ones.
    if (excluded !== undefined && excluded.size > 0) return walk(this.table, idx, excluded);
    return this.table[idx]!;
  }
}

export function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export function maglev(config: MaglevConfig, hash: HashFn, random: Random): LeafFactory {
  // A non-prime size breaks the permutation (skip may share a factor with it); the validator should reject it, we fall back.
  const size = isPrime(config.table_size) ? config.table_size : 65537;
  return { hashBased: true, build: (slots, weights) => new MaglevLeaf(slots, weights, size, hash, random) };
}
