// Control-plane cluster: a SecretStore in memory — for tests, and for several "replicas" in one process sharing one instance.
import type { SecretStore } from './secret-store.js';

interface Watcher {
  prefix: string;
  onChange: (name: string) => void;
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, Buffer>();
  private readonly watchers = new Set<Watcher>();

  // copies in and out: a caller changing a Buffer it passed or got must not change what "the store" holds
  async get(name: string): Promise<Buffer | undefined> {
    const v = this.values.get(name);
    return v === undefined ? undefined : Buffer.from(v);
  }

  async createIfAbsent(name: string, value: Buffer): Promise<Buffer> {
    // check and set with no await between them: of concurrent callers the first wins, the rest read its value
    const existing = this.values.get(name);
    if (existing !== undefined) return Buffer.from(existing);
    this.values.set(name, Buffer.from(value));
    this.changed(name);
    return Buffer.from(value);
  }

  async put(name: string, value: Buffer): Promise<void> {
    this.values.set(name, Buffer.from(value));
    this.changed(name);
  }

  async delete(name: string): Promise<void> {
    if (this.values.delete(name)) this.changed(name);
  }

  async list(prefix: string): Promise<Array<{ name: string; value: Buffer }>> {
    return [...this.values.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value: Buffer.from(value) }));
  }

  watch(prefix: string, onChange: (name: string) => void): () => void {
    const w: Watcher = { prefix, onChange };
    this.watchers.add(w);
    return () => void this.watchers.delete(w);
  }

  /** Watchers hear of a change on a later microtask, as from a real store: never inside the write that made it. */
  private changed(name: string): void {
    for (const w of this.watchers) {
      if (!name.startsWith(w.prefix)) continue;
      queueMicrotask(() => {
        if (this.watchers.has(w)) w.onChange(name);
      });
    }
  }
}
