// Telemetry: the control plane's own scrape of its proxies' Istio metrics (`/stats/prometheus` on each proxy's
// announced TRELLIS_PROMETHEUS_PORT), every interval, bounded in time and size; and the Prometheus file_sd target list.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { ProxyNode } from '../model/types.js';
import { MeshMetrics } from './mesh-metrics.js';
import { parsePrometheusText } from './prom-text.js';

export interface ScrapeTarget {
  id: string;
  node: ProxyNode;
  /** The ADS stream's peer address as grpc-js reports it (`127.0.0.1:53522`, `[::1]:53522`): the host scraped. */
  peer: string;
}

export interface ScraperOptions {
  intervalMs: number;
  /** False: only the file_sd list is kept (--metrics-interval 0 with --prometheus-sd-file). */
  scrape: boolean;
  retentionMs: number;
  /** Connected proxies now. */
  targets(): ScrapeTarget[];
  /** Prometheus file_sd JSON written here (atomically) whenever the target list changes. */
  sdFile?: string;
  timeoutMs?: number;
  maxBytes?: number;
  log?: (msg: string) => void;
  now?: () => number;
}

/** The host of a `host:port` / `[v6]:port` peer address (grpc-js may prefix `ipv4:` / `ipv6:`). */
export function peerHost(peer: string): string | undefined {
  const m = /^(?:ipv[46]:)?(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):\d+$/.exec(peer);
  return m === null ? undefined : (m[1] ?? m[2]);
}

/**
 * Where a proxy's metrics are read: the address its ADS stream came from, not the INSTANCE_IPS it announces (a claim
 * would let any proxy point the control plane's scraper at another host), at the port it announced.
 */
function scrapeAddress(t: ScrapeTarget): string | undefined {
  const host = peerHost(t.peer);
  if (t.node.prometheusPort === undefined || host === undefined) return undefined;
  return `${host.includes(':') ? `[${host}]` : host}:${t.node.prometheusPort}`;
}

/** GET the text, or undefined on any failure (timeout, status, too large): a proxy's bad day is not the control plane's. */
export function fetchMetrics(address: string, timeoutMs: number, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(`http://${address}/stats/prometheus`, { timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(undefined);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy();
          resolve(undefined);
        } else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** file_sd: one target group per proxy, labelled with its identity (Prometheus adds them to every series scraped). */
export function sdTargets(targets: readonly ScrapeTarget[]): object[] {
  return targets
    .flatMap((t) => {
      const address = scrapeAddress(t);
      if (address === undefined) return [];
      // __metrics_path__ is Prometheus's own label for the path to scrape
      const labels: Record<string, string> = { __metrics_path__: '/stats/prometheus', namespace: t.node.namespace, workload: t.node.workloadName, proxy_id: t.id, proxy_type: t.node.type };
      if (t.node.labels.app !== undefined) labels.app = t.node.labels.app;
      if (t.node.labels.version !== undefined) labels.version = t.node.labels.version;
      return [{ targets: [address], labels }];
    })
    .sort((a, b) => a.targets[0]!.localeCompare(b.targets[0]!));
}

export class MetricsScraper {
  readonly metrics: MeshMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastSd = '';
  private readonly now: () => number;

  constructor(private readonly opts: ScraperOptions) {
    this.metrics = new MeshMetrics({ intervalMs: opts.intervalMs, retentionMs: opts.retentionMs });
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** One round: every target in parallel; a round still running when the next is due is not overlapped. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const targets = this.opts.targets();
      await this.writeSd(targets);
      if (!this.opts.scrape) return;
      const seen = new Set<string>();
      await Promise.all(
        targets.map(async (t) => {
          const address = scrapeAddress(t);
          if (address === undefined) return;
          seen.add(t.id);
          const text = await fetchMetrics(address, this.opts.timeoutMs ?? Math.min(2000, this.opts.intervalMs), this.opts.maxBytes ?? 8 << 20);
          if (text === undefined) return;
          const { samples, truncated } = parsePrometheusText(text, 'istio_');
          if (truncated) this.opts.log?.(`metrics: ${t.id} exposes too many istio series; only the first were read`);
          this.metrics.ingest(t.id, samples, this.now());
        }),
      );
      this.metrics.retain(seen);
    } finally {
      this.running = false;
    }
  }

  private async writeSd(targets: readonly ScrapeTarget[]): Promise<void> {
    const file = this.opts.sdFile;
    if (file === undefined) return;
    const text = `${JSON.stringify(sdTargets(targets), null, 2)}\n`;
    if (text === this.lastSd) return;
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
      await fs.writeFile(tmp, text);
      await fs.rename(tmp, file); // Prometheus never reads a half-written list
      this.lastSd = text;
    } catch (e) {
      this.opts.log?.(`metrics: cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
