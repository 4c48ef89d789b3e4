// Registry stage: workloads registered by their ADS streams, kept as ephemeral store keys on the replica's lease, and for a grace period after their stream ends.
import { canonicalJson } from '../store/json.js';
import { isStoreError, type ConfigStore, type LeaseId } from '../store/index.js';
import type { ConnectedProxy } from '../xds/types.js';
import type { RegisteredWorkload, RegistryEvent, WorkloadSource } from './types.js';
import { WORKLOAD_PREFIX, isRegisteredWorkload, workloadFromProxy } from './workload.js';

export const DEFAULT_REGISTRATION_GRACE_MS = 10_000;

export interface RegistryOptions {
  /** How long a workload stays registered after its stream is gone (Istio's auto-registration grace period). */
  graceMs?: number;
  log?: (msg: string) => void;
  /** Delays between attempts to register a connected stream the store refused (default 250 ms doubling to 10 s). */
  retry?: { baseMs: number; maxMs: number };
}

/** Where the registry hears about streams: the ADS server's events. */
export interface StreamEvents {
  onConnect(fn: (p: ConnectedProxy) => void): () => void;
  /** `withdrawn`: the proxy ended its stream cleanly (shutting down) rather than losing it. */
  onDisconnect(fn: (p: ConnectedProxy, withdrawn: boolean) => void): () => void;
}

interface Registration {
  workload: RegisteredWorkload;
  /** The replica's lease its key was put on (undefined until the put succeeded). */
  lease?: LeaseId;
  closed: boolean;
  /** The stream ended cleanly (the proxy is shutting down): its key goes at once rather than after the grace. */
  withdrawn?: boolean;
  /** An attempt to put the key is under way (or waiting to retry). */
  establishing?: boolean;
  /** Ends the wait before the next attempt at once (the stream ended, the registry closed). */
  stopWaiting?: () => void;
}

/**
 * The workloads of every open stream share one lease of this replica's (TTL = grace), renewed by one timer: a
 * lease per stream was a keep-alive per sidecar every grace/3 (1,500 a second at 5,000 sidecars), which a busy etcd
 * answered late enough to expire leases and re-register workloads. When a stream ends, its key moves onto a lease of
 * its own that nobody renews, so it goes `graceMs` later; the move (and a clean end's delete) happens only while the
 * key is still on this replica's lease, so a proxy that already reconnected elsewhere keeps its endpoint. A replica
 * that dies stops renewing its lease, and every key still on it goes after the grace period unless re-put first.
 */
export class WorkloadRegistry implements WorkloadSource {
  private readonly graceMs: number;
  private readonly log: (msg: string) => void;
  private readonly retry: { baseMs: number; maxMs: number };
  private readonly byConn = new Map<string, Registration>();
  /** Mirror of the ephemeral keys (key → value and its canonical JSON), so reads are synchronous. */
  private readonly mirror = new Map<string, { workload: RegisteredWorkload; json: string }>();
  private readonly listeners = new Set<(ev: RegistryEvent) => void>();
  private sorted: RegisteredWorkload[] | undefined;
  private unwatch: (() => void) | undefined;
  /** This replica's lease for the keys of its open streams (granted on first use, again after it was lost). */
  private live: Promise<LeaseId> | undefined;
  /** The id `live` resolved to. */
  private liveId: LeaseId | undefined;
  private renewal: NodeJS.Timeout | undefined;
  /** A keep-alive is in flight: the next tick skips rather than queue another behind a slow store. */
  private renewing = false;
  private closed = false;

  constructor(
    private readonly store: ConfigStore,
    opts: RegistryOptions = {},
  ) {
    this.graceMs = opts.graceMs ?? DEFAULT_REGISTRATION_GRACE_MS;
    this.log = opts.log ?? (() => {});
    this.retry = opts.retry ?? { baseMs: 250, maxMs: 10_000 };
  }

