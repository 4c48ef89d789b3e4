// Upstream LB: earliest-deadline-first scheduler with floating weights that may change on every pick (Envoy's EDF).
// Used for least-request's dynamic weights and for choosing localities by effective weight.

export class EdfScheduler {
  private readonly deadline: Float64Array;
  private readonly seq: Float64Array; // insertion order breaks ties, so equal weights rotate
  private readonly heap: Int32Array;
  private readonly weight: Float64Array;
  private counter = 0;

  /** `weights[i]` > 0. */
  constructor(weights: readonly number[]) {
    const n = weights.length;
    this.deadline = new Float64Array(n);
    this.seq = new Float64Array(n);
    this.heap = new Int32Array(n);
    this.weight = Float64Array.from(weights);
    for (let i = 0; i < n; i++) {
      this.deadline[i] = 1 / weights[i]!;
      this.seq[i] = this.counter++;
      this.heap[i] = i;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Picks the entry with the earliest deadline and re-schedules it with its constructor weight. */
  next(): number {
    const top = this.heap[0]!;
    return this.reschedule(top, this.weight[top]!);
  }

  /** Picks the entry with the earliest deadline and re-schedules it with `weightOf(index)` (> 0) evaluated now. */
  pickAndAdd(weightOf: (index: number) => number): number {
    const top = this.heap[0]!;
    return this.reschedule(top, weightOf(top));
  }

  private reschedule(top: number, weight: number): number {
    this.deadline[top] = this.deadline[top]! + 1 / weight;
    this.seq[top] = this.counter++;
    this.siftDown(0);
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadline[a]!;
    const db = this.deadline[b]!;
    return da < db || (da === db && this.seq[a]! < this.seq[b]!);
  }

  private siftDown(pos: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[pos]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(h[child + 1]!, h[child]!)) child++;
      if (!this.before(h[child]!, item)) break;
      h[pos] = h[child]!;
      pos = child;
    }
    h[pos] = item;
  }
}
