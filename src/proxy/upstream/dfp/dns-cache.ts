// Upstream DFP: Envoy's dynamic forward proxy DNS cache — one entry per host:port, resolved on first use,
// re-resolved every dns_refresh_rate, purged when unused for host_ttl, bounded by max_hosts.
import { isIP } from 'node:net';
import type { DnsCacheConfig } from '../../config/types.js';
import type { Counter, Gauge, StatsScope } from '../../telemetry/stats.js';
import type { DnsLookup } from '../dns.js';
import { parseAuthority } from './authority.js';

/** What the cache knows about one host:port. */
export interface DnsHostInfo {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** The first address of the last successful answer; undefined until one arrives. Kept when a later lookup fails. */
  address: string | undefined;
  addresses: readonly string[];
  /** Why the host has no address (e.g. "ENOTFOUND", "resolve_timeout"); '' once resolved. */
  details: string;
  /** Clock time of the last use (a request for it), for host_ttl. */
  lastUsed: number;
}

/** Told when a host gets or changes its address, and when it leaves the cache. */
export interface DnsCacheListener {
  onHostAddOrUpdate(info: DnsHostInfo): void;
  onHostRemove(key: string): void;
}

export type LoadResult =
  | { status: 'in-cache'; info: DnsHostInfo }
  /** `onComplete` runs once the lookup ends (the info may still lack an address); cancel() forgets it. */
  | { status: 'loading'; cancel: () => void }
  /** max_hosts reached and this host is not cached. */
  | { status: 'overflow' }
  | { status: 'invalid' };

export interface DnsCacheOptions {
  /** Root stats scope: the cache's counters go under `dns_cache.<name>.`. */
  stats: StatsScope;
  lookup: DnsLookup;
  /** Clock for host_ttl (ms); timers are setTimeout. */
  now?: () => number;
}

interface Entry {
  readonly info: DnsHostInfo;
  waiters: Set<(info: DnsHostInfo) => void>;
  resolving: boolean;
  /** Bumped per lookup: a late answer of an abandoned lookup is ignored. */
  generation: number;
  refreshTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
}

interface CacheStats {
  queryAttempt: Counter;
  querySuccess: Counter;
  queryFailure: Counter;
  queryTimeout: Counter;
  addressChanged: Counter;
  hostAdded: Counter;
  hostRemoved: Counter;
  hostOverflow: Counter;
  pendingOverflow: Counter;
  numHosts: Gauge;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<DnsCacheListener>();
  private readonly stats: CacheStats;
  private readonly now: () => number;
  private readonly lookup: DnsLookup;
  private pending = 0;
  private closed = false;

