// Ingestion stage: a quiet-period debouncer with a maximum delay (Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX).

/**
 * `trigger()` schedules `fire` once nothing was triggered for `quietMs`, but at most `maxMs` after the first
 * trigger of a burst, so a steady stream of changes still goes out. quietMs 0 fires on the next macrotask.
 */
export class Debounce {
  private timer: NodeJS.Timeout | undefined;
  private first = 0;

  constructor(
    private readonly quietMs: number,
    private readonly maxMs: number,
    private readonly fire: () => void,
  ) {}

  trigger(): void {
    const now = performance.now();
    if (this.timer === undefined) this.first = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.first + this.maxMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Fires now if a trigger is pending. */
  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
