// Upstream LB: the leaf policy contract — one picker over one flat set of hosts (no priorities, no localities).
import type { Host } from '../types.js';
import type { Slot } from './slot.js';

export interface Leaf {
  /**
   * Chooses a slot. `hash` is the request hash (hash-based leaves only). Hash-based leaves also honour
   * `excluded` (retry_previous_hosts) by walking on to the next host, least-request ranks excluded hosts last;
   * the others are simply re-picked.
   */
  pick(hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot;
}

export interface LeafFactory {
  /** Hash-based leaves keep a key on one host, so localities are folded into host weights instead of chosen per pick. */
  readonly hashBased: boolean;
  /** `slots` is non-empty; `weights[i]` > 0 is the weight of `slots[i]` (fractional when locality weights were folded in). */
  build(slots: readonly Slot[], weights: readonly number[]): Leaf;
}

export function allEqual(weights: readonly number[]): boolean {
  for (let i = 1; i < weights.length; i++) if (weights[i] !== weights[0]) return false;
  return true;
}
