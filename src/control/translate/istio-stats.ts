// Translate stage: Istio's istio.stats HTTP filter (metadata exchange + standard metrics) inserted before the router.
import type { Json } from './generator.js';

export type StatsMode = 'CLIENT' | 'SERVER';

/** istio.stats as Istio writes it: a TypedStruct of stats.PluginConfig; the proxy fills in its own node metadata. */
export function istioStatsFilter(mode: StatsMode, metrics: readonly Json[] = []): Json {
  const value: Json = { reporter: mode };
  if (metrics.length > 0) value.metrics = [...metrics];
  return {
    name: 'istio.stats',
    typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: 'type.googleapis.com/stats.PluginConfig', value },
  };
}

/** The chain with istio.stats just before the (last) router filter, as Istio orders them; unchanged when mode is undefined. */
export function withIstioStats(filters: Json[], mode: StatsMode | undefined): Json[] {
  if (mode === undefined) return filters;
  const out = [...filters];
  out.splice(Math.max(0, out.length - 1), 0, istioStatsFilter(mode));
  return out;
}
