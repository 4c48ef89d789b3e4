// etcd store: a prefix watch that loses nothing across reconnects. After a broken stream etcd3 re-creates a watch from
// the revision etcd reports at that moment, so events from while it was away are skipped. On every reconnect the
// prefix is listed again, what differs from what was delivered is delivered (puts for what is there, deletes for what
// is gone), and a fresh watch starts right after the listing's revision: list-then-watch, as Kubernetes informers do.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';

export interface PrefixWatchHandlers {
  put(kv: IKeyValue): void;
  /** `lease` is the lease the key had when it was last delivered. */
  delete(key: Buffer, lease: string): void;
}

/**
 * Watches `prefix` from revision `from` (now when undefined); the cancel function works at once, even before etcd
 * answers. A relisting may repeat a put the caller already has: callers treat a put as "this key is now this value".
 */
export function prefixWatch(client: Etcd3, prefix: string, from: bigint | undefined, h: PrefixWatchHandlers): () => void {
  /** Keys delivered and not deleted since, with their lease: what a relisting compares against. */
  const known = new Map<string, string>();
  let watcher: Watcher | undefined;
  let stopped = false;
  // events of a watcher replaced by a relisting are ignored: the listing covers them
  let generation = 0;

  const start = (rev: bigint | undefined): void => {
    const gen = ++generation;
    const builder = client.watch().prefix(prefix).withPreviousKV();
    if (rev !== undefined) builder.startRevision(String(rev));
    builder.create().then(
      (w) => {
        if (stopped || gen !== generation) return void w.cancel().catch(() => undefined);
        watcher = w;
        w.on('error', () => undefined); // etcd3 reconnects by itself; 'connected' below then relists
        w.on('put', (kv) => {
          if (gen !== generation) return;
          known.set(kv.key.toString('utf8'), kv.lease);
          h.put(kv);
        });
        w.on('delete', (kv, prev) => {
          if (gen !== generation) return;
          known.delete(kv.key.toString('utf8'));
          h.delete(kv.key, prev?.lease ?? kv.lease);
        });
        // create() resolved on the first 'connected': any later one is a reconnect
        w.on('connected', () => void relist(gen));
      },
      () => {
        // etcd unreachable when the watch was asked for: try again, from the same revision
        if (!stopped && gen === generation) setTimeout(() => start(rev), 1000).unref();
      },
    );
  };

  const relist = async (gen: number): Promise<void> => {
    let res;
    try {
      res = await client.getAll().prefix(prefix).exec();
    } catch {
      return; // unreachable again: the next reconnect relists
    }
    if (stopped || gen !== generation) return;
    generation++;
    void watcher?.cancel().catch(() => undefined);
    const now = new Set<string>();
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      now.add(key);
      known.set(key, kv.lease);
      h.put(kv);
    }
    for (const [key, lease] of known) {
      if (now.has(key)) continue;
      known.delete(key);
      h.delete(Buffer.from(key, 'utf8'), lease);
    }
    start(BigInt(res.header.revision) + 1n);
  };

  // what exists already counts as delivered (the caller listed it): a key deleted while the watch was away is then
  // reported too; its lease is unknown ('0')
  client
    .getAll()
    .prefix(prefix)
    .keys()
    .then((keys) => {
      for (const k of keys) if (!known.has(k)) known.set(k, '0');
    })
    .catch(() => undefined);
  start(from);
  return () => {
    stopped = true;
    generation++;
    void watcher?.cancel().catch(() => undefined);
  };
}
