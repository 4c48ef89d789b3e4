// Listener: Envoy's per-listener stats (listener.<address>.*) resolved once when a listener binds.
import type { Counter, Gauge, Histogram, StatsScope } from '../telemetry/stats.js';

export interface ListenerStats {
  cxTotal: Counter;
  cxActive: Gauge;
  cxDestroy: Counter;
  cxLengthMs: Histogram;
  noFilterChainMatch: Counter;
  preCxTimeout: Counter;
  preCxActive: Gauge;
  sslHandshake: Counter;
  sslConnectionError: Counter;
  sslFailVerifyNoCert: Counter;
  sslFailVerifyError: Counter;
  sslFailVerifySan: Counter;
}

/** Envoy names the scope after the bound address with ':' as '_' (`127.0.0.1_10000`, `[__1]_80`), or stat_prefix. */
export function listenerStatName(address: string, port: number, statPrefix?: string): string {
  if (statPrefix) return statPrefix;
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${port}`.replace(/:/g, '_');
}

export function listenerStats(root: StatsScope, name: string): ListenerStats {
  const s = root.scope('listener', ['envoy_listener_address', name]);
  return {
    cxTotal: s.counter('downstream_cx_total'),
    cxActive: s.gauge('downstream_cx_active'),
    cxDestroy: s.counter('downstream_cx_destroy'),
    cxLengthMs: s.histogram('downstream_cx_length_ms'),
    noFilterChainMatch: s.counter('no_filter_chain_match'),
    preCxTimeout: s.counter('downstream_pre_cx_timeout'),
    preCxActive: s.gauge('downstream_pre_cx_active'),
    sslHandshake: s.counter('ssl', 'handshake'),
    sslConnectionError: s.counter('ssl', 'connection_error'),
    sslFailVerifyNoCert: s.counter('ssl', 'fail_verify_no_cert'),
    sslFailVerifyError: s.counter('ssl', 'fail_verify_error'),
    sslFailVerifySan: s.counter('ssl', 'fail_verify_san'),
  };
}
