// HTTP: pre-resolved stat handles for the connection manager, clusters and routes (resolved once, bumped per request).
import type { Counter, Gauge, Histogram, StatsScope } from '../telemetry/stats.js';

/** http.<stat_prefix>.* */
export class HcmStats {
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxHttp1Total: Counter;
  readonly cxHttp2Total: Counter;
  readonly rqTotal: Counter;
  readonly rqActive: Gauge;
  readonly rqHttp1Total: Counter;
  readonly rqHttp2Total: Counter;
  readonly rqCompleted: Counter;
  readonly rqTime: Histogram;
  readonly rqXx: Counter[]; // index = status class 1..5
  readonly noRoute: Counter;
  readonly noCluster: Counter;
  readonly rqDirectResponse: Counter;
  readonly rqRedirect: Counter;
  readonly rqTimeout: Counter;
  readonly rqIdleTimeout: Counter;
  readonly rqRxReset: Counter;
  readonly rqTxReset: Counter;
  readonly rqWsOnNonWsRoute: Counter;
  readonly cxProtocolError: Counter;
  readonly rqFailedPathNormalization: Counter;
  readonly rqRedirectedNormalizedPath: Counter;
  /** `http.<stat_prefix>.`: filters put their stats below it. */
  readonly scope: StatsScope;

  constructor(root: StatsScope, statPrefix: string) {
    const s = root.scope('http', ['envoy_http_conn_manager_prefix', statPrefix]);
    this.scope = s;
    this.cxTotal = s.counter('downstream_cx_total');
    this.cxActive = s.gauge('downstream_cx_active');
    this.cxHttp1Total = s.counter('downstream_cx_http1_total');
    this.cxHttp2Total = s.counter('downstream_cx_http2_total');
    this.rqTotal = s.counter('downstream_rq_total');
    this.rqActive = s.gauge('downstream_rq_active');
    this.rqHttp1Total = s.counter('downstream_rq_http1_total');
    this.rqHttp2Total = s.counter('downstream_rq_http2_total');
    this.rqCompleted = s.counter('downstream_rq_completed');
    this.rqTime = s.histogram('downstream_rq_time');
    this.rqXx = [0, 1, 2, 3, 4, 5].map((c) => s.counter('downstream_rq_xx', ['envoy_response_code_class', String(c)]));
    this.noRoute = s.counter('no_route');
    this.noCluster = s.counter('no_cluster');
    this.rqDirectResponse = s.counter('rq_direct_response');
    this.rqRedirect = s.counter('rq_redirect');
    this.rqTimeout = s.counter('downstream_rq_timeout');
    this.rqIdleTimeout = s.counter('downstream_rq_idle_timeout');
    this.rqRxReset = s.counter('downstream_rq_rx_reset');
    this.rqTxReset = s.counter('downstream_rq_tx_reset');
    this.rqWsOnNonWsRoute = s.counter('downstream_rq_ws_on_non_ws_route');
    this.cxProtocolError = s.counter('downstream_cx_protocol_error');
    this.rqFailedPathNormalization = s.counter('downstream_rq_failed_path_normalization');
    this.rqRedirectedNormalizedPath = s.counter('downstream_rq_redirected_with_normalized_path');
  }
}

/** Upstream request stats of one scope: cluster.<name>.* or vhost.<vh>.route.<route>.* */
export class UpstreamRqStats {
  readonly rqTotal: Counter;
  readonly rqCompleted: Counter;
  readonly rqActive: Gauge;
  readonly rqTime: Histogram;
  readonly rqXx: Counter[];
  readonly rqRetry: Counter;
  readonly rqRetrySuccess: Counter;
  readonly rqRetryLimitExceeded: Counter;
  readonly rqTimeout: Counter;
  readonly rqPerTryTimeout: Counter;
  readonly rqRxReset: Counter;
  readonly rqTxReset: Counter;
  readonly rqMaintenanceMode: Counter;
  readonly noHealthyUpstream: Counter;
  private readonly byCode = new Map<number, Counter>();

  constructor(private readonly scope: StatsScope) {
    this.rqTotal = scope.counter('upstream_rq_total');
    this.rqCompleted = scope.counter('upstream_rq_completed');
    this.rqActive = scope.gauge('upstream_rq_active');
    this.rqTime = scope.histogram('upstream_rq_time');
    this.rqXx = [0, 1, 2, 3, 4, 5].map((c) => scope.counter('upstream_rq_xx', ['envoy_response_code_class', String(c)]));
    this.rqRetry = scope.counter('upstream_rq_retry');
    this.rqRetrySuccess = scope.counter('upstream_rq_retry_success');
    this.rqRetryLimitExceeded = scope.counter('upstream_rq_retry_limit_exceeded');
    this.rqTimeout = scope.counter('upstream_rq_timeout');
    this.rqPerTryTimeout = scope.counter('upstream_rq_per_try_timeout');
    this.rqRxReset = scope.counter('upstream_rq_rx_reset');
    this.rqTxReset = scope.counter('upstream_rq_tx_reset');
    this.rqMaintenanceMode = scope.counter('upstream_rq_maintenance_mode');
    this.noHealthyUpstream = scope.counter('upstream_cx_none_healthy');
  }

  /** Counts one finished upstream response by exact code and by class. */
  response(status: number, timeMs: number): void {
    let c = this.byCode.get(status);
    if (c === undefined) {
      c = this.scope.counter('upstream_rq', ['envoy_response_code', String(status)]);
      this.byCode.set(status, c);
    }
    c.inc();
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) this.rqXx[cls].inc();
    this.rqCompleted.inc();
    this.rqTime.record(timeMs);
  }
}

/** Caches UpstreamRqStats per key object (cluster or route) without keeping it alive. */
export class StatsCache<K extends object> {
  private readonly map = new WeakMap<K, UpstreamRqStats>();
  constructor(private readonly make: (key: K) => StatsScope) {}
  get(key: K): UpstreamRqStats {
    let s = this.map.get(key);
    if (s === undefined) {
      s = new UpstreamRqStats(this.make(key));
      this.map.set(key, s);
    }
    return s;
  }
}
