// etcd store: where Trellis keeps what in etcd's flat key space, and the shape of each value (JSON text).
//
//   <prefix>cfg/head                 {"rev":N}                     every commit's compare-and-swap point
//   <prefix>cfg/rev/<N, 16 digits>   RevisionRecord                one per revision: metadata and every row it wrote
//   <prefix>cfg/kv/<kind/ns/name>    {"rev":N,"resource":{…}}      the live config (etcdctl shows it; a floor is read from it)
//   <prefix>cfg/compacted            {"rev":F,"etcdRev":R}         history below F is gone; R is F's etcd revision
//   <prefix>eph/<key>                JSON value, on a lease        registered workloads and other ephemeral keys
//   <prefix>secret/<name>            sealed bytes                  shared CA key, token signing key, admin token hashes
import type { ResourceKey, Revision } from '../types.js';

export const DEFAULT_ETCD_PREFIX = '/trellis/';

/** One revision as the log keeps it: enough to rebuild the mirror without reading etcd's own history. */
export interface RevisionRecord {
  revision: Revision;
  time: string;
  author: string;
  message: string;
  /** `value` is the resource's JSON text as the committing replica wrote it, null for a delete. */
  rows: Array<{ key: ResourceKey; kind: string; namespace: string; value: string | null }>;
}

export interface KvValue {
  rev: Revision;
  resource: unknown;
}

export interface CompactedMark {
  rev: Revision;
  etcdRev: string;
}

/** One past the last byte of keys starting with `prefix` (etcd's range end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return Buffer.from([0]);
}

export class EtcdLayout {
  readonly head: string;
  readonly revPrefix: string;
  readonly kvPrefix: string;
  readonly compacted: string;
  readonly cfgPrefix: string;
  readonly ephPrefix: string;
  readonly secretPrefix: string;

  constructor(readonly prefix: string = DEFAULT_ETCD_PREFIX) {
    this.cfgPrefix = `${prefix}cfg/`;
    this.head = `${this.cfgPrefix}head`;
    this.revPrefix = `${this.cfgPrefix}rev/`;
    this.kvPrefix = `${this.cfgPrefix}kv/`;
    this.compacted = `${this.cfgPrefix}compacted`;
    this.ephPrefix = `${prefix}eph/`;
    this.secretPrefix = `${prefix}secret/`;
  }

  /** Zero-padded so etcd's byte order is revision order. */
  rev(revision: Revision): string {
    return `${this.revPrefix}${String(revision).padStart(16, '0')}`;
  }

  kv(key: ResourceKey): string {
    return `${this.kvPrefix}${key}`;
  }

  eph(key: string): string {
    return `${this.ephPrefix}${key}`;
  }

  secret(name: string): string {
    return `${this.secretPrefix}${name}`;
  }
}
