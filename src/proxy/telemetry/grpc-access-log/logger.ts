// gRPC access log service: one logger per (log type, common_config) in a proxy — a bounded batch of encoded entries
// sent on one long-lived StreamAccessLogs call. Envoy's buffering: a batch goes out when it reaches
// buffer_size_bytes or every buffer_flush_interval; while the stream cannot take it (down, reconnecting, or the server
// reads slowly) the batch is kept up to buffer_size_bytes and entries past that are dropped and counted
// (access_logs.grpc_access_log.logs_dropped). A failed stream is reopened with jittered exponential backoff when
// there is something to send. Nothing here waits for the server: log() returns at once whatever it does.
import type { XdsNode } from '../../../xds/ads-service.js';
import { Backoff } from '../../xds/backoff.js';
import type { Counter, StatsScope } from '../stats.js';
import type { GrpcAccessLogKind } from './config.js';
import { encodeIdentifier, streamMessageFrame } from './message.js';
import type { LogStream, OpenLogStream } from './stream.js';

/** A stream that lived this long was healthy: its failure starts the backoff over. */
const HEALTHY_STREAM_MS = 5000;
/** How long a shutdown waits for the server to close the stream after our last batch. */
export const CLOSE_GRACE_MS = 1000;

export interface GrpcAccessLoggerOptions {
  kind: GrpcAccessLogKind;
  logName: string;
  node: XdsNode;
  flushIntervalMs: number;
  bufferSizeBytes: number;
  open: OpenLogStream;
  /** The root scope (Envoy's access_logs.grpc_access_log.* stats are server-wide). */
  stats: StatsScope;
  now?: () => number;
  random?: () => number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class GrpcAccessLogger {
  private items: Buffer[] = [];
  private bytes = 0;
  private stream: LogStream | null = null;
  private streamOpenedAt = 0;
  private sendIdentifier = false;
  private identifier: Buffer | undefined;
  private retryAt = 0;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private onStreamGone: (() => void) | undefined;
  private readonly written: Counter;
  private readonly dropped: Counter;
  private readonly now: () => number;
  /** Why the last stream ended or could not start (tests, debugging). */
  lastError: string | undefined;
  /** Streams started so far. */
  streamsOpened = 0;

  constructor(private readonly o: GrpcAccessLoggerOptions) {
    const s = o.stats.scope('access_logs', 'grpc_access_log');
    this.written = s.counter('logs_written');
    this.dropped = s.counter('logs_dropped');
    this.now = o.now ?? Date.now;
    this.backoff = new Backoff({ baseMs: o.backoffBaseMs ?? 250, maxMs: o.backoffMaxMs ?? 5000, random: o.random });
  }

  /** Bytes waiting to be sent. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  get connected(): boolean {
    return this.stream !== null;
  }

  /** Room for one more entry: the batch is under the limit (an empty batch takes any one entry, even with a 0 limit). */
  private hasRoom(): boolean {
    return this.items.length === 0 || this.bytes < this.o.bufferSizeBytes;
  }

  /** Takes one encoded log_entry item; drops it (counted) when the batch is full and cannot be sent. */
  log(item: Buffer): void {
    if (this.closed) {
      this.dropped.inc();
      return;
    }
    if (!this.hasRoom()) {
      this.flush();
      if (!this.hasRoom()) {
        this.dropped.inc();
        return;
      }
    }
    this.written.inc();
    this.items.push(item);
    this.bytes += item.length;
    if (this.bytes >= this.o.bufferSizeBytes) this.flush();
    this.schedule();
  }

  /** Sends the batch if a stream can take it now (opening one unless backing off). */
  flush(): void {
    if (this.items.length === 0) return;
    const s = this.stream ?? this.connect();
    if (s === null || (!s.writable && !this.closed)) return;
    const frame = streamMessageFrame(this.sendIdentifier ? this.identifierBytes() : null, this.o.kind, this.items, this.bytes);
    this.sendIdentifier = false;
    this.items = [];
    this.bytes = 0;
    s.write(frame);
  }

  private identifierBytes(): Buffer {
    return (this.identifier ??= encodeIdentifier(this.o.node, this.o.logName));
  }

  private connect(): LogStream | null {
    if (this.now() < this.retryAt) return null;
    // onClosed may come inside open() (a pool that fails at once): then there is no stream to keep
    const holder: { s?: LogStream; early?: string } = {};
    const r = this.o.open({
      onWritable: () => {
        if (holder.s === undefined || this.stream !== holder.s) return;
        this.guarded(() => this.flush());
        this.schedule();
      },
      onClosed: (reason) => {
        if (holder.s === undefined) holder.early = reason;
        else this.streamClosed(holder.s, reason);
      },
    });
    if (typeof r === 'string' || holder.early !== undefined) {
      this.failed(typeof r === 'string' ? r : holder.early!);
      return null;
    }
    holder.s = r;
    this.stream = r;
    this.streamOpenedAt = this.now();
    this.sendIdentifier = true; // the identifier goes in each stream's first message
    this.streamsOpened++;
    return r;
  }

  private streamClosed(s: LogStream, reason: string): void {
    if (this.stream !== s) return;
    this.stream = null;
    if (this.now() - this.streamOpenedAt >= HEALTHY_STREAM_MS) this.backoff.reset();
    this.failed(reason);
    this.onStreamGone?.();
  }

  private failed(reason: string): void {
    this.lastError = reason;
    this.retryAt = this.now() + this.backoff.next();
    this.schedule();
  }

  /** One timer: the flush interval, or (no stream) the end of the backoff. Only while something waits to be sent. */
  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.items.length === 0) return;
    const now = this.now();
    const wait = this.stream === null && this.retryAt > now ? this.retryAt - now : this.o.flushIntervalMs;
    this.timer = setTimeout(this.onTimer, wait);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.guarded(() => this.flush());
    this.schedule();
  };

  /** Flushes from timers and stream events: a bug there must cost the batch, never the process. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.dropped.inc(this.items.length);
      this.items = [];
      this.bytes = 0;
      this.lastError = `flush failed: ${(err as Error).message}`;
      process.emitWarning(`gRPC access log ${this.o.logName}: ${this.lastError}`);
    }
  }

  /** Shutdown: the last batch goes out (one more try, backoff or not), our side of the stream ends, the server gets a grace period. */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.retryAt = 0;
    this.flush();
    if (this.items.length > 0) this.dropped.inc(this.items.length);
    this.items = [];
    this.bytes = 0;
    const s = this.stream;
    if (s === null) return (this.closing = Promise.resolve());
    this.closing = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.stream?.abort();
        resolve();
      }, graceMs); // kept referenced: a shutdown waits for it (it is bounded)
      this.onStreamGone = () => {
        clearTimeout(t);
        resolve();
      };
      s.end();
    });
    return this.closing;
  }
}
