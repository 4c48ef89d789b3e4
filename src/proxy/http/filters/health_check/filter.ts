// HTTP filters: envoy.filters.http.health_check — answers health checks locally (200, or 503 while the server fails
// health checks or a cluster has too few healthy hosts) or passes them upstream with an optional cached answer.
import type { HeaderMap } from '../../../router/types.js';
import type { ClusterManager } from '../../../upstream/types.js';
import type { DataStatus, FilterCallbacks, HeadersStatus, HttpFilter, HttpFilterFactory, RequestHead, ResponseHead, TrailersStatus } from '../../filter/api.js';
import type { HttpFilterContext } from '../../filter/registry.js';
import { CompiledHeaderMatcher, matchAllHeaders } from '../../../router/header-matcher.js';
import { Flag } from '../../local-reply.js';
import type { HealthCheckConfig } from './config.js';

/**
 * Pass-through mode with cache_time: the last upstream answer is reused until the window it arrived in ends.
 * Envoy clears the cache on a timer every cache_time from start-up; the window index computes the same thing on use.
 */
export class HealthCheckCache {
  private window = -1;
  private status = 200;
  private degraded = false;
  private readonly start: number;

  constructor(
    private readonly cacheTimeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  private currentWindow(): number {
    return Math.floor((this.now() - this.start) / this.cacheTimeMs);
  }

  useCachedResponse(): boolean {
    return this.window === this.currentWindow();
  }

  cached(): { status: number; degraded: boolean } {
    return { status: this.status, degraded: this.degraded };
  }

  set(status: number, degraded: boolean): void {
    this.status = status;
    this.degraded = degraded;
    this.window = this.currentWindow();
  }
}

/** 503 unless every listed cluster has at least its minimum % of hosts healthy or degraded (Envoy's membership stats). */
export function clustersHealthy(clusters: ClusterManager, minimums: Readonly<Record<string, number>>): boolean {
  for (const [name, min] of Object.entries(minimums)) {
    const c = clusters.get(name);
    if (c === undefined) return false; // an unknown cluster counts as unhealthy
    const total = c.stats.gauge('membership_total').value();
    if (total === 0) {
      if (min === 0) continue; // an empty cluster is fine only for a 0% minimum
      return false;
    }
    const up = c.stats.gauge('membership_healthy').value() + c.stats.gauge('membership_degraded').value();
    if (up < (total * min) / 100) return false;
  }
  return true;
}

export function healthCheckFilterFactory(config: HealthCheckConfig, ctx: HttpFilterContext): HttpFilterFactory {
  const shared = {
    config,
    headers: config.headers.map((h, i) => new CompiledHeaderMatcher(h, `headers[${i}]`, [])),
    cache: config.pass_through_mode && config.cache_time > 0 ? new HealthCheckCache(config.cache_time) : undefined,
    clusters: ctx.clusters,
  };
  return (cb) => new HealthCheckFilter(shared, cb);
}

type Shared = {
  readonly config: HealthCheckConfig;
  readonly headers: readonly CompiledHeaderMatcher[];
  readonly cache: HealthCheckCache | undefined;
  readonly clusters: ClusterManager;
};

class HealthCheckFilter implements HttpFilter {
  /** The request is a health check (it matched the headers). */
  private isHealthCheck = false;
  /** This filter answers it (not passed upstream). */
  private handling = false;

  constructor(
    private readonly shared: Shared,
    private readonly cb: FilterCallbacks,
  ) {}

  private failing(): boolean {
    return this.cb.stream.cm.ctx.health?.healthCheckFailed() ?? false;
  }

  decodeHeaders(_req: RequestHead, endStream: boolean): HeadersStatus {
    const s = this.shared;
    if (matchAllHeaders(s.headers, this.cb.stream)) {
      this.isHealthCheck = true;
      // answered here unless passing through — and even then while failing or while a cached answer is fresh
      this.handling = !s.config.pass_through_mode || this.failing() || (s.cache?.useCachedResponse() ?? false);
    }
    if (endStream && this.handling) this.complete();
    return this.handling ? 'stop' : 'continue';
  }

  decodeData(_data: Buffer, endStream: boolean): DataStatus {
    if (!this.handling) return 'continue';
    if (endStream) this.complete();
    return 'stop'; // the body of a health check we answer is dropped
  }

  decodeTrailers(): TrailersStatus {
    if (!this.handling) return 'continue';
    this.complete();
    return 'stop';
  }

  encodeHeaders(res: ResponseHead): HeadersStatus {
    if (this.isHealthCheck) {
      this.shared.cache?.set(res.status, res.headers['x-envoy-degraded'] !== undefined);
      res.headers['x-envoy-upstream-healthchecked-cluster'] = this.serviceCluster();
    } else if (this.failing()) {
      res.headers['x-envoy-immediate-health-check-fail'] = 'true';
    }
    return 'continue';
  }

  private serviceCluster(): string {
    return this.cb.stream.cm.ctx.health?.serviceCluster ?? '';
  }

  private complete(): void {
    const s = this.shared;
    let status = 200;
    let degraded = false;
    if (this.failing()) status = 503;
    else if (s.cache !== undefined) ({ status, degraded } = s.cache.cached());
    else if (!clustersHealthy(s.clusters, s.config.cluster_min_healthy_percentages)) status = 503;
    // this reply does not pass our own encodeHeaders, so the header it would add is set here
    const headers: HeaderMap = { 'x-envoy-upstream-healthchecked-cluster': this.serviceCluster() };
    if (degraded) headers['x-envoy-degraded'] = '';
    this.cb.sendLocalReply(status, '', { headers, ...(status < 200 || status >= 300 ? { flag: Flag.FailedLocalHealthCheck } : {}) });
  }
}
