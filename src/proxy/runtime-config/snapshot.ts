// Runtime: an immutable snapshot of the merged layers, with Envoy's typed getters and featureEnabled.
import { DENOMINATOR_VALUE, type FractionalPercent, type RuntimeEntry } from './entry.js';

/** One loaded layer: its name (shown by GET /runtime) and its values. */
export interface LoadedLayer {
  readonly name: string;
  readonly values: ReadonlyMap<string, RuntimeEntry>;
}

/** Anything that hands out the current snapshot (the Runtime; a fixed snapshot in tests). */
export interface RuntimeSource {
  snapshot(): RuntimeSnapshot;
}

/** A random integer in [0, 2^32): what featureEnabled draws when the caller passes none. */
export function randomUint(random: () => number = Math.random): number {
  return Math.floor(random() * 0x1_0000_0000);
}

export class RuntimeSnapshot {
  /** Later layers override earlier ones. */
  private readonly values = new Map<string, RuntimeEntry>();

  constructor(
    readonly layers: readonly LoadedLayer[],
    private readonly random: () => number = Math.random,
  ) {
    for (const l of layers) for (const [k, v] of l.values) this.values.set(k, v);
  }

  get size(): number {
    return this.values.size;
  }
  keys(): IterableIterator<string> {
    return this.values.keys();
  }
  /** An empty key names nothing (an unset `runtime_key`). */
  entry(key: string): RuntimeEntry | undefined {
    return key === '' ? undefined : this.values.get(key);
  }
  /** The raw string value, or undefined. */
  get(key: string): string | undefined {
    return this.entry(key)?.raw;
  }
  getInteger(key: string, dflt: number): number {
    return this.entry(key)?.uint ?? dflt;
  }
  getDouble(key: string, dflt: number): number {
    return this.entry(key)?.double ?? dflt;
  }
  getBoolean(key: string, dflt: boolean): boolean {
    return this.entry(key)?.bool ?? dflt;
  }

  /**
   * Envoy's featureEnabled. With a number default, the key is an integer percentage: enabled when
   * random % 100 < min(value, 100). With a FractionalPercent default, the key may hold a FractionalPercent or
   * an integer percentage (over 100 = always), and enabled means random % denominator < numerator.
   * `randomValue` is a non-negative integer (a fresh one is drawn when omitted).
   */
  featureEnabled(key: string, dflt: number | FractionalPercent, randomValue?: number): boolean {
    if (typeof dflt === 'number') {
      const cutoff = Math.min(this.getInteger(key, dflt), 100);
      if (randomValue === undefined) {
        if (cutoff <= 0) return false;
        if (cutoff >= 100) return true;
      }
      return (randomValue ?? randomUint(this.random)) % 100 < cutoff;
    }
    const p = this.fractionalPercent(key, dflt);
    if (p === 'always') return true;
    return (randomValue ?? randomUint(this.random)) % DENOMINATOR_VALUE[p.denominator] < p.numerator;
  }

  /**
   * The probability featureEnabled(key, default) has, for callers that draw a number in [0,1):
   * enabled exactly when draw < fraction. `dflt` is the configured fraction in [0,1].
   */
  fraction(key: string, dflt: number): number {
    const e = this.entry(key);
    if (e?.fraction !== undefined) return Math.min(1, e.fraction.numerator / DENOMINATOR_VALUE[e.fraction.denominator]);
    if (e?.uint !== undefined) return Math.min(1, e.uint / 100);
    return dflt;
  }

  private fractionalPercent(key: string, dflt: FractionalPercent): FractionalPercent | 'always' {
    const e = this.entry(key);
    if (e?.fraction !== undefined) return e.fraction;
    // an integer is a percentage, as before FractionalPercent existed; over 100 is always on
    if (e?.uint !== undefined) return e.uint > 100 ? 'always' : { numerator: e.uint, denominator: 'HUNDRED' };
    return dflt;
  }
}
