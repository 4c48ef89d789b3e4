// Serving: per-proxy push queue — merges pending pushes per connection, runs a bounded number at once.
import type { Connection } from './connection.js';

export interface PushJob {
  /** Type URLs to push; undefined = every type the proxy subscribed to. */
  types: Set<string> | undefined;
  /** Earliest trigger time merged into this job (performance.now()). */
  trigger: number;
}

/**
 * One pending job per connection: a new push for a proxy that is already waiting merges into its job
 * (types union, earliest trigger). A connection being pushed can queue its next job meanwhile; jobs of
 * one connection never overlap. Each job runs in its own macrotask and waits for its stream to drain, so
 * a slow proxy delays only itself and ACKs keep being read between jobs.
 */
export class PushQueue {
  private readonly pending = new Map<Connection, PushJob>();
  private readonly order: Connection[] = [];
  private readonly running = new Set<Connection>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly run: (conn: Connection, job: PushJob) => Promise<void>,
  ) {}

  enqueue(conn: Connection, types: Set<string> | undefined, trigger: number): void {
    const job = this.pending.get(conn);
    if (job === undefined) {
      this.pending.set(conn, { types: types === undefined ? undefined : new Set(types), trigger });
      if (!this.running.has(conn)) this.order.push(conn);
    } else {
      if (job.types !== undefined) {
        if (types === undefined) job.types = undefined;
        else for (const t of types) job.types.add(t);
      }
      job.trigger = Math.min(job.trigger, trigger);
    }
    this.pump();
  }

  /** Forget a closed connection's pending job. */
  remove(conn: Connection): void {
    this.pending.delete(conn);
    const i = this.order.indexOf(conn);
    if (i >= 0) this.order.splice(i, 1);
    this.checkIdle();
  }

  get size(): number {
    return this.pending.size + this.running.size;
  }

  /** Resolves when no job is pending or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.order.length > 0) {
      const conn = this.order.shift() as Connection;
      const job = this.pending.get(conn);
      if (job === undefined) continue;
      this.pending.delete(conn);
      this.running.add(conn);
      setImmediate(() => {
        this.run(conn, job)
          .catch(() => {})
          .finally(() => {
            this.running.delete(conn);
            if (this.pending.has(conn)) this.order.push(conn);
            this.pump();
            this.checkIdle();
          });
      });
    }
  }

  private checkIdle(): void {
    if (this.size !== 0 || this.idleWaiters.length === 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
