// etcd store: the replicas' shared secrets under `<prefix>secret/` (sealed by the caller before they get here).
import type { Etcd3 } from 'etcd3';
import type { SecretStore } from '../../cluster/secret-store.js';
import { storeErrorFrom } from './client.js';
import { prefixWatch } from './prefix-watch.js';
import type { EtcdLayout } from './layout.js';

export class EtcdSecrets implements SecretStore {
  private readonly watchers = new Set<() => void>();
  /** The newest etcd revision a read has seen: a watch starts right after it, so nothing read-then-changed is missed. */
  private seen: bigint | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdLayout,
  ) {}

  async get(name: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.get(this.layout.secret(name)).exec();
      this.saw(res.header.revision);
      return res.kvs[0]?.value;
    } catch (e) {
      throw storeErrorFrom(e, `reading secret ${name}`);
    }
  }

  async createIfAbsent(name: string, value: Buffer): Promise<Buffer> {
    const key = this.layout.secret(name);
    try {
      const res = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(value)).else(this.client.get(key)).commit();
      this.saw(res.header.revision);
      if (res.succeeded) return value;
      const kv = res.responses[0]?.response_range.kvs[0];
      if (kv === undefined) throw new Error(`secret ${name} vanished while it was being created`);
      return kv.value;
    } catch (e) {
      throw storeErrorFrom(e, `creating secret ${name}`);
    }
  }

  async put(name: string, value: Buffer): Promise<void> {
    try {
      await this.client.put(this.layout.secret(name)).value(value).exec();
    } catch (e) {
      throw storeErrorFrom(e, `writing secret ${name}`);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.delete().key(this.layout.secret(name)).exec();
    } catch (e) {
      throw storeErrorFrom(e, `deleting secret ${name}`);
    }
  }

  async list(prefix: string): Promise<Array<{ name: string; value: Buffer }>> {
    try {
      const res = await this.client.getAll().prefix(this.layout.secret(prefix)).sort('Key', 'Ascend').exec();
      this.saw(res.header.revision);
      return res.kvs.map((kv) => ({ name: kv.key.toString('utf8').slice(this.layout.secretPrefix.length), value: kv.value }));
    } catch (e) {
      throw storeErrorFrom(e, `listing secrets ${prefix}`);
    }
  }

  watch(prefix: string, onChange: (name: string) => void): () => void {
    const nameOf = (key: Buffer): string => key.toString('utf8').slice(this.layout.secretPrefix.length);
    const stop = prefixWatch(this.client, this.layout.secret(prefix), this.seen !== undefined ? this.seen + 1n : undefined, {
      put: (kv) => onChange(nameOf(kv.key)),
      delete: (key) => onChange(nameOf(key)),
    });
    const cancel = (): void => {
      this.watchers.delete(cancel);
      stop();
    };
    this.watchers.add(cancel);
    return cancel;
  }

  private saw(revision: string): void {
    const r = BigInt(revision);
    if (this.seen === undefined || r > this.seen) this.seen = r;
  }

  close(): void {
    for (const cancel of [...this.watchers]) cancel();
  }
}
