// Network filters: the one registry of non-terminal network filter types, keyed by @type and well-known name.
// The terminal filters (http_connection_manager, tcp_proxy) are built by the listener compiler.
import type { Ctx, Raw } from '../config/reader.js';
import type { ClusterManager } from '../upstream/types.js';
import type { PoolManager } from '../upstream/pool/pool-manager.js';
import type { StatsScope } from '../telemetry/stats.js';
import type { NetworkFilterFactory } from './api.js';
import { ExtensionRegistry } from '../config/extension-registry.js';

export interface NetworkFilterConfig {
  readonly '@type': string;
}

export interface NetworkFilterContext {
  /** The root stats scope: Envoy names network filter stats by their own prefixes (e.g. local_rate_limit.<stat_prefix>.). */
  readonly stats: StatsScope;
  readonly clusters: ClusterManager;
  readonly pools: PoolManager;
  readonly random: () => number;
}

export interface NetworkFilterType<C extends NetworkFilterConfig = NetworkFilterConfig> {
  readonly typeUrl: string;
  readonly names: readonly string[];
  readonly validate: (ctx: Ctx, body: Raw, path: string) => C | undefined;
  /** Built once per filter chain; the returned factory makes one filter per connection. */
  readonly factory: (config: C, ctx: NetworkFilterContext) => NetworkFilterFactory;
}

const registry = new ExtensionRegistry<NetworkFilterType>('network filter');

export function registerNetworkFilter<C extends NetworkFilterConfig>(t: NetworkFilterType<C>): void {
  registry.register(t as unknown as NetworkFilterType);
}

export function networkFilterByType(typeUrl: string): NetworkFilterType | undefined {
  return registry.byTypeUrl(typeUrl);
}

export function networkFilterByName(name: string): NetworkFilterType | undefined {
  return registry.byExtensionName(name);
}

