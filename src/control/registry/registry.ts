// Registry stage: workloads registered by their ADS streams, kept as ephemeral store keys on a lease that outlives the stream by a grace period.
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
  lease?: LeaseId;
  keepAlive?: NodeJS.Timeout;
  closed: boolean;
  /** An attempt to grant the lease and put the key is under way (or waiting to retry). */
  establishing?: boolean;
  /** Ends the wait before the next attempt at once (the stream ended, the registry closed). */
  stopWaiting?: () => void;
  /** A keep-alive is in flight: the next tick skips rather than queue another behind a slow store. */
  renewing?: boolean;
}

/**
 * One lease per stream, TTL = grace, kept alive while the stream is open. When the stream ends the keep-alive stops
 * (after one last renewal, so the grace counts from the disconnect) and the store drops the key when the lease
 * runs out. A reconnect puts the same key on its new lease, which takes it over, so the old lease's expiry no
 * longer touches it — a brief stream break never removes an endpoint.
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

  /** A stream opened: grant its lease and put its workload (no-op for nodes that cannot be endpoints). */
  async register(proxy: ConnectedProxy): Promise<void> {
    const workload = workloadFromProxy(proxy);
    if (workload === undefined) return;
    const reg: Registration = { workload, closed: false };
    this.byConn.set(proxy.connId, reg);
    await this.establish(reg);
  }

  /**
   * Grants the stream's lease and puts its workload, retrying with backoff while the stream is open: a store that is
   * slow or briefly unreachable (a connection storm, an etcd election) must not leave a connected proxy out of the
   * endpoints for the life of its stream. An attempt under way when the stream ends still completes, so the workload
   * gets its grace period (the lease is then simply not renewed).
   */
  private async establish(reg: Registration): Promise<void> {
    if (reg.establishing === true) return;
    reg.establishing = true;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          reg.lease ??= await this.store.grantLease(this.graceMs);
          await this.store.putWithLease(reg.workload.key, reg.workload, reg.lease);
          if (attempt > 0) this.log(`registry: registered ${reg.workload.key} after ${attempt + 1} attempts`);
          if (!reg.closed && reg.keepAlive === undefined) {
            const every = Math.max(10, Math.floor(this.graceMs / 3));
            reg.keepAlive = setInterval(() => void this.renew(reg), every);
            reg.keepAlive.unref();
          }
          return;
        } catch (e) {
          if (isStoreError(e, 'CLOSED')) return;
          if (isStoreError(e, 'LEASE_NOT_FOUND')) reg.lease = undefined;
          // the first failure says why; a storm of them would only drown the log
          if (attempt === 0) this.log(`registry: registering ${reg.workload.key} failed (${e instanceof Error ? e.message : String(e)}); retrying while its stream is open`);
        }
        if (reg.closed) return;
        const delay = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** Math.min(attempt, 16)) * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          reg.stopWaiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        reg.stopWaiting = undefined;
        if (reg.closed) return;
      }
    } finally {
      reg.establishing = false;
    }
  }

  /**
   * A stream ended: stop renewing; the key goes when the lease expires, `graceMs` from now — unless another live
   * stream registered the same workload: the key moves back to that stream's lease, so a stream that ends (an
   * impostor's, or an old one after a reconnect) never withdraws an endpoint a connected proxy holds.
   */
  unregister(proxy: ConnectedProxy, withdrawn = false): void {
    const reg = this.byConn.get(proxy.connId);
    if (reg === undefined) return;
    this.byConn.delete(proxy.connId);
    reg.closed = true;
    reg.stopWaiting?.();
    if (reg.keepAlive !== undefined) clearInterval(reg.keepAlive);
    const live = [...this.byConn.values()].find((r) => r.workload.key === reg.workload.key && r.lease !== undefined);
    if (withdrawn && live === undefined && reg.lease !== undefined) {
      // the proxy said it is leaving: no grace period, its endpoint goes in the next push
      this.store.revokeLease(reg.lease).catch((e: unknown) => this.log(`registry: withdrawing ${reg.workload.key} failed: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (reg.lease !== undefined) void this.renew(reg);
    if (live !== undefined) {
      this.store.putWithLease(live.workload.key, live.workload, live.lease!).catch((e: unknown) => {
        this.log(`registry: keeping ${live.workload.key} on its live stream failed: ${e instanceof Error ? e.message : String(e)}`);
      });
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

  /** Stops timers and the watch; the keys stay until their leases run out (or the store closes). */
  close(): void {
    for (const reg of this.byConn.values()) {
      reg.closed = true; // ends any registration still retrying
      reg.stopWaiting?.();
      if (reg.keepAlive !== undefined) clearInterval(reg.keepAlive);
    }
    this.byConn.clear();
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private async renew(reg: Registration): Promise<void> {
    // a store slower than the renewal interval (etcd under a connection storm) would otherwise collect one waiting
    // keep-alive per tick per stream: tens of thousands in a replica holding 1,667 streams
    if (reg.lease === undefined || reg.renewing === true) return;
    reg.renewing = true;
    try {
      await this.store.keepAlive(reg.lease);
    } catch (e) {
      if (isStoreError(e, 'CLOSED')) return;
      if (!isStoreError(e, 'LEASE_NOT_FOUND') || reg.closed) return;
      // the lease is gone while the stream is alive (e.g. the process stalled past the TTL): register again
      reg.lease = undefined;
      await this.establish(reg);
    } finally {
      reg.renewing = false;
    }
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
