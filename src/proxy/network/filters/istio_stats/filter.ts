// Network filters: istio.stats on a TCP chain — Istio's TCP metrics (connections opened and closed, bytes sent and
// received), labelled with both workloads once the metadata exchange has run. A connection's counts are reported
// every tcp_reporting_duration while it is open and once more when it closes, so long-lived connections show progress.
// The bytes are tcp_proxy's own counts (in the connection's state): the filter never touches the byte stream.
import type { NetworkFilter, NetworkFilterCallbacks, NetworkFilterFactory } from '../../api.js';
import type { NetworkFilterContext } from '../../registry.js';
import { connectionState } from '../../connection-state.js';
import { DEFAULT_MAX_SERIES, IstioSeriesTable, LABEL_INDEX, metricShape, type IstioLabel, type IstioMetricName } from '../../../telemetry/istio-metrics.js';
import { ConnectionPrincipals, DestinationServices, edgeLabelValues, principalOf, type Principals } from '../../../telemetry/istio-edge-labels.js';
import type { IstioStatsConfig } from '../../../telemetry/istio-stats-config.js';
import { localPeer, UNKNOWN } from '../../../telemetry/peer-info.js';
import type { Counter } from '../../../telemetry/stats.js';

/** Labels Istio's TCP metrics do not have. */
const NOT_TCP: readonly IstioLabel[] = ['response_code', 'grpc_response_status'];
const NO_VALUES: readonly string[] = [];

type TableName = 'opened' | 'closed' | 'sent' | 'received';
const METRICS: Readonly<Record<TableName, IstioMetricName>> = {
  opened: 'istio_tcp_connections_opened_total',
  closed: 'istio_tcp_connections_closed_total',
  sent: 'istio_tcp_sent_bytes_total',
  received: 'istio_tcp_received_bytes_total',
};

/** What one filter config shares between its connections: the tables, and the report timer while any is open. */
class IstioTcpStats {
  readonly outbound: boolean;
  private readonly tables: Partial<Record<TableName, IstioSeriesTable<Counter>>> = {};
  /** Values of each table's configured dimensions: literals; request attributes do not exist on TCP ('unknown'). */
  private readonly extra: Partial<Record<TableName, readonly string[]>> = {};
  private readonly services = new DestinationServices();
  private readonly principals: ConnectionPrincipals;
  private readonly live = new Set<TcpConnectionStats>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cfg: IstioStatsConfig,
    ctx: NetworkFilterContext,
  ) {
    this.outbound = cfg.reporter === 'CLIENT' || cfg.reporter === 'SERVER_GATEWAY';
    this.principals = new ConnectionPrincipals(this.outbound);
    const overflow = ctx.stats.counter('istio_stats', 'series_overflow');
    for (const [k, name] of Object.entries(METRICS) as [TableName, IstioMetricName][]) {
      const { shape, exprs } = metricShape(cfg.metrics, name, NOT_TCP);
      if (shape.drop) continue;
      this.tables[k] = new IstioSeriesTable<Counter>(ctx.stats, name, 'counter', shape, DEFAULT_MAX_SERIES, overflow);
      this.extra[k] = exprs.map((d) => (d.kind === 'literal' ? d.value : UNKNOWN));
    }
  }

  open(c: TcpConnectionStats): void {
    this.live.add(c);
    this.timer ??= setInterval(() => {
      for (const x of this.live) this.report(x, false);
    }, this.cfg.tcpReportingMs).unref();
  }

  close(c: TcpConnectionStats): void {
    if (!this.live.delete(c)) return; // an earlier filter closed it before it opened here
    this.report(c, true);
    if (this.live.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Adds what the connection did since its last report (and opened/closed) to its series. */
  private report(c: TcpConnectionStats, closing: boolean): void {
    const v = this.labelValues(c);
    const series = (k: TableName): Counter | undefined => this.tables[k]?.get(v, this.extra[k] ?? NO_VALUES);
    if (!c.reported) {
      c.reported = true;
      series('opened')?.inc();
    }
    const state = connectionState(c.cb.info);
    if (state.bytesReceived > c.reportedRx) series('received')?.inc(state.bytesReceived - c.reportedRx);
    if (state.bytesSent > c.reportedTx) series('sent')?.inc(state.bytesSent - c.reportedTx);
    c.reportedRx = state.bytesReceived;
    c.reportedTx = state.bytesSent;
    if (closing) series('closed')?.inc();
  }

  private labelValues(c: TcpConnectionStats): string[] {
    const info = c.cb.info;
    const state = connectionState(info);
    const me = localPeer();
    let principals: Principals;
    let service;
    if (this.outbound) {
      // the client's downstream is its own app: the identities are on the upstream TLS connection
      principals = { source: principalOf(state.upstreamLocalUriSans), destination: principalOf(state.upstreamPeerUriSans), policy: UNKNOWN };
      service = this.services.get(state.upstreamCluster, undefined, '');
    } else {
      principals = this.principals.get(info);
      service = this.services.get('', me, '');
    }
    const v = edgeLabelValues(this.outbound, me, this.outbound ? state.upstreamPeer : state.downstreamPeer, principals, service, 'tcp');
    v[LABEL_INDEX.response_flags] = state.responseFlags;
    return v;
  }
}

/** One connection: what tcp_proxy counted at its last report. Received = from the downstream, sent = to it (Istio's). */
class TcpConnectionStats implements NetworkFilter {
  reportedRx = 0;
  reportedTx = 0;
  reported = false;

  constructor(
    private readonly stats: IstioTcpStats,
    readonly cb: NetworkFilterCallbacks,
  ) {}

  onNewConnection(): 'continue' {
    if (this.stats.outbound) connectionState(this.cb.info).wantsUpstreamSans = true;
    this.stats.open(this);
    return 'continue';
  }

  onDestroy(): void {
    this.stats.close(this);
  }
}

export function istioTcpStatsFactory(cfg: IstioStatsConfig, ctx: NetworkFilterContext): NetworkFilterFactory {
  const stats = new IstioTcpStats(cfg, ctx);
  return (cb: NetworkFilterCallbacks): NetworkFilter => new TcpConnectionStats(stats, cb);
}
