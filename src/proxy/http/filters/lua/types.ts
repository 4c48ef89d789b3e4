// HTTP filters (Lua): envoy.extensions.filters.http.lua.v3 config as validated — scripts already read from their sources.
import type { HttpFilterConfig } from '../../../config/types.js';
import { TYPE_PREFIX } from '../../../config/reader.js';
import type { LuaSource } from './script.js';

export const LUA_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.lua.v3.Lua` as const;
export const LUA_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.lua.v3.LuaPerRoute` as const;

export interface LuaConfig extends HttpFilterConfig {
  readonly '@type': typeof LUA_TYPE;
  /** default_source_code (or the deprecated inline_code): runs for every request unless a route says otherwise. */
  readonly default_source?: LuaSource;
  /** Named scripts a route may pick with LuaPerRoute.name. */
  readonly source_codes: Readonly<Record<string, LuaSource>>;
  readonly stat_prefix: string;
  /** Clear the route cache when a script changes request headers (Envoy's default: true). */
  readonly clear_route_cache: boolean;
  /** What handle:filterContext() returns unless the route has its own. */
  readonly filter_context: Readonly<Record<string, unknown>>;
}

export interface LuaPerRoute extends HttpFilterConfig {
  readonly '@type': typeof LUA_PER_ROUTE_TYPE;
  readonly disabled: boolean;
  /** A source_codes entry to run instead of the default script. */
  readonly name?: string;
  /** A script of the route's own. */
  readonly source?: LuaSource;
  readonly filter_context?: Readonly<Record<string, unknown>>;
}
