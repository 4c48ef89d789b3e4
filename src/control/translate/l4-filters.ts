// Translate stage: L4 building blocks — tcp_proxy filters, the tls_inspector, and listeners with several filter chains.
import { socketAddress } from './envoy.js';
import { LISTENER_TYPE, TCP_PROXY_TYPE, TYPE_PREFIX, type Json } from './generator.js';
import { TCP_PROXY_FILTER } from './hcm.js';

export const TLS_INSPECTOR: Json = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: { '@type': `${TYPE_PREFIX}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` },
};

/** A tcp_proxy network filter; `spec` is `{cluster}` or `{weighted_clusters: {clusters: [{name, weight}]}}`. */
export function tcpProxy(statPrefix: string, spec: Json): Json {
  return { name: TCP_PROXY_FILTER, typed_config: { '@type': TCP_PROXY_TYPE, stat_prefix: statPrefix, ...spec } };
}

/** The stat prefix Istio gives a tcp_proxy: its cluster, or the listener's name for a weighted split. */
export function tcpStatPrefix(spec: Json, listenerName: string): string {
  return typeof spec.cluster === 'string' ? spec.cluster : listenerName;
}

export interface ChainSet {
  chains: Json[];
  /** Where connections no chain matches go (Envoy's default_filter_chain). */
  defaultChain?: Json;
  /** SNI or transport-protocol matching needs the ClientHello peeked first. */
  tlsInspector: boolean;
}

/** A listener from filter chains; undefined when there is nothing to serve (the proxy requires a chain). */
export function chainListener(name: string, address: string, port: number, direction: 'INBOUND' | 'OUTBOUND', set: ChainSet): Json | undefined {
  if (set.chains.length === 0 && set.defaultChain === undefined) return undefined;
  const out: Json = { '@type': LISTENER_TYPE, name, address: socketAddress(address, port) };
  if (set.tlsInspector) out.listener_filters = [TLS_INSPECTOR];
  if (set.chains.length > 0) out.filter_chains = set.chains;
  if (set.defaultChain !== undefined) out.default_filter_chain = set.defaultChain;
  out.traffic_direction = direction;
  return out;
}
