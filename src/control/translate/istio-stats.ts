// Translate stage: Istio's istio.stats HTTP filter (metadata exchange + standard metrics) inserted before the router.
import type { IstioMetric, MetricOverride } from '../../api/telemetry-types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';
import type { Json } from './generator.js';
import { resolveTelemetry } from './telemetry.js';

export type StatsMode = 'CLIENT' | 'SERVER';

/** Telemetry's metric names → stats.PluginConfig's ('' = every metric). */
const SHORT: Readonly<Record<IstioMetric, string>> = {
  ALL_METRICS: '',
  REQUEST_COUNT: 'requests_total',
  REQUEST_DURATION: 'request_duration_milliseconds',
  REQUEST_SIZE: 'request_bytes',
  RESPONSE_SIZE: 'response_bytes',
  TCP_OPENED_CONNECTIONS: 'tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'tcp_connections_closed_total',
  TCP_SENT_BYTES: 'tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'response_messages_total',
};

/** One Telemetry override as Istio's plugin config writes it: drop, tags removed, tags set from CEL. */
function metricConfig(o: MetricOverride): Json | undefined {
  if (typeof o.metric !== 'string') return undefined; // custom metrics need definitions (refused by the proxy)
  const out: Json = { name: SHORT[o.metric] };
  if (o.disabled === true) out.drop = true;
  const remove = Object.entries(o.tagOverrides).filter(([, t]) => t.operation === 'REMOVE').map(([k]) => k);
  const dims = Object.fromEntries(Object.entries(o.tagOverrides).filter(([, t]) => t.operation === 'UPSERT' && t.value !== undefined).map(([k, t]) => [k, t.value!]));
  if (remove.length > 0) out.tags_to_remove = remove;
  if (Object.keys(dims).length > 0) out.dimensions = dims;
  return out;
}

/** The istio.stats setting for one side of a proxy from its Telemetry: undefined when metrics are off (no filter at all). */
export function statsFor(proxy: ProxyNode, snap: Snapshot, mode: StatsMode): IstioStats | undefined {
  const m = resolveTelemetry(snap, proxy).metrics(mode);
  if (!m.enabled) return undefined;
  // every metric dropped and nothing re-enabled after: the filter (and its header exchange) is left out
  const last = [...m.overrides].reverse().find((o) => o.metric === 'ALL_METRICS' && o.disabled !== undefined);
  if (last?.disabled === true && !m.overrides.some((o) => o !== last && o.disabled === false)) return undefined;
  return { mode, metrics: m.overrides.map(metricConfig).filter((c): c is Json => c !== undefined) };
}

export interface IstioStats {
  mode: StatsMode;
  metrics: readonly Json[];
}

/** istio.stats as Istio writes it: a TypedStruct of stats.PluginConfig; the proxy fills in its own node metadata. */
export function istioStatsFilter(mode: StatsMode, metrics: readonly Json[] = []): Json {
  const value: Json = { reporter: mode };
  if (metrics.length > 0) value.metrics = [...metrics];
  return {
    name: 'istio.stats',
    typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: 'type.googleapis.com/stats.PluginConfig', value },
  };
}

/**
 * Istio's TCP metadata exchange: the same config on a listener (reads the client) and a cluster (reads the server);
 * a TypedStruct, as Istio's own tests write it (its proto is Istio's, not among Envoy's).
 */
export const PEER_EXCHANGE_ALPN = ['istio-peer-exchange', 'istio'];
export const METADATA_EXCHANGE_FILTER: Json = {
  name: 'istio.metadata_exchange',
  typed_config: {
    '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
    type_url: 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange',
    value: { protocol: 'istio-peer-exchange' },
  },
};

/** A TCP chain's filters: istio.stats (when metrics are on) before its tcp_proxy. */
export function tcpFilters(tcpProxy: Json, stats: IstioStats | undefined): Json[] {
  return stats === undefined ? [tcpProxy] : [istioStatsFilter(stats.mode, stats.metrics), tcpProxy];
}

/** The chain with istio.stats just before the (last) router filter, as Istio orders them; unchanged when stats is undefined. */
export function withIstioStats(filters: Json[], stats: IstioStats | undefined): Json[] {
  if (stats === undefined) return filters;
  const out = [...filters];
  out.splice(Math.max(0, out.length - 1), 0, istioStatsFilter(stats.mode, stats.metrics));
  return out;
}
