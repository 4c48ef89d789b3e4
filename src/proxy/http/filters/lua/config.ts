// HTTP filters (Lua): envoy.extensions.filters.http.lua.v3 Lua and LuaPerRoute validated — scripts read from their
// DataSources (files against the config's directory), syntax-checked when the Lua module is already loaded.
import { Ctx, Msg, Raw } from '../../../config/reader.js';
import { readDataSource } from '../../../config/common.js';
import { checkSyntax, type LuaSource } from './script.js';
import { LUA_PER_ROUTE_TYPE, LUA_TYPE, type LuaConfig, type LuaPerRoute } from './types.js';
import { luaModuleIfLoaded } from './vm/module.js';

const T = 'extensions.filters.http.lua.v3';

/** A script's source; compiled right away when the module is loaded (an xDS update), as Envoy rejects broken Lua. */
function source(ctx: Ctx, m: Msg, field: string, label: string, data: 'datasource' | 'string'): LuaSource | undefined {
  const code = data === 'string' ? m.str(field) : m.msg(field, (r, p) => readDataSource(ctx, r, p));
  if (code === undefined) return undefined;
  const mod = luaModuleIfLoaded();
  const err = mod === undefined ? undefined : checkSyntax(mod, code, label);
  if (err !== undefined) {
    m.err(field, `Lua syntax error: ${err}`);
    return undefined;
  }
  return { label, code };
}

export function validateLua(ctx: Ctx, body: Raw, path: string): LuaConfig | undefined {
  // package_paths / package_cpaths are rejected by name: trellis's Lua has no file system to load modules from.
  const m = Msg.open(ctx, body, path, {
    type: `${T}.Lua`,
    fields: ['inline_code', 'source_codes', 'default_source_code', 'stat_prefix', 'clear_route_cache', 'filter_context'],
  });
  if (m === undefined) return undefined;
  if (m.has('inline_code') && m.has('default_source_code') && m.strOr('inline_code', '') !== '') {
    m.err('default_source_code', 'only one of `inline_code` or `default_source_code` can be set for the Lua filter');
  }
  const def = m.has('default_source_code')
    ? source(ctx, m, 'default_source_code', 'default_source_code', 'datasource')
    : m.strOr('inline_code', '') !== ''
      ? source(ctx, m, 'inline_code', 'inline_code', 'string')
      : undefined;
  const codes = m.map('source_codes', (k, raw, p) => {
    const code = readDataSource(ctx, raw, p);
    if (code === undefined) return undefined;
    const label = `source_codes[${JSON.stringify(k)}]`;
    const mod = luaModuleIfLoaded();
    const err = mod === undefined ? undefined : checkSyntax(mod, code, label);
    if (err !== undefined) {
      ctx.err(p, `Lua syntax error: ${err}`);
      return undefined;
    }
    return { label, code };
  });
  const out: LuaConfig = {
    '@type': LUA_TYPE,
    source_codes: codes,
    stat_prefix: m.strOr('stat_prefix', ''),
    clear_route_cache: m.boolOr('clear_route_cache', true),
    filter_context: m.struct('filter_context') ?? {},
  };
  return def === undefined ? out : { ...out, default_source: def };
}

export function validateLuaPerRoute(ctx: Ctx, body: Raw, path: string): LuaPerRoute | undefined {
  const m = Msg.open(ctx, body, path, { type: `${T}.LuaPerRoute`, fields: ['disabled', 'name', 'source_code', 'filter_context'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['disabled', 'name', 'source_code'], true);
  const out: { -readonly [K in keyof LuaPerRoute]: LuaPerRoute[K] } = { '@type': LUA_PER_ROUTE_TYPE, disabled: false };
  const fc = m.struct('filter_context');
  if (fc !== undefined) out.filter_context = fc;
  switch (which) {
    case 'disabled':
      if (m.bool('disabled') !== true) {
        m.err('disabled', 'must be true (to enable a script, name one or give source_code)');
        return undefined;
      }
      out.disabled = true;
      return out;
    case 'name': {
      const name = m.reqStr('name');
      if (name === '') return undefined;
      out.name = name;
      return out;
    }
    case 'source_code': {
      const src = source(ctx, m, 'source_code', 'LuaPerRoute source_code', 'datasource');
      if (src === undefined) return undefined;
      out.source = src;
      return out;
    }
    default:
      return undefined;
  }
}
