// Upstream LB: LEAST_REQUEST leaf — power of N distinct random choices for equal weights, else EDF on weight/(active+1)^bias.
import { EdfScheduler } from './edf.js';
import { allEqual, type Leaf, type LeafFactory } from './leaf.js';
import type { Random, Slot } from './slot.js';
import type { Host } from '../types.js';

export interface LeastRequestConfig {
  choice_count: number; // default 2
  active_request_bias: number; // default 1.0
}

/** Equal weights: sample `choiceCount` distinct hosts and keep the one with the fewest active requests. */
class ChoiceLeaf implements Leaf {
  private readonly chosen: Int32Array; // scratch for distinct sampling, reused across picks
  constructor(
    private readonly slots: readonly Slot[],
    private readonly choiceCount: number,
    private readonly random: Random,
  ) {
    this.chosen = new Int32Array(Math.max(choiceCount, 1));
  }

  /**
   * A host this request already tried (retry_previous_hosts) loses to any it has not: otherwise a host that fails
   * fast — no active requests — would win every comparison and every host-selection retry would pick it again.
   */
  pick(_hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot {
    const slots = this.slots;
    const n = slots.length;
    if (this.choiceCount >= n) return this.scanAll(excluded);
    // Distinct samples (Envoy samples with replacement; without it P2C over 2 hosts never picks the busier one).
    let best = -1;
    let taken = 0;
    while (taken < this.choiceCount) {
      const idx = Math.floor(this.random() * n);
      let dup = false;
      for (let t = 0; t < taken; t++) if (this.chosen[t] === idx) dup = true;
      if (dup) continue;
      this.chosen[taken++] = idx;
      if (best < 0 || better(slots[idx]!.host, slots[best]!.host, excluded)) best = idx;
    }
    return slots[best]!;
  }

  /** Fewer hosts than choices: look at all of them, starting at a random offset so ties spread. */
  private scanAll(excluded: ReadonlySet<Host> | undefined): Slot {
    const slots = this.slots;
    const n = slots.length;
    const start = Math.floor(this.random() * n);
    let best = start;
    for (let i = 1; i < n; i++) {
      const idx = (start + i) % n;
      if (better(slots[idx]!.host, slots[best]!.host, excluded)) best = idx;
    }
    return slots[best]!;
  }
}

/** `a` is the better choice than `b`: not already tried when `b` was, else fewer active requests. */
function better(a: Host, b: Host, excluded: ReadonlySet<Host> | undefined): boolean {
  if (excluded !== undefined && excluded.size > 0) {
    const ea = excluded.has(a);
    if (ea !== excluded.has(b)) return !ea;
  }
  return a.activeRequests < b.activeRequests;
}

/** Unequal weights: Envoy's weighted least request, effective weight re-evaluated whenever a host is picked. */
class WeightedLeastRequestLeaf implements Leaf {
  private readonly edf: EdfScheduler;
  private readonly weightOf: (index: number) => number; // bound once so pick() allocates no closure

  constructor(
    private readonly slots: readonly Slot[],
    private readonly weights: readonly number[],
    private readonly bias: number,
  ) {
    this.edf = new EdfScheduler(weights);
    this.weightOf = (i) => this.effectiveWeight(i);
  }

  private effectiveWeight(i: number): number {
    const active = this.slots[i]!.host.activeRequests + 1;
    const w = this.weights[i]!;
    if (this.bias === 1) return w / active;
    if (this.bias === 0) return w;
    return w / Math.pow(active, this.bias);
  }

  pick(): Slot {
    return this.slots[this.edf.pickAndAdd(this.weightOf)]!;
  }
}

export function leastRequest(config: LeastRequestConfig, random: Random): LeafFactory {
  const choiceCount = Math.max(2, Math.floor(config.choice_count));
  const bias = Math.max(0, config.active_request_bias);
  return {
    hashBased: false,
    build(slots, weights) {
      if (allEqual(weights)) return new ChoiceLeaf(slots, choiceCount, random);
      return new WeightedLeastRequestLeaf(slots, weights, bias);
    },
  };
}
