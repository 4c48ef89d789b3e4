// Network filters: what filters of one downstream connection learn and share (Envoy's connection filter state) —
// the peers the metadata exchange read, and what tcp_proxy chose upstream — for istio.stats to label its metrics.
import type { DownstreamConnectionInfo } from '../http/types.js';
import type { PeerInfo } from '../telemetry/peer-info.js';

export interface ConnectionState {
  /** The client's workload, from the exchange frame it sent (server side). */
  downstreamPeer?: PeerInfo;
  /** The server's workload, from the exchange frame the upstream sent (client side). */
  upstreamPeer?: PeerInfo;
  /** The cluster tcp_proxy picked ('' until it did). */
  upstreamCluster: string;
  /** Set by a filter that reports principals: tcp_proxy then reads the upstream TLS certificates' URI SANs at connect. */
  wantsUpstreamSans: boolean;
  upstreamLocalUriSans?: readonly string[];
  upstreamPeerUriSans?: readonly string[];
  /** Envoy's response flags of the connection ('-' for none): UF, UH, UO, NR. */
  responseFlags: string;
  /** Bytes tcp_proxy read from and wrote to the downstream (after the exchange frame was taken off). */
  bytesReceived: number;
  bytesSent: number;
}

const states = new WeakMap<DownstreamConnectionInfo, ConnectionState>();

/** The state of the connection `info` describes, made on first use. */
export function connectionState(info: DownstreamConnectionInfo): ConnectionState {
  let s = states.get(info);
  if (s === undefined) states.set(info, (s = { upstreamCluster: '', responseFlags: '-', wantsUpstreamSans: false, bytesReceived: 0, bytesSent: 0 }));
  return s;
}
