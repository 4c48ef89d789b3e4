// Control plane / config store: leases and the ephemeral keys they own (in memory, with TTL timers; a backend may
// persist the keys, and a restart then restores them on their leases with a fresh TTL, as etcd does).
//
// A client whose keepAlive fails with LEASE_NOT_FOUND grants a new lease and re-puts its keys (the service
// registry re-registers the workload).
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { StoreError } from './errors.js';
import type { EphemeralRow } from './backend.js';
import type { EphemeralEvent, LeaseId } from './types.js';

interface Lease {
  ttlMs: number;
  deadline: number;
  timer: NodeJS.Timeout;
  keys: Set<string>;
}

interface Entry {
  json: string; // kept as text so callers never share (and mutate) the stored value
  lease: LeaseId;
}

interface EphemeralWatcher {
  prefix: string;
  onEvent: (ev: EphemeralEvent) => void;
  active: boolean;
}

const MAX_TTL_MS = 2 ** 31 - 1; // setTimeout's limit

export class LeaseTable {
  private readonly leases = new Map<LeaseId, Lease>();
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Set<EphemeralWatcher>();

  /** `persist` hears every put and removal of a key (not close(): the keys stay for the next start). */
  constructor(private readonly persist?: (key: string, row: EphemeralRow | undefined) => void) {}

  grant(ttlMs: number): LeaseId {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) {
      throw new StoreError('INVALID', `lease ttl must be in (0, ${MAX_TTL_MS}] ms, got ${ttlMs}`);
    }
    // Random ids (as etcd's): a client holding an id from before a restart can never keep someone else's lease alive.
    let id: LeaseId;
    do id = String(randomInt(1, 2 ** 47));
    while (this.leases.has(id));
    this.start(id, ttlMs);
    return id;
  }

  /** Reinstates persisted keys (before any watcher exists): each lease again, with its full TTL from now. */
  restore(rows: readonly EphemeralRow[]): void {
    for (const r of rows) {
      if (!Number.isFinite(r.ttlMs) || r.ttlMs <= 0 || r.ttlMs > MAX_TTL_MS) continue;
      const lease = this.leases.get(r.lease) ?? this.start(r.lease, r.ttlMs);
      lease.keys.add(r.key);
      this.entries.set(r.key, { json: r.value, lease: r.lease });
    }
  }

  private start(id: LeaseId, ttlMs: number): Lease {
    const timer = setTimeout(() => this.end(id, 'expired'), ttlMs);
    timer.unref(); // leases must not keep a process alive
    const lease: Lease = { ttlMs, deadline: performance.now() + ttlMs, timer, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  keepAlive(id: LeaseId): void {
    const lease = this.mustGet(id);
    lease.timer.refresh();
    lease.deadline = performance.now() + lease.ttlMs;
  }

  revoke(id: LeaseId): void {
    if (this.leases.has(id)) this.end(id, 'revoked');
  }

  timeToLive(id: LeaseId): number | undefined {
    const lease = this.leases.get(id);
    return lease ? Math.max(0, Math.round(lease.deadline - performance.now())) : undefined;
  }

  put(key: string, value: unknown, id: LeaseId): void {
    const lease = this.mustGet(id);
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) throw new StoreError('INVALID', `ephemeral value for ${key} is not JSON`);
    const prev = this.entries.get(key);
    if (prev && prev.lease !== id) this.leases.get(prev.lease)?.keys.delete(key);
    lease.keys.add(key);
    this.entries.set(key, { json, lease: id });
    this.persist?.(key, { key, value: json, lease: id, ttlMs: lease.ttlMs });
    this.emit({ key, op: 'put', value: JSON.parse(json) as unknown, lease: id });
  }

  replaceIf(key: string, ifLease: LeaseId, next: { value: unknown; lease: LeaseId } | undefined): boolean {
    if (next !== undefined && JSON.stringify(next.value) === undefined) throw new StoreError('INVALID', `ephemeral value for ${key} is not JSON`);
    if (this.entries.get(key)?.lease !== ifLease) return false;
    if (next === undefined) this.delete(key);
    else this.put(key, next.value, next.lease);
    return true;
  }

  get(key: string): unknown {
    const e = this.entries.get(key);
    return e ? (JSON.parse(e.json) as unknown) : undefined;
  }

  list(prefix: string): Array<{ key: string; value: unknown; lease: LeaseId }> {
    const out: Array<{ key: string; value: unknown; lease: LeaseId }> = [];
    for (const [key, e] of this.entries) {
      if (key.startsWith(prefix)) out.push({ key, value: JSON.parse(e.json) as unknown, lease: e.lease });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.leases.get(e.lease)?.keys.delete(key);
    this.persist?.(key, undefined);
    this.emit({ key, op: 'delete', lease: e.lease, reason: 'deleted' });
  }

  watch(prefix: string, onEvent: (ev: EphemeralEvent) => void): () => void {
    const w: EphemeralWatcher = { prefix, onEvent, active: true };
    this.watchers.add(w);
    return () => {
      w.active = false;
      this.watchers.delete(w);
    };
  }

  close(): void {
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    this.leases.clear();
    this.entries.clear();
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
  }

  private mustGet(id: LeaseId): Lease {
    const lease = this.leases.get(id);
    if (!lease) throw new StoreError('LEASE_NOT_FOUND', `lease ${id} not found (expired or revoked)`);
    return lease;
  }

  private end(id: LeaseId, reason: 'expired' | 'revoked'): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    clearTimeout(lease.timer);
    this.leases.delete(id);
    for (const key of [...lease.keys].sort()) {
      this.entries.delete(key);
      this.persist?.(key, undefined);
      this.emit({ key, op: 'delete', lease: id, reason });
    }
  }

  // Microtasks run FIFO, so events arrive in the order they happened, and never inside the caller's put.
  private emit(ev: EphemeralEvent): void {
    for (const w of this.watchers) {
      if (!ev.key.startsWith(w.prefix)) continue;
      queueMicrotask(() => {
        if (!w.active) return;
        try {
          w.onEvent(ev);
        } catch (e) {
          process.emitWarning(`ephemeral watcher threw on ${ev.key}: ${String(e)}`, 'TrellisStoreWarning');
        }
      });
    }
  }
}
