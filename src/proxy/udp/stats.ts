// UDP proxy: Envoy's udp_proxy stats — udp.<stat_prefix>.* for the downstream side, cluster.<name>.udp.* (and a few
// standard cluster counters) for the upstream side, resolved once per filter / per cluster.
import type { Counter, Gauge, StatsScope } from '../telemetry/stats.js';
import type { UpstreamCluster } from '../upstream/types.js';

export interface UdpDownstreamStats {
  sessTotal: Counter;
  sessActive: Gauge;
  rxDatagrams: Counter;
  rxBytes: Counter;
  rxErrors: Counter;
  txDatagrams: Counter;
  txBytes: Counter;
  txErrors: Counter;
  noRoute: Counter;
  idleTimeout: Counter;
}

export function udpDownstreamStats(root: StatsScope, statPrefix: string): UdpDownstreamStats {
  const s = root.scope('udp', ['envoy_udp_prefix', statPrefix]);
  return {
    sessTotal: s.counter('downstream_sess_total'),
    sessActive: s.gauge('downstream_sess_active'),
    rxDatagrams: s.counter('downstream_sess_rx_datagrams'),
    rxBytes: s.counter('downstream_sess_rx_bytes'),
    rxErrors: s.counter('downstream_sess_rx_errors'),
    txDatagrams: s.counter('downstream_sess_tx_datagrams'),
    txBytes: s.counter('downstream_sess_tx_bytes'),
    txErrors: s.counter('downstream_sess_tx_errors'),
    noRoute: s.counter('downstream_sess_no_route'),
    idleTimeout: s.counter('idle_timeout'),
  };
}

export interface UdpClusterStats {
  noneHealthy: Counter;
  overflow: Counter;
  rxBytes: Counter;
  txBytes: Counter;
  sessRxDatagrams: Counter;
  sessRxErrors: Counter;
  sessRxDropped: Counter;
  sessTxDatagrams: Counter;
  sessTxErrors: Counter;
}

const byCluster = new WeakMap<UpstreamCluster, UdpClusterStats>();

/** One set per cluster object (a cluster replaced by CDS gets a fresh set, as its stats scope is fresh too). */
export function udpClusterStats(c: UpstreamCluster): UdpClusterStats {
  let s = byCluster.get(c);
  if (s === undefined) {
    const cs = c.stats;
    const udp = cs.scope('udp');
    s = {
      noneHealthy: cs.counter('upstream_cx_none_healthy'),
      overflow: cs.counter('upstream_cx_overflow'),
      rxBytes: cs.counter('upstream_cx_rx_bytes_total'),
      txBytes: cs.counter('upstream_cx_tx_bytes_total'),
      sessRxDatagrams: udp.counter('sess_rx_datagrams'),
      sessRxErrors: udp.counter('sess_rx_errors'),
      sessRxDropped: udp.counter('sess_rx_datagrams_dropped'),
      sessTxDatagrams: udp.counter('sess_tx_datagrams'),
      sessTxErrors: udp.counter('sess_tx_errors'),
    };
    byCluster.set(c, s);
  }
  return s;
}