  /** Loads what the store holds and follows it (list and watch in one tick, as the store asks). */
  async start(): Promise<void> {
    const existing = await this.store.listEphemeral(WORKLOAD_PREFIX);
    this.unwatch = this.store.watchEphemeral(WORKLOAD_PREFIX, (ev) => this.apply(ev.key, ev.op === 'put' ? ev.value : undefined));
    for (const e of existing) this.apply(e.key, e.value);
  }

  /** Subscribes to a stream source (the ADS server); returns the unsubscribe function. */
  attach(events: StreamEvents): () => void {
    const off1 = events.onConnect((p) => void this.register(p));
    const off2 = events.onDisconnect((p, withdrawn) => this.unregister(p, withdrawn));
    return () => {
      off1();
      off2();
    };
  }

  /** A stream opened: put its workload on this replica's lease (no-op for nodes that cannot be endpoints). */
  async register(proxy: ConnectedProxy): Promise<void> {
    const workload = workloadFromProxy(proxy);
    if (workload === undefined) return;
    const reg: Registration = { workload, closed: false };
    this.byConn.set(proxy.connId, reg);
    await this.establish(reg);
  }

  /**
   * Puts the stream's workload on this replica's lease, retrying with backoff while the stream is open: a store that
   * is slow or briefly unreachable (a connection storm, an etcd election) must not leave a connected proxy out of the
   * endpoints for the life of its stream. A put that lands after the stream ended is parted at once.
   */
  private async establish(reg: Registration): Promise<void> {
    if (reg.establishing === true) return;
    reg.establishing = true;
    try {
      for (let attempt = 0; ; attempt++) {
        let lease: LeaseId | undefined;
        try {
          lease = await this.liveLease();
          await this.store.putWithLease(reg.workload.key, reg.workload, lease);
          reg.lease = lease;
          if (attempt > 0) this.log(`registry: registered ${reg.workload.key} after ${attempt + 1} attempts`);
          if (reg.closed) this.release(reg);
          return;
        } catch (e) {
          if (isStoreError(e, 'CLOSED')) return;
          if (isStoreError(e, 'LEASE_NOT_FOUND') && lease !== undefined) this.lost(lease);
          // the first failure says why; a storm of them would only drown the log
          if (attempt === 0) this.log(`registry: registering ${reg.workload.key} failed (${e instanceof Error ? e.message : String(e)}); retrying while its stream is open`);
        }
        if (reg.closed) return;
        if (!(await this.backoff(reg, attempt))) return;
      }
    } finally {
      reg.establishing = false;
    }
  }

