// Upstream LB: Envoy's priority load arithmetic — per-priority health, healthy/degraded load split, panic flags.
// Integer percentages with floor division, as Envoy computes them, so loads match Envoy's stats exactly.

export interface PriorityCounts {
  total: number;
  healthy: number;
  degraded: number;
  overprovisioningFactor: number; // percent, 140 = 1.4
}

export interface PriorityLoad {
  /** Percent of traffic per priority served by healthy hosts (sums with `degraded` to 100, or all 0 = no host). */
  readonly healthy: readonly number[];
  /** Percent of traffic per priority served by degraded hosts. */
  readonly degraded: readonly number[];
  /** Priority in panic: its load goes to all of its hosts regardless of health. */
  readonly panic: readonly boolean[];
}

function availability(count: number, total: number, factor: number): number {
  return total === 0 ? 0 : Math.min(100, Math.floor((factor * count) / total));
}

/** Assigns `load` to priorities in order, each up to its share of the normalized availability. */
function distribute(out: number[], avail: readonly number[], load: number, normalizedTotal: number): number {
  for (let i = 0; i < avail.length; i++) {
    out[i] = Math.min(load, Math.floor((avail[i]! * 100) / normalizedTotal));
    load -= out[i]!;
  }
  return load;
}

/** `panicThreshold` is a percent; 0 disables panic mode. */
export function computePriorityLoad(levels: readonly PriorityCounts[], panicThreshold: number): PriorityLoad {
  const n = levels.length;
  const health = levels.map((l) => availability(l.healthy, l.total, l.overprovisioningFactor));
  const degradedAvail = levels.map((l) => availability(l.degraded, l.total, l.overprovisioningFactor));
  const normalizedTotal = Math.min(100, sum(health) + sum(degradedAvail));
  const healthy = new Array<number>(n).fill(0);
  const degraded = new Array<number>(n).fill(0);

  if (normalizedTotal > 0) {
    const rest = distribute(healthy, health, 100, normalizedTotal);
    const left = distribute(degraded, degradedAvail, rest, normalizedTotal);
    // Only rounding is left; it goes to the first priority that can take it.
    if (left > 0) {
      const h = health.findIndex((x) => x > 0);
      if (h >= 0) healthy[h]! += left;
      else degraded[degradedAvail.findIndex((x) => x > 0)]! += left;
    }
  }

  // Panic is only considered when the priorities together cannot carry the load; it uses raw (not overprovisioned) health.
  const panic = levels.map((l) => {
    if (normalizedTotal === 100 || panicThreshold <= 0) return false;
    const pct = l.total === 0 ? 0 : (100 * (l.healthy + l.degraded)) / l.total;
    return pct < panicThreshold;
  });

  // Total panic: every priority is in panic, so load follows host counts over all hosts.
  const totalHosts = sum(levels.map((l) => l.total));
  if (n > 0 && totalHosts > 0 && panic.every(Boolean)) {
    degraded.fill(0);
    let left = 100;
    for (let i = 0; i < n; i++) {
      healthy[i] = Math.floor((levels[i]!.total * 100) / totalHosts);
      left -= healthy[i]!;
    }
    if (left > 0) healthy[levels.findIndex((l) => l.total > 0)]! += left;
  }
  return { healthy, degraded, panic };
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
