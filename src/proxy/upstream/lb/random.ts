// Upstream LB: RANDOM leaf — uniform for equal weights, else weighted by binary search over cumulative weights.
import { allEqual, type Leaf, type LeafFactory } from './leaf.js';
import type { Random, Slot } from './slot.js';

class UniformLeaf implements Leaf {
  constructor(
    private readonly slots: readonly Slot[],
    private readonly random: Random,
  ) {}
  pick(): Slot {
    return this.slots[Math.floor(this.random() * this.slots.length)]!;
  }
}

class WeightedRandomLeaf implements Leaf {
  private readonly cumulative: Float64Array;
  private readonly total: number;
  constructor(
    private readonly slots: readonly Slot[],
    weights: readonly number[],
    private readonly random: Random,
  ) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) this.cumulative[i] = sum += weights[i]!;
    this.total = sum;
  }
  pick(): Slot {
    const target = this.random() * this.total;
    const c = this.cumulative;
    // first index whose cumulative weight exceeds target
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.slots[lo]!;
  }
}

export function randomLb(random: Random): LeafFactory {
  return {
    hashBased: false,
    build(slots, weights) {
      return allEqual(weights) ? new UniformLeaf(slots, random) : new WeightedRandomLeaf(slots, weights, random);
    },
  };
}
