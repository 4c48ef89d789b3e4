// HTTP filters: the one registry of HTTP filter types, keyed by typed_config @type and by well-known name.
import type { Ctx, Raw } from '../../config/reader.js';
import type { HttpFilterConfig } from '../../config/types.js';
import type { ClusterManager } from '../../upstream/types.js';
import type { PoolManager } from '../../upstream/pool/pool-manager.js';
import type { StatsScope } from '../../telemetry/stats.js';
import type { HttpFilterFactory } from './api.js';
import { ExtensionRegistry } from '../../config/extension-registry.js';

/** What a filter factory may use, given once per HCM filter chain. */
export interface HttpFilterContext {
  /** The HCM's `http.<stat_prefix>.` scope: filters add theirs below it, as Envoy does. */
  readonly stats: StatsScope;
  /** The store's root scope (istio.stats names its series from the root, as Istio's istio_* stats). */
  readonly rootStats?: StatsScope;
  readonly clusters: ClusterManager;
  readonly pools: PoolManager;
  readonly random: () => number;
  /** The filter's name in the chain. */
  readonly name: string;
}

export type ConfigValidator<C> = (ctx: Ctx, body: Raw, path: string) => C | undefined;

export interface HttpFilterType<C extends HttpFilterConfig = HttpFilterConfig> {
  /** The typed_config `@type` that selects this filter. */
  readonly typeUrl: string;
  /** Well-known filter names (current and deprecated) that imply this type when typed_config is absent. */
  readonly names: readonly string[];
  /** Parses and checks the filter's config once, reporting every error with its path. */
  readonly validate: ConfigValidator<C>;
  /** typed_per_filter_config types this filter reads, with their validators. */
  readonly perRoute?: Readonly<Record<string, ConfigValidator<HttpFilterConfig>>>;
  /** The router: must be last in the chain. */
  readonly terminal?: boolean;
  /** Builds the per-request factory once, from a validated config. */
  readonly factory: (config: C, ctx: HttpFilterContext) => HttpFilterFactory;
}

const registry = new ExtensionRegistry<HttpFilterType>('http filter');
/** Per-route config type URL -> the filter reading it (Envoy finds a per-route config's factory by its type). */
const byPerRouteType = new Map<string, HttpFilterType>();

export function registerHttpFilter<C extends HttpFilterConfig>(t: HttpFilterType<C>): void {
  const entry = t as unknown as HttpFilterType;
  registry.register(entry);
  for (const r of Object.keys(t.perRoute ?? {})) if (!byPerRouteType.has(r)) byPerRouteType.set(r, entry);
}

export function httpFilterByPerRouteType(typeUrl: string): HttpFilterType | undefined {
  return byPerRouteType.get(typeUrl);
}

export function httpFilterByType(typeUrl: string): HttpFilterType | undefined {
  return registry.byTypeUrl(typeUrl);
}

export function httpFilterByName(name: string): HttpFilterType | undefined {
  return registry.byExtensionName(name);
}

