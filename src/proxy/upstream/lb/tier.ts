// Upstream LB: a tier = the hosts one load share goes to (a priority's healthy, degraded or all hosts), locality-aware.
import { EdfScheduler } from './edf.js';
import type { Host, HostSet } from '../types.js';
import type { Leaf, LeafFactory } from './leaf.js';
import type { Slot } from './slot.js';

export type Eligible = (h: Host) => boolean;

/** Chooses a locality by effective weight (EDF), then a host inside it with that locality's own leaf. */
class LocalityTier implements Leaf {
  private readonly edf: EdfScheduler;
  constructor(
    private readonly leaves: readonly Leaf[],
    weights: readonly number[],
  ) {
    this.edf = new EdfScheduler(weights);
  }
  pick(hash: bigint | undefined, excluded: ReadonlySet<Host> | undefined): Slot {
    return this.leaves[this.edf.next()]!.pick(hash, excluded);
  }
}

/**
 * Builds the leaf for the hosts of `set` accepted by `eligible`; null when none are.
 * With `localityWeighted`, each locality's share is its weight × min(1, overprovisioning × eligible/total), as Envoy does.
 */
export function buildTier(
  set: HostSet,
  eligible: Eligible,
  localityWeighted: boolean,
  factory: LeafFactory,
  slotOf: (h: Host) => Slot,
): Leaf | null {
  if (localityWeighted) {
    const tier = buildLocalityTier(set, eligible, factory, slotOf);
    if (tier !== null) return tier;
    // No locality has weight and eligible hosts: like Envoy, fall back to the whole tier.
  }
  const hosts = set.hosts.filter(eligible);
  if (hosts.length === 0) return null;
  return factory.build(hosts.map(slotOf), hosts.map(hostWeight));
}

function buildLocalityTier(set: HostSet, eligible: Eligible, factory: LeafFactory, slotOf: (h: Host) => Slot): Leaf | null {
  const factor = set.overprovisioningFactor / 100;
  const groups: { hosts: Host[]; weight: number }[] = [];
  for (const loc of set.localities) {
    const hosts = loc.hosts.filter(eligible);
    // An unset or zero locality weight takes no traffic under locality weighted LB.
    if (hosts.length === 0 || loc.weight === undefined || loc.weight <= 0) continue;
    groups.push({ hosts, weight: loc.weight * Math.min(1, (factor * hosts.length) / loc.hosts.length) });
  }
  if (groups.length === 0) return null;
  if (factory.hashBased) {
    // Keep one key on one host: fold the locality share into host weights and build a single ring/table.
    const slots: Slot[] = [];
    const weights: number[] = [];
    for (const g of groups) {
      let total = 0;
      for (const h of g.hosts) total += hostWeight(h);
      for (const h of g.hosts) {
        slots.push(slotOf(h));
        weights.push((hostWeight(h) / total) * g.weight);
      }
    }
    return factory.build(slots, weights);
  }
  const leaves = groups.map((g) => factory.build(g.hosts.map(slotOf), g.hosts.map(hostWeight)));
  if (leaves.length === 1) return leaves[0]!;
  return new LocalityTier(
    leaves,
    groups.map((g) => g.weight),
  );
}

function hostWeight(h: Host): number {
  return h.weight >= 1 ? h.weight : 1;
}
