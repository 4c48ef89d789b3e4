// Config stage: loads the filter modules a config names, before it is validated, so a proxy holds only the filters
// it runs (all of them cost ~20 MB of RSS; jose alone ~10 MB) and validation stays synchronous.
import { HTTP_FILTER_MODULES } from '../http/filters/catalog.js';
import { NETWORK_FILTER_MODULES } from '../network/filters/catalog.js';
import { ACCESS_LOGGER_MODULES } from '../telemetry/access-logger-catalog.js';

/**
 * A filter's name or config type anywhere in the text: envoy.filters.http.X, envoy.extensions.filters.http.X.v3.…
 * (type URLs, per-route types, TypedStruct), or a deprecated short name envoy.X. The text may be YAML, JSON or
 * protobuf bytes read as latin1: names and type URLs are plain strings in all three.
 */
const FILTER_NAME = /envoy\.(?:(?:extensions\.)?filters\.(http|network)\.)?([a-z0-9_]+)/g;

const loaded = new Set<() => Promise<unknown>>();

/** The modules named in `text` that are not loaded yet. */
function missing(text: string, out: Set<() => Promise<unknown>>): void {
  for (const m of text.matchAll(FILTER_NAME)) {
    const layer = m[1];
    const name = m[2]!;
    const http = layer !== 'network' && Object.hasOwn(HTTP_FILTER_MODULES, name) ? HTTP_FILTER_MODULES[name] : undefined;
    const net = layer !== 'http' && Object.hasOwn(NETWORK_FILTER_MODULES, name) ? NETWORK_FILTER_MODULES[name] : undefined;
    if (http !== undefined && !loaded.has(http)) out.add(http);
    if (net !== undefined && !loaded.has(net)) out.add(net);
  }
  // Istio's own filters name their config types, not envoy.* names
  if (text.includes('stats.PluginConfig') && !loaded.has(loadIstioStats)) out.add(loadIstioStats);
  if (text.includes('metadataexchange.config.MetadataExchange') && !loaded.has(NETWORK_FILTER_MODULES.metadata_exchange!)) out.add(NETWORK_FILTER_MODULES.metadata_exchange!);
  // extension access loggers (gRPC ALS) load the same way
  for (const m of ACCESS_LOGGER_MODULES) if (!loaded.has(m.load) && m.pattern.test(text)) out.add(m.load);
}
const loadIstioStats = (): Promise<unknown> => Promise.all([HTTP_FILTER_MODULES.istio_stats!(), NETWORK_FILTER_MODULES.istio_stats!()]);

/** Loads the filter modules the texts name; null (nothing to wait for) when they are all loaded already. */
export function loadFilterModules(texts: Iterable<string>): Promise<void> | null {
  const need = new Set<() => Promise<unknown>>();
  for (const t of texts) missing(t, need);
  if (need.size === 0) return null;
  return Promise.all(
    [...need].map(async (load) => {
      await load();
      loaded.add(load);
    }),
  ).then(() => undefined);
}
