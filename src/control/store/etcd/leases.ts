// etcd store: leases and the ephemeral keys they own, as etcd's own leases (so a replica's death expires its keys, and a
// key re-put by another replica moves to that replica's lease). Keep-alives share one stream; TTLs are whole seconds.
import type { Etcd3, IKeyValue } from 'etcd3';
import { StoreError } from '../errors.js';
import type { EphemeralEvent, LeaseId } from '../types.js';
import { storeErrorFrom } from './client.js';
import { prefixWatch } from './prefix-watch.js';
import type { EtcdLayout } from './layout.js';

const MAX_TTL_MS = 2 ** 31 - 1;

type KeepAliveStream = Awaited<ReturnType<Etcd3['leaseClient']['leaseKeepAlive']>>;

interface PendingKeepAlive {
  resolve: () => void;
  reject: (e: unknown) => void;
}

function parseValue(kv: IKeyValue): unknown {
  return JSON.parse(kv.value.toString('utf8')) as unknown;
}

export class EtcdLeases {
  private stream: Promise<KeepAliveStream> | undefined;
  /** Keep-alives in flight per lease, answered in order (etcd answers one response per request). */
  private readonly pending = new Map<LeaseId, PendingKeepAlive[]>();
  private readonly watchers = new Set<() => void>();
  /** The etcd revision of the newest ephemeral read: a watch opened right after a list starts after it. */
  private listedAt: string | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdLayout,
  ) {}

  async grant(ttlMs: number): Promise<LeaseId> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) throw new StoreError('INVALID', `lease ttl must be in (0, ${MAX_TTL_MS}] ms, got ${ttlMs}`);
    try {
      const res = await this.client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000), ID: 0 });
      return res.ID;
    } catch (e) {
      throw storeErrorFrom(e, 'granting a lease');
    }
  }

  async keepAlive(lease: LeaseId): Promise<void> {
    let stream: KeepAliveStream;
    try {
      stream = await this.keepAliveStream();
    } catch (e) {
      throw storeErrorFrom(e, `keeping lease ${lease} alive`);
    }
    return new Promise<void>((resolve, reject) => {
      const queue = this.pending.get(lease) ?? [];
      queue.push({ resolve, reject });
      this.pending.set(lease, queue);
      stream.write({ ID: lease });
    });
  }

  async revoke(lease: LeaseId): Promise<void> {
    try {
      await this.client.leaseClient.leaseRevoke({ ID: lease });
    } catch (e) {
      const err = storeErrorFrom(e, `revoking lease ${lease}`);
      if (err.code !== 'LEASE_NOT_FOUND') throw err;
    }
  }

  async timeToLive(lease: LeaseId): Promise<number | undefined> {
    try {
      const res = await this.client.leaseClient.leaseTimeToLive({ ID: lease, keys: false });
      const ttl = Number(res.TTL);
      return ttl < 0 ? undefined : ttl * 1000;
    } catch (e) {
      const err = storeErrorFrom(e, `reading lease ${lease}`);
      if (err.code === 'LEASE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async put(key: string, value: unknown, lease: LeaseId): Promise<void> {
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) throw new StoreError('INVALID', `ephemeral value for ${key} is not JSON`);
    try {
      await this.client.put(this.layout.eph(key)).value(json).lease(lease).exec();
    } catch (e) {
      const err = storeErrorFrom(e, `putting ${key}`);
      // etcd says "requested lease not found" as a plain gRPC error
      if (/lease not found/i.test(err.message)) throw new StoreError('LEASE_NOT_FOUND', `lease ${lease} not found (expired or revoked)`);
      throw err;
    }
  }

  /** One transaction comparing the key's lease (a missing key has lease 0, so it never matches a granted one). */
  async replaceIf(key: string, ifLease: LeaseId, next: { value: unknown; lease: LeaseId } | undefined): Promise<boolean> {
    const k = this.layout.eph(key);
    let op;
    if (next === undefined) op = this.client.delete().key(k);
    else {
      const json = JSON.stringify(next.value);
      if (json === undefined) throw new StoreError('INVALID', `ephemeral value for ${key} is not JSON`);
      op = this.client.put(k).value(json).lease(next.lease);
    }
    try {
      const res = await this.client.if(k, 'Lease', '==', ifLease).then(op).commit();
      return res.succeeded;
    } catch (e) {
      const err = storeErrorFrom(e, `replacing ${key}`);
      if (/lease not found/i.test(err.message)) throw new StoreError('LEASE_NOT_FOUND', `lease ${next?.lease} not found (expired or revoked)`);
      throw err;
    }
  }

  async get(key: string): Promise<unknown> {
    try {
      const res = await this.client.get(this.layout.eph(key)).exec();
      this.listedAt = res.header.revision;
      const kv = res.kvs[0];
      return kv === undefined ? undefined : parseValue(kv);
    } catch (e) {
      throw storeErrorFrom(e, `reading ${key}`);
    }
  }

  async list(prefix: string): Promise<Array<{ key: string; value: unknown; lease: LeaseId }>> {
    try {
      const res = await this.client.getAll().prefix(this.layout.eph(prefix)).sort('Key', 'Ascend').exec();
      this.listedAt = res.header.revision;
      return res.kvs.map((kv) => ({ key: this.keyOf(kv), value: parseValue(kv), lease: kv.lease }));
    } catch (e) {
      throw storeErrorFrom(e, `listing ${prefix}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.delete().key(this.layout.eph(key)).exec();
    } catch (e) {
      throw storeErrorFrom(e, `deleting ${key}`);
    }
  }

  /** Live events after the last read (list first, then watch, as the store's contract asks). etcd gives no reason for a delete. */
  watch(prefix: string, onEvent: (ev: EphemeralEvent) => void): () => void {
    const deliver = (ev: () => EphemeralEvent): void => {
      try {
        onEvent(ev());
      } catch (e) {
        // also a value someone else wrote that is not JSON: not ours to deliver
        process.emitWarning(`ephemeral watcher failed: ${String(e)}`, 'TrellisStoreWarning');
      }
    };
    const stop = prefixWatch(this.client, this.layout.eph(prefix), this.listedAt !== undefined ? BigInt(this.listedAt) + 1n : undefined, {
      put: (kv) => deliver(() => ({ key: this.keyOf(kv), op: 'put', value: parseValue(kv), lease: kv.lease })),
      delete: (key, lease) => deliver(() => ({ key: this.keyOf({ key }), op: 'delete', lease })),
    });
    const cancel = (): void => {
      this.watchers.delete(cancel);
      stop();
    };
    this.watchers.add(cancel);
    return cancel;
  }

  close(): void {
    for (const cancel of [...this.watchers]) cancel();
    void this.stream?.then((s) => s.end()).catch(() => undefined);
    this.stream = undefined;
    this.failPending(new StoreError('CLOSED', 'config store is closed'));
  }

  private keyOf(kv: Pick<IKeyValue, 'key'>): string {
    return kv.key.toString('utf8').slice(this.layout.ephPrefix.length);
  }

  private keepAliveStream(): Promise<KeepAliveStream> {
    this.stream ??= this.client.leaseClient.leaseKeepAlive().then((s) => {
      s.on('data', (res: { ID: string; TTL: string }) => {
        const queue = this.pending.get(res.ID);
        const next = queue?.shift();
        if (queue !== undefined && queue.length === 0) this.pending.delete(res.ID);
        if (next === undefined) return;
        if (Number(res.TTL) <= 0) next.reject(new StoreError('LEASE_NOT_FOUND', `lease ${res.ID} not found (expired or revoked)`));
        else next.resolve();
      });
      const broken = (e: unknown): void => {
        this.stream = undefined;
        this.failPending(storeErrorFrom(e, 'keeping leases alive'));
      };
      s.on('error', broken);
      s.on('end', () => broken(new Error('keep-alive stream ended')));
      return s;
    });
    const p = this.stream;
    p.catch(() => {
      if (this.stream === p) this.stream = undefined;
    });
    return p;
  }

  private failPending(e: unknown): void {
    for (const queue of this.pending.values()) for (const p of queue) p.reject(e);
    this.pending.clear();
  }
}