  /** Exponential from `retry.baseMs`, capped at `retry.maxMs`. */
  private retryDelay(attempt: number): number {
    return Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** Math.min(attempt, 16));
  }

  /** Waits before attempt `attempt + 1`; false once the stream ended meanwhile. */
  private async backoff(reg: Registration, attempt: number): Promise<boolean> {
    const delay = this.retryDelay(attempt) * (0.5 + Math.random() / 2);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      reg.stopWaiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    reg.stopWaiting = undefined;
    return !reg.closed;
  }

  /**
   * A stream ended: its key goes `graceMs` from now (at once if `withdrawn`: the proxy said it is leaving) — unless
   * another live stream here registered the same workload: the key stays with that one, so a stream that ends (an
   * impostor's, or an old one after a reconnect) never withdraws an endpoint a connected proxy holds.
   */
  unregister(proxy: ConnectedProxy, withdrawn = false): void {
    const reg = this.byConn.get(proxy.connId);
    if (reg === undefined) return;
    this.byConn.delete(proxy.connId);
    reg.closed = true;
    reg.withdrawn = withdrawn;
    reg.stopWaiting?.();
    if (reg.lease !== undefined) this.release(reg);
  }

  /** An ended stream's key: back to a live stream of the same workload if there is one, else parted. */
  private release(reg: Registration): void {
    const live = [...this.byConn.values()].find((r) => r.workload.key === reg.workload.key && r.lease !== undefined);
    if (live === undefined) return this.part(reg);
    this.store.putWithLease(live.workload.key, live.workload, live.lease!).catch((e: unknown) => {
      this.log(`registry: keeping ${live.workload.key} on its live stream failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /**
   * Takes an ended stream's key off this replica's lease: onto a lease of its own that expires after the grace
   * period, or deleted when withdrawn — only while it is still on our lease. Retried until done: a key left on the
   * replica's lease would stay as long as the replica lives.
   */
  private part(reg: Registration): void {
    const from = reg.lease!;
    const key = reg.workload.key;
    void (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          const next = reg.withdrawn === true ? undefined : { value: reg.workload, lease: await this.store.grantLease(this.graceMs) };
          await this.store.replaceEphemeralIf(key, from, next);
          return;
        } catch (e) {
          if (isStoreError(e, 'CLOSED')) return;
          if (attempt === 0) this.log(`registry: ${reg.withdrawn === true ? 'withdrawing' : 'releasing'} ${key} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
        }
        await new Promise((r) => setTimeout(r, this.retryDelay(attempt)).unref());
      }
    })();
  }

  /** This replica's lease, granted (and its renewal started) on first use. */
  private liveLease(): Promise<LeaseId> {
    if (this.live === undefined) {
      const granting = this.store.grantLease(this.graceMs);
      this.live = granting;
      granting.then(
        (id) => {
          if (this.live === granting) this.liveId = id;
        },
        () => {
          if (this.live === granting) this.live = undefined;
        },
      );
    }
    if (this.renewal === undefined) {
      this.renewal = setInterval(() => void this.renew(), Math.max(10, Math.floor(this.graceMs / 3)));
      this.renewal.unref();
    }
    return this.live;
  }

  /** `lease` ran out (the process stalled past its TTL, or etcd lost it): a new one, and every open stream on it. */
  private lost(lease: LeaseId): void {
    if (this.liveId === lease) {
      this.live = undefined;
      this.liveId = undefined;
    }
    for (const reg of this.byConn.values()) {
      if (reg.lease !== lease) continue;
      reg.lease = undefined;
      void this.establish(reg);
    }
  }

  private async renew(): Promise<void> {
    // a store slower than the renewal interval would otherwise collect one waiting keep-alive per tick
    if (this.renewing || this.live === undefined) return;
    this.renewing = true;
    let lease: LeaseId | undefined;
    try {
      lease = await this.live;
      await this.store.keepAlive(lease);
    } catch (e) {
      if (isStoreError(e, 'LEASE_NOT_FOUND') && lease !== undefined) this.lost(lease);
    } finally {
      this.renewing = false;
    }
  }

  workloads(): readonly RegisteredWorkload[] {
    if (this.sorted === undefined) {
      this.sorted = [...this.mirror.values()].map((e) => e.workload).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    return this.sorted;
  }

  onChange(fn: (ev: RegistryEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Stops renewing and the watch; the keys stay until this replica's lease runs out (or the store closes). */
  close(): void {
    this.closed = true;
    for (const reg of this.byConn.values()) {
      reg.closed = true; // ends any registration still retrying
      reg.stopWaiting?.();
    }
    this.byConn.clear();
    if (this.renewal !== undefined) clearInterval(this.renewal);
    this.renewal = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private apply(key: string, value: unknown): void {
    if (value === undefined) {
      if (!this.mirror.delete(key)) return;
      this.changed({ kind: 'endpoints', key, op: 'delete' });
      return;
    }
    if (!isRegisteredWorkload(value)) return;
    const json = canonicalJson(value);
    if (this.mirror.get(key)?.json === json) return; // a reconnect re-putting the same workload changes nothing
    this.mirror.set(key, { workload: value, json });
    this.changed({ kind: 'endpoints', key, op: 'put' });
  }

  private changed(ev: RegistryEvent): void {
    this.sorted = undefined;
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch (e) {
        this.log(`registry: listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
