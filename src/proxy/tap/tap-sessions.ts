// Proxy tap: the sessions the control plane started here — matching, a token bucket per session, a bounded queue of events waiting to be sent.
import type { TapEvent, TapMatch } from '../../tap/protocol.js';

/** Events a session keeps waiting for the stream; beyond this they are dropped and counted. */
export const TAP_QUEUE_LIMIT = 1000;

/** What matching needs of a finished request (path without its query). */
export interface TapRequestKey {
  method: string;
  authority: string;
  path: string;
}

export function tapMatches(m: TapMatch, r: TapRequestKey): boolean {
  if (m.method !== undefined && m.method !== '' && m.method.toUpperCase() !== r.method.toUpperCase()) return false;
  if (m.pathPrefix !== undefined && m.pathPrefix !== '' && !r.path.startsWith(m.pathPrefix)) return false;
  if (m.authority !== undefined && m.authority !== '' && m.authority.toLowerCase() !== r.authority.toLowerCase()) return false;
  return true;
}

/** Refills continuously at `rate` per second up to `rate` tokens (a second's burst). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = rate;
    this.last = now();
  }
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Session {
  id: string;
  match: TapMatch;
  bucket: TokenBucket;
  queue: TapEvent[];
  /** Matched but not queued (rate limit or full queue) since the last batch. */
  dropped: number;
}

export interface TapBatch {
  id: string;
  events: TapEvent[];
  dropped: number;
}

/** Counters a test (or an operator via admin /stats) reads. */
export interface TapCounters {
  eventsQueued: number;
  eventsDropped: number;
}

export class TapSessions {
  /** The one check every request pays when nobody taps. */
  active = false;
  private readonly sessions = new Map<string, Session>();
  readonly counters: TapCounters = { eventsQueued: 0, eventsDropped: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  start(id: string, match: TapMatch, maxRps: number): void {
    this.sessions.set(id, { id, match, bucket: new TokenBucket(maxRps, this.now), queue: [], dropped: 0 });
    this.active = true;
  }

  stop(id: string): void {
    this.sessions.delete(id);
    this.active = this.sessions.size > 0;
  }

  stopAll(): void {
    this.sessions.clear();
    this.active = false;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Offers a finished request to every matching session; the event is built at most once, and only when one takes it. */
  offer(key: TapRequestKey, build: () => TapEvent): void {
    let ev: TapEvent | undefined;
    for (const s of this.sessions.values()) {
      if (!tapMatches(s.match, key)) continue;
      if (s.queue.length >= TAP_QUEUE_LIMIT || !s.bucket.take()) {
        s.dropped++;
        this.counters.eventsDropped++;
        continue;
      }
      ev ??= build();
      s.queue.push(ev);
      this.counters.eventsQueued++;
    }
  }

  /** Takes every session's waiting events (sessions with nothing to report are left out). */
  drain(): TapBatch[] {
    const out: TapBatch[] = [];
    for (const s of this.sessions.values()) {
      if (s.queue.length === 0 && s.dropped === 0) continue;
      out.push({ id: s.id, events: s.queue, dropped: s.dropped });
      s.queue = [];
      s.dropped = 0;
    }
    return out;
  }
}
