// Serving: the names one stream subscribes to for one type, interned — streams that subscribe to the same names share
// one set, one sorted list and one key. A sidecar's EDS subscription names every cluster it knows (thousands), and a
// replica holds thousands of streams: held per stream, the names alone cost ~0.4 MB each.

/** Live subscriptions by key; an entry goes when no stream holds its subscription any more. */
const interned = new Map<string, WeakRef<Subscription>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (interned.get(key)?.deref() === undefined) interned.delete(key);
});

export class Subscription {
  static readonly NONE = new Subscription([], '[]');

  readonly names: ReadonlySet<string>;

  private constructor(
    /** The names, sorted (what the generator is asked for). */
    readonly list: readonly string[],
    /** Unique to the names (a JSON array: no two lists share one, whatever characters the names hold). */
    readonly key: string,
  ) {
    this.names = new Set(list);
  }

  /** The shared subscription to exactly `names` (any order, duplicates ignored). */
  static of(names: Iterable<string>): Subscription {
    const list = [...new Set(names)].sort();
    if (list.length === 0) return Subscription.NONE;
    const key = JSON.stringify(list);
    const live = interned.get(key)?.deref();
    if (live !== undefined) return live;
    const s = new Subscription(list, key);
    interned.set(key, new WeakRef(s));
    forget.register(s, key);
    return s;
  }

  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** This subscription plus `add`, minus `remove` (removal wins); `this` itself when that changes nothing. */
  with(add: readonly string[], remove: readonly string[]): Subscription {
    const gone = new Set(remove);
    let changed = false;
    for (const n of add) if (!this.names.has(n) && !gone.has(n)) changed = true;
    for (const n of gone) if (this.names.has(n)) changed = true;
    if (!changed) return this;
    const next = new Set(this.names);
    for (const n of add) next.add(n);
    for (const n of gone) next.delete(n);
    return Subscription.of(next);
  }
}

/** How many distinct subscriptions are interned (tests: entries go once no stream holds them). */
export function internedSubscriptions(): number {
  return interned.size;
}
