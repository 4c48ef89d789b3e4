// Upstream LB: ROUND_ROBIN leaf — strict rotation for equal weights, exact interleaved WRR otherwise.
import { ExactWrr } from './exact-wrr.js';
import { allEqual, type Leaf, type LeafFactory } from './leaf.js';
import type { Random, Slot } from './slot.js';

class RotationLeaf implements Leaf {
  private cursor: number;
  constructor(
    private readonly slots: readonly Slot[],
    start: number,
  ) {
    this.cursor = start;
  }
  pick(): Slot {
    const s = this.slots[this.cursor]!;
    if (++this.cursor === this.slots.length) this.cursor = 0;
    return s;
  }
}

class WeightedLeaf implements Leaf {
  private readonly wrr: ExactWrr;
  constructor(
    private readonly slots: readonly Slot[],
    weights: readonly number[],
  ) {
    this.wrr = new ExactWrr(weights);
  }
  pick(): Slot {
    return this.slots[this.wrr.next()]!;
  }
}

export function roundRobin(random: Random): LeafFactory {
  return {
    hashBased: false,
    build(slots, weights) {
      // A random start (as Envoy does) keeps frequent picker rebuilds from always favouring the first host.
      if (allEqual(weights)) return new RotationLeaf(slots, Math.floor(random() * slots.length));
      return new WeightedLeaf(slots, weights);
    },
  };
}
