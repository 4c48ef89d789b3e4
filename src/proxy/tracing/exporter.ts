// Tracing: batches finished spans per collector and posts them through the proxy's own cluster manager.
// The queue is bounded (spans past the cap are dropped and counted); one report is in flight at a time; it
// flushes after flush_interval_ms, as soon as min_flush_spans are queued, and once more on shutdown.
import type { ClusterManager } from '../upstream/types.js';
import type { PoolManager } from '../upstream/pool/pool-manager.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import type { Counter, StatsScope } from '../telemetry/stats.js';
import { asyncHttpCall } from '../upstream/async-client.js';
import type { TracingProviderConfig } from './types.js';
import { encodeOtlp, encodeZipkin, type FinishedSpan } from './span.js';

/** Spans held at most; a collector that is down costs this much memory and no more. */
export const MAX_QUEUED_SPANS = 2048;

export interface ExporterDeps {
  clusters: ClusterManager;
  pools: PoolManager;
  runtime?: RuntimeSource;
  stats: StatsScope;
  /** The node's cluster: Zipkin's localEndpoint.serviceName. */
  localService: string;
  /** Replaces the POST through the cluster manager (tests); `done(ok)` once answered. */
  send?: (req: ExportRequest, done: (ok: boolean) => void) => void;
}

export interface ExportRequest {
  cluster: string;
  path: string;
  authority: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
}

/** What the exporter sends: encoded body plus where it goes. */
interface Target {
  cluster: string;
  path: string;
  authority: string;
  headers: Record<string, string>;
  timeoutMs: number;
  encode(spans: readonly FinishedSpan[]): Buffer;
  runtimePrefix: string;
}

function target(p: TracingProviderConfig, localService: string): Target {
  if (p.kind === 'zipkin') {
    return {
      cluster: p.collectorCluster,
      path: p.collectorEndpoint,
      authority: p.collectorHostname,
      headers: { 'content-type': 'application/json' },
      timeoutMs: 5000,
      encode: (s) => encodeZipkin(s, localService),
      runtimePrefix: 'tracing.zipkin.',
    };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of p.headers) headers[k] = v;
  return {
    cluster: p.cluster,
    path: p.path,
    authority: p.authority,
    headers,
    timeoutMs: p.timeoutMs,
    encode: (s) => encodeOtlp(s, p.serviceName),
    runtimePrefix: 'tracing.opentelemetry.',
  };
}

export class SpanExporter {
  private queue: FinishedSpan[] = [];
  private inFlight = 0;
  private current: Promise<void> | undefined;
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly t: Target;
  private readonly spansSent: Counter;
  private readonly spansDropped: Counter;
  private readonly reportsSent: Counter;
  private readonly reportsFailed: Counter;
  private readonly timerFlushed: Counter;

  constructor(
    provider: TracingProviderConfig,
    private readonly deps: ExporterDeps,
  ) {
    this.t = target(provider, deps.localService);
    const s = deps.stats.scope('tracing', provider.kind);
    this.spansSent = s.counter('spans_sent');
    this.spansDropped = s.counter('spans_dropped');
    this.reportsSent = s.counter('reports_sent');
    this.reportsFailed = s.counter('reports_failed');
    this.timerFlushed = s.counter('timer_flushed');
  }

  private runtimeInt(key: string, dflt: number): number {
    return this.deps.runtime?.snapshot().getInteger(this.t.runtimePrefix + key, dflt) ?? dflt;
  }

  report(span: FinishedSpan): void {
    if (this.closed || this.queue.length >= MAX_QUEUED_SPANS) {
      this.spansDropped.inc();
      return;
    }
    this.queue.push(span);
    // one report in flight at a time: under load the queue fills while it is out, so batches grow on their own
    if (this.inFlight === 0 && this.queue.length >= this.runtimeInt('min_flush_spans', 5)) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, this.runtimeInt('flush_interval_ms', 5000));
      this.timer.unref();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerFlushed.inc();
    void this.flush();
  };

  /** Sends everything queued as one report (or, with one already out, waits for it); resolves when answered. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight > 0) return this.current ?? Promise.resolve(); // what is queued goes when it returns
    const batch = this.queue;
    if (batch.length === 0) return Promise.resolve();
    this.queue = [];
    this.inFlight++;
    const t = this.t;
    const req: ExportRequest = { cluster: t.cluster, path: t.path, authority: t.authority, headers: { ...t.headers }, body: t.encode(batch), timeoutMs: t.timeoutMs };
    this.current = new Promise((resolve) => {
      (this.deps.send ?? this.post)(req, (ok) => {
        this.inFlight--;
        this.current = undefined;
        if (ok) {
          this.reportsSent.inc();
          this.spansSent.inc(batch.length);
        } else {
          this.reportsFailed.inc();
          this.spansDropped.inc(batch.length);
        }
        resolve();
        if (this.queue.length === 0) return;
        if (this.closing || this.queue.length >= this.runtimeInt('min_flush_spans', 5)) void this.flush();
        else if (this.timer === undefined) {
          this.timer = setTimeout(this.onTimer, this.runtimeInt('flush_interval_ms', 5000));
          this.timer.unref();
        }
      });
    });
    return this.current;
  }

  private readonly post = (req: ExportRequest, done: (ok: boolean) => void): void => {
    asyncHttpCall(
      this.deps.clusters,
      this.deps.pools,
      req.cluster,
      { method: 'POST', path: req.path, authority: req.authority, headers: req.headers, body: req.body },
      { timeoutMs: req.timeoutMs, maxResponseBytes: 64 * 1024 },
      (err, res) => done(err === null && res !== undefined && res.status >= 200 && res.status < 300),
    );
  };

  /** Shutdown: one last flush, then spans are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await this.flush(); // the one in flight, if any
    await this.flush(); // what was queued behind it
    this.closed = true;
  }
}
