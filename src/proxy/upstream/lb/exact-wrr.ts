// Upstream LB: exact weighted round robin — earliest-deadline-first on rational deadlines (k+1)/w, O(log n) per pick.
// Integer cross-multiplication keeps it exact: every aligned window of sum(weights) picks gives each
// entry exactly its weight, and deadlines spread the picks evenly (weights 1,2,3 -> C B C A B C).

export class ExactWrr {
  private readonly w: Float64Array; // integer weights >= 1
  private readonly k: Float64Array; // picks per entry in the current period
  private readonly heap: Int32Array; // entry indices, min-deadline at 0
  private readonly period: number;
  private picked = 0;

  constructor(weights: readonly number[]) {
    const n = weights.length;
    this.w = new Float64Array(n);
    this.k = new Float64Array(n);
    this.heap = new Int32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.max(1, Math.round(weights[i]!));
      this.w[i] = w;
      sum += w;
      this.heap[i] = i;
    }
    this.period = sum;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Returns the index of the next entry. */
  next(): number {
    const top = this.heap[0]!;
    this.k[top]! += 1;
    if (++this.picked === this.period) {
      // A full period leaves every k[i] == w[i]; rebasing keeps numbers small and the heap order unchanged.
      this.k.fill(0);
      this.picked = 0;
    }
    this.siftDown(0);
    return top;
  }

  /** a before b: earlier deadline (k+1)/w, ties by index. */
  private before(a: number, b: number): boolean {
    const l = (this.k[a]! + 1) * this.w[b]!;
    const r = (this.k[b]! + 1) * this.w[a]!;
    return l < r || (l === r && a < b);
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
