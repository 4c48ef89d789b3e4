// xDS client: the accepted (last good) resources of each type, with the version and time each one last changed.
import type { ValidatedResource } from './resources.js';
import type { Json } from '../../xds/codec.js';

export interface AcceptedResource<T> {
  name: string;
  /** version_info of the response that last changed this resource (SotW), or the resource's own version (delta). */
  version: string;
  lastUpdated: Date;
  bytes: Uint8Array;
  raw: Json;
  value: T;
}

export interface RejectedUpdate {
  version: string;
  time: Date;
  details: string;
}

/** How one accepted response changes the held set (SotW LDS/CDS: `full`; SotW EDS/RDS: `keep`; delta: `removed`). */
export interface AcceptOptions {
  /** The response is the whole set: names it lacks are removed. */
  full?: boolean;
  /** Names the response lacks that stay (when neither full nor removed). */
  keep?: (name: string) => boolean;
  /** Names the server says are gone (delta removed_resources). */
  removed?: readonly string[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** State of one resource type. Survives reconnects: the proxy keeps serving it while the control plane is away. */
export class TypeState<T> {
  /** version_info (SotW) or system_version_info (delta) of the last accepted response ('' before the first). */
  version = '';
  lastUpdated: Date | undefined;
  lastRejected: RejectedUpdate | undefined;
  readonly resources = new Map<string, AcceptedResource<T>>();
  /** Names the server said do not exist: what waits for them (warming) need not wait out the timeout. */
  readonly absent = new Set<string>();

  constructor(readonly typeUrl: string) {}

  /** Takes a validated response; returns the names that changed (added, updated or removed). */
  accept(version: string, items: readonly ValidatedResource<T>[], opts: AcceptOptions = {}): string[] {
    const now = new Date();
    const changed: string[] = [];
    const incoming = new Set<string>();
    for (const it of items) {
      incoming.add(it.name);
      this.absent.delete(it.name);
      const old = this.resources.get(it.name);
      if (old !== undefined && sameBytes(old.bytes, it.bytes)) {
        // unchanged: keeps its time and compiled value; a delta server may still have given it a new version
        if (it.version !== undefined) old.version = it.version;
        continue;
      }
      this.resources.set(it.name, { name: it.name, version: it.version ?? version, lastUpdated: now, bytes: it.bytes, raw: it.raw, value: it.value });
      changed.push(it.name);
    }
    for (const name of opts.removed ?? []) {
      if (incoming.has(name)) continue;
      this.absent.add(name);
      if (this.resources.delete(name)) changed.push(name);
    }
    if (opts.full === true || opts.keep !== undefined) {
      for (const name of [...this.resources.keys()]) {
        if (incoming.has(name) || (opts.full !== true && opts.keep!(name))) continue;
        this.resources.delete(name);
        changed.push(name);
      }
    }
    this.version = version;
    this.lastUpdated = now;
    return changed;
  }

  /** The values the held set would have after accept(items, opts), without changing it (checks across the whole set). */
  preview(items: readonly ValidatedResource<T>[], opts: AcceptOptions = {}): T[] {
    if (opts.full === true) return items.map((i) => i.value);
    const out = new Map<string, T>();
    const removed = new Set(opts.removed ?? []);
    for (const [n, r] of this.resources) if (!removed.has(n) && (opts.keep === undefined || opts.keep(n))) out.set(n, r.value);
    for (const it of items) out.set(it.name, it.value);
    return [...out.values()];
  }

  /** Replaces the value of a held resource without changing its bytes or version (VHDS recomposes a route table). */
  setValue(name: string, value: T): void {
    const r = this.resources.get(name);
    if (r !== undefined) r.value = value;
  }

  /** Drops resources no longer subscribed (EDS/RDS names a new CDS/LDS no longer refers to). */
  retain(keep: (name: string) => boolean): void {
    for (const n of [...this.resources.keys()]) if (!keep(n)) this.resources.delete(n);
    for (const n of [...this.absent]) if (!keep(n)) this.absent.delete(n);
  }

  reject(version: string, details: string): void {
    this.lastRejected = { version, time: new Date(), details };
  }

  values(): T[] {
    return [...this.resources.values()].map((r) => r.value);
  }

  /** name -> version of every held resource (delta initial_resource_versions on a new stream). */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, r] of this.resources) out[n] = r.version;
    return out;
  }
}
