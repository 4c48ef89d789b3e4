// Control plane / config store: revision watchers — catch-up from history, then live events, in order, never inside a commit.
import type { Revision, WatchEvent } from './types.js';

interface Watcher {
  /** The next revision this watcher must receive; every revision below it has been delivered. */
  next: Revision;
  onEvent: (ev: WatchEvent) => void;
  active: boolean;
}

// A few recent events stay built so live delivery to many watchers does not re-read storage.
const RECENT = 64;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private readonly recent = new Map<Revision, WatchEvent>();
  private scheduled = false;
  private closed = false;
  /** The difference event of the last jump (see jumped): its revision's own rows are not what changed for a watcher. */
  private jump: WatchEvent | undefined;

  constructor(
    private readonly current: () => Revision,
    private readonly load: (revision: Revision) => WatchEvent,
  ) {}

  add(fromRevision: Revision, onEvent: (ev: WatchEvent) => void): () => void {
    const w: Watcher = { next: Math.max(1, Math.floor(fromRevision)), onEvent, active: !this.closed };
    if (!w.active) return () => {};
    this.watchers.add(w);
    this.schedule();
    return () => {
      w.active = false;
      this.watchers.delete(w);
    };
  }

  /** Called after each commit with the event it created. */
  published(ev: WatchEvent): void {
    this.recent.set(ev.revision, ev);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value as Revision);
    this.schedule();
  }

  /**
   * History below `ev.revision` is gone (a mirror took the state at the compaction floor after falling behind it;
   * the caller delivered what was pending first, see drainTo): every watcher gets `ev`, the difference, next.
   */
  jumped(ev: WatchEvent): void {
    this.jump = ev;
    this.recent.clear();
    for (const w of this.watchers) if (w.next <= ev.revision) w.next = ev.revision;
    this.schedule();
  }

  /** Delivers every revision up to `upTo` now (before the history holding them goes). */
  drainTo(upTo: Revision): void {
    this.drain(upTo);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
    this.recent.clear();
  }

  // Delivery runs in a microtask: a commit returns before any watcher runs, and a watcher that commits
  // from its callback gets that revision in the next round, still in order.
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(upTo = this.current()): void {
    this.scheduled = false;
    if (this.closed) return;
    for (const w of [...this.watchers]) {
      while (w.active && w.next <= upTo) {
        const ev = this.eventAt(w.next);
        w.next++;
        try {
          w.onEvent(ev);
        } catch (e) {
          // One broken watcher must not stop the others or the store; surface it without crashing.
          process.emitWarning(`config store watcher threw at revision ${ev.revision}: ${String(e)}`, 'TrellisStoreWarning');
        }
        if (this.closed) return;
      }
    }
  }

  private eventAt(revision: Revision): WatchEvent {
    if (this.jump?.revision === revision) return this.jump;
    return this.recent.get(revision) ?? this.load(revision);
  }
}
