// Upstream LB: the published picker — splits load over priorities (healthy/degraded/panic tiers), then asks that tier's leaf.
import type { Host, Pick, PickContext, Picker, PrioritySet } from '../types.js';
import type { Leaf, LeafFactory } from './leaf.js';
import { computePriorityLoad } from './priority-load.js';
import { FAIL, makeSlot, type Random, type Slot } from './slot.js';
import { buildTier, type Eligible } from './tier.js';

export interface PickerParams {
  factory: LeafFactory;
  localityWeighted: boolean;
  panicThreshold: number; // percent, 0 = never panic
  random: Random;
  /** Re-picks when the chosen host is in ctx.excluded (Envoy host_selection_retry_max_attempts). */
  hostSelectionRetries: number;
}

const isHealthy: Eligible = (h) => h.health === 'healthy' && !h.ejected;
const isDegraded: Eligible = (h) => h.health === 'degraded' && !h.ejected;
const isAny: Eligible = () => true;

const failPicker: Picker = { pick: () => FAIL };

class PriorityPicker implements Picker {
  constructor(
    /** Cumulative load upper bounds, one per tier; the last is the total (normally 100). */
    private readonly bounds: Float64Array,
    private readonly tiers: readonly Leaf[],
    private readonly hashBased: boolean,
    private readonly random: Random,
    private readonly retries: number,
  ) {}

  pick(ctx: PickContext): Pick {
    const hash = ctx.hashKey;
    const excluded = ctx.excluded;
    let slot = this.once(hash, excluded);
    if (excluded !== undefined && excluded.size > 0) {
      // Try to avoid hosts this request already used; settle for the last choice when we run out of tries.
      // The route's host_selection_retry_max_attempts wins over the cluster-wide default.
      const retries = ctx.hostSelectionRetryMaxAttempts ?? this.retries;
      for (let i = 0; i < retries && excluded.has(slot.host); i++) slot = this.once(hash, excluded);
    }
    return slot.result;
  }

  private once(hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot {
    const tiers = this.tiers;
    if (tiers.length === 1) return tiers[0]!.pick(hash, excluded);
    const total = this.bounds[tiers.length - 1]!;
    // Hash-based policies pick the priority from the hash too (Envoy: hash % 100), so a key stays put.
    const r =
      this.hashBased && hash !== undefined ? ((Number(hash % 100n) + 0.5) * total) / 100 : this.random() * total;
    let i = 0;
    while (i < tiers.length - 1 && r >= this.bounds[i]!) i++;
    return tiers[i]!.pick(hash, excluded);
  }
}

/** Builds an immutable picker for the current hosts and their health; only tiers that get load are built. */
export function buildPicker(set: PrioritySet, p: PickerParams): Picker {
  const levels = [...set].sort((a, b) => a.priority - b.priority);
  const slots = new Map<Host, Slot>();
  const slotOf = (h: Host): Slot => {
    let s = slots.get(h);
    if (s === undefined) slots.set(h, (s = makeSlot(h)));
    return s;
  };
  const load = computePriorityLoad(
    levels.map((l) => ({
      total: l.hosts.length,
      healthy: count(l.hosts, isHealthy),
      degraded: count(l.hosts, isDegraded),
      overprovisioningFactor: l.overprovisioningFactor,
    })),
    p.panicThreshold,
  );
  const tiers: Leaf[] = [];
  const bounds: number[] = [];
  let cumulative = 0;
  const add = (share: number, tier: Leaf | null): void => {
    if (share <= 0 || tier === null) return;
    cumulative += share;
    tiers.push(tier);
    bounds.push(cumulative);
  };
  levels.forEach((level, i) => {
    const healthyShare = load.healthy[i]!;
    const degradedShare = load.degraded[i]!;
    if (load.panic[i]) {
      // Panic: this priority's whole share goes to all its hosts regardless of health (no locality weighting, as Envoy).
      if (healthyShare + degradedShare > 0) add(healthyShare + degradedShare, buildTier(level, isAny, false, p.factory, slotOf));
      return;
    }
    if (healthyShare > 0) add(healthyShare, buildTier(level, isHealthy, p.localityWeighted, p.factory, slotOf));
    if (degradedShare > 0) add(degradedShare, buildTier(level, isDegraded, p.localityWeighted, p.factory, slotOf));
  });
  if (tiers.length === 0) return failPicker;
  return new PriorityPicker(Float64Array.from(bounds), tiers, p.factory.hashBased, p.random, p.hostSelectionRetries);
}

function count(hosts: readonly Host[], f: Eligible): number {
  let n = 0;
  for (const h of hosts) if (f(h)) n++;
  return n;
}
