// HTTP filters: registers envoy.filters.http.lua (the Lua runtime itself loads only once such a filter is built).
import { registerHttpFilter } from '../../filter/registry.js';
import { validateLua, validateLuaPerRoute } from './config.js';
import { luaFilterFactory } from './filter.js';
import { LUA_PER_ROUTE_TYPE, LUA_TYPE, type LuaConfig } from './types.js';

registerHttpFilter<LuaConfig>({
  typeUrl: LUA_TYPE,
  names: ['envoy.filters.http.lua', 'envoy.lua'],
  validate: validateLua,
  perRoute: { [LUA_PER_ROUTE_TYPE]: validateLuaPerRoute },
  factory: luaFilterFactory,
});
