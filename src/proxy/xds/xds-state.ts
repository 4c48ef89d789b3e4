// xDS client: the accepted (last good) resources of each type, with the version and time each one last changed.
import type { ValidatedResource } from './resources.js';
import type { Json } from '../../xds/codec.js';

export interface AcceptedResource<T> {
  name: string;
  /** version_info of the response that last changed this resource. */
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** State of one resource type. Survives reconnects: the proxy keeps serving it while the control plane is away. */
export class TypeState<T> {
  /** version_info of the last accepted response ('' before the first). */
  version = '';
  lastUpdated: Date | undefined;
  lastRejected: RejectedUpdate | undefined;
  readonly resources = new Map<string, AcceptedResource<T>>();

  constructor(readonly typeUrl: string) {}

  /**
   * Takes a validated response. `full` (LDS/CDS): the response is the whole set, absent names are removed.
   * Otherwise (EDS/RDS) it only carries what it names; `keep` says which other names stay subscribed.
   * Returns the names that changed (added, updated or removed).
   */
  accept(version: string, items: readonly ValidatedResource<T>[], full: boolean, keep?: ReadonlySet<string>): string[] {
    const now = new Date();
    const changed: string[] = [];
    const incoming = new Set<string>();
    for (const it of items) {
      incoming.add(it.name);
      const old = this.resources.get(it.name);
      if (old !== undefined && sameBytes(old.bytes, it.bytes)) continue; // unchanged: keeps its version, time and compiled value
      this.resources.set(it.name, { name: it.name, version, lastUpdated: now, bytes: it.bytes, raw: it.raw, value: it.value });
      changed.push(it.name);
    }
    for (const name of [...this.resources.keys()]) {
      if (incoming.has(name)) continue;
      if (full || (keep !== undefined && !keep.has(name))) {
        this.resources.delete(name);
        changed.push(name);
      }
    }
    this.version = version;
    this.lastUpdated = now;
    return changed;
  }

  /** Drops resources no longer subscribed (EDS/RDS names a new CDS/LDS no longer refers to). */
  retain(names: ReadonlySet<string>): void {
    for (const n of [...this.resources.keys()]) if (!names.has(n)) this.resources.delete(n);
  }

  reject(version: string, details: string): void {
    this.lastRejected = { version, time: new Date(), details };
  }

  values(): T[] {
    return [...this.resources.values()].map((r) => r.value);
  }
}