  constructor(
    readonly config: DnsCacheConfig,
    opts: DnsCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.lookup = opts.lookup;
    const s = opts.stats.scope('dns_cache', config.name);
    this.stats = {
      queryAttempt: s.counter('dns_query_attempt'),
      querySuccess: s.counter('dns_query_success'),
      queryFailure: s.counter('dns_query_failure'),
      queryTimeout: s.counter('dns_query_timeout'),
      addressChanged: s.counter('host_address_changed'),
      hostAdded: s.counter('host_added'),
      hostRemoved: s.counter('host_removed'),
      hostOverflow: s.counter('host_overflow'),
      pendingOverflow: s.counter('dns_rq_pending_overflow'),
      numHosts: s.gauge('num_hosts'),
    };
    for (const h of config.preresolve_hostnames) {
      const parsed = parseAuthority(h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`, h.port);
      if (parsed !== null && !this.entries.has(parsed.key)) this.resolve(this.create(parsed.key, parsed.host, parsed.port));
    }
  }

  /**
   * The entry for `authority` (port defaulting to `defaultPort`): cached with an address, or a lookup
   * that calls `onComplete` when it ends. A cached host whose lookups failed is looked up again.
   */
  load(authority: string, defaultPort: number, onComplete: (info: DnsHostInfo) => void): LoadResult {
    const parsed = parseAuthority(authority, defaultPort);
    if (parsed === null) return { status: 'invalid' };
    let e = this.entries.get(parsed.key);
    if (e !== undefined) {
      e.info.lastUsed = this.now();
      if (e.info.address !== undefined) return { status: 'in-cache', info: e.info };
      // Its lookups failed so far: look again now rather than answer from the failure (Envoy does the same).
      if (!e.resolving) this.resolve(e);
    } else {
      if (this.entries.size >= this.config.max_hosts) {
        this.stats.hostOverflow.inc();
        return { status: 'overflow' };
      }
      e = this.create(parsed.key, parsed.host, parsed.port);
      this.resolve(e);
    }
    const entry = e;
    entry.waiters.add(onComplete);
    return { status: 'loading', cancel: () => entry.waiters.delete(onComplete) };
  }

  /** dns_cache_circuit_breaker: one more request waiting on this cache, or false (counted) at max_pending_requests. */
  tryStartPending(): boolean {
    if (this.pending >= this.config.max_pending_requests) {
      this.stats.pendingOverflow.inc();
      return false;
    }
    this.pending++;
    return true;
  }

  endPending(): void {
    if (this.pending > 0) this.pending--;
  }

  /** A resolved host by key (for the DFP cluster); undefined if unknown or without an address. */
  find(key: string): DnsHostInfo | undefined {
    const info = this.entries.get(key)?.info;
    return info?.address === undefined ? undefined : info;
  }

  /** Marks a host used now (the DFP cluster picked it), pushing back its host_ttl expiry. */
  touch(key: string): void {
    const e = this.entries.get(key);
    if (e !== undefined) e.info.lastUsed = this.now();
  }

  /** Every host that has an address. */
  resolvedHosts(): DnsHostInfo[] {
    const out: DnsHostInfo[] = [];
    for (const e of this.entries.values()) if (e.info.address !== undefined) out.push(e.info);
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  subscribe(listener: DnsCacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) this.clearTimers(e);
    this.entries.clear();
    this.listeners.clear();
  }

  private create(key: string, host: string, port: number): Entry {
    const e: Entry = {
      info: { key, host, port, address: undefined, addresses: [], details: 'not_resolved', lastUsed: this.now() },
      waiters: new Set(),
      resolving: false,
      generation: 0,
      refreshTimer: undefined,
      timeoutTimer: undefined,
    };
    this.entries.set(key, e);
    this.stats.hostAdded.inc();
    this.stats.numHosts.add(1);
    return e;
  }

  private resolve(e: Entry): void {
    if (this.closed) return;
    const gen = ++e.generation;
    e.resolving = true;
    if (e.refreshTimer !== undefined) {
      clearTimeout(e.refreshTimer);
      e.refreshTimer = undefined;
    }
    this.stats.queryAttempt.inc();
    const timeout = this.config.dns_query_timeout;
    if (timeout > 0) {
      e.timeoutTimer = setTimeout(() => {
        this.stats.queryTimeout.inc();
        this.finish(e, gen, undefined, 'resolve_timeout');
      }, timeout);
      e.timeoutTimer.unref?.();
    }
    const host = e.info.host;
    // An IP literal needs no lookup (and must not fail when the family filter disagrees).
    const answer = isIP(host) !== 0 ? Promise.resolve([host]) : this.lookup(host, this.config.dns_lookup_family);
    answer.then(
      (addrs) => this.finish(e, gen, addrs, addrs.length === 0 ? 'no_addresses' : ''),
      (err: unknown) => this.finish(e, gen, undefined, errorDetails(err)),
    );
  }

  private finish(e: Entry, gen: number, addrs: readonly string[] | undefined, details: string): void {
    if (this.closed || gen !== e.generation || this.entries.get(e.info.key) !== e) return;
    e.generation++; // whichever of the answer and the timeout comes second is ignored
    e.resolving = false;
    if (e.timeoutTimer !== undefined) {
      clearTimeout(e.timeoutTimer);
      e.timeoutTimer = undefined;
    }
    const info = e.info;
    if (addrs === undefined) this.stats.queryFailure.inc();
    else this.stats.querySuccess.inc();
    const ok = addrs !== undefined && addrs.length > 0;
    if (ok && !sameList(info.addresses, addrs)) {
      // Once a host has an address it keeps it through failed lookups: only a new answer replaces it.
      info.addresses = [...addrs];
      info.address = addrs[0];
      info.details = '';
      this.stats.addressChanged.inc();
      for (const l of this.listeners) l.onHostAddOrUpdate(info);
    } else if (info.address === undefined) {
      info.details = details;
    }
    const waiters = e.waiters;
    e.waiters = new Set();
    for (const w of waiters) w(info);
    const every = ok ? this.config.dns_refresh_rate : (this.config.dns_failure_refresh_rate ?? this.config.dns_refresh_rate);
    e.refreshTimer = setTimeout(() => this.onRefresh(e), Math.max(1, every));
    e.refreshTimer.unref?.();
  }

  /** Envoy checks host_ttl only here, at refresh time: an unused host goes, a used one is resolved again. */
  private onRefresh(e: Entry): void {
    e.refreshTimer = undefined;
    if (this.closed || this.entries.get(e.info.key) !== e) return;
    if (this.now() - e.info.lastUsed > this.config.host_ttl) this.remove(e);
    else this.resolve(e);
  }

  private remove(e: Entry): void {
    this.clearTimers(e);
    e.generation++;
    this.entries.delete(e.info.key);
    this.stats.hostRemoved.inc();
    this.stats.numHosts.sub(1);
    if (e.info.address !== undefined) for (const l of this.listeners) l.onHostRemove(e.info.key);
    const waiters = e.waiters;
    e.waiters = new Set();
    for (const w of waiters) w(e.info);
  }

  private clearTimers(e: Entry): void {
    if (e.refreshTimer !== undefined) clearTimeout(e.refreshTimer);
    if (e.timeoutTimer !== undefined) clearTimeout(e.timeoutTimer);
    e.refreshTimer = undefined;
    e.timeoutTimer = undefined;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Node's error code (ENOTFOUND, EAI_AGAIN…) as Envoy's response code details, no spaces. */
function errorDetails(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, '_') || 'resolution_failed';
}
