// UDP proxy: the validated config of a UDP listener and its envoy.filters.udp_listener.udp_proxy filter.
import type { Millis } from '../config/types.js';

/** Envoy's default receive size of a UDP socket (larger datagrams are truncated by the kernel, then dropped). */
export const DEFAULT_MAX_RX_DATAGRAM_SIZE = 1500;

export type UdpHashPolicy = { kind: 'source_ip' } | { kind: 'key'; key: string };

/** envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig. */
export interface UdpProxyConfig {
  readonly stat_prefix: string;
  /** `cluster`, or the cluster of a matcher's on_no_match action (the only matcher shape trellis takes). */
  readonly cluster: string;
  /** Sessions with no datagram either way for this long are closed. */
  readonly idle_timeout: Millis;
  readonly hash_policy?: UdpHashPolicy;
  /** upstream_socket_config.max_rx_datagram_size: larger datagrams from the upstream are dropped. */
  readonly max_upstream_rx_datagram_size: number;
}

/** What a Listener with `address.socket_address.protocol: UDP` carries instead of filter chains. */
export interface UdpListenerSpec {
  readonly proxy: UdpProxyConfig;
  /** udp_listener_config.downstream_socket_config.max_rx_datagram_size. */
  readonly max_downstream_rx_datagram_size: number;
}
