// Config stage: validates HCM http_filters and per-route filter overrides through the HTTP filter registry.
import type { HttpFilter, HttpFilterConfig } from './types.js';
import { Ctx, Msg, Raw, Unpacked, idx, isObj, join, typeName, unpackAny } from './reader.js';
import { httpFilterByName, httpFilterByPerRouteType, httpFilterByType, type HttpFilterType } from '../http/filter/registry.js';
import { FILTER_CONFIG_TYPE, type RouteFilterConfig } from '../http/filter/route-config.js';
import { HTTP_FILTER_MODULES } from '../http/filters/catalog.js';

function supported(): string {
  return Object.keys(HTTP_FILTER_MODULES).map((n) => `envoy.filters.http.${n}`).join(', ');
}

/**
 * The filter type for one HttpFilter entry. Like Envoy, the `@type` picks the implementation; a well-known
 * `name` must agree with it. Undefined (with an error unless `optional`) for filters trellis lacks.
 */
function filterType(ctx: Ctx, name: string, any: Unpacked | undefined, path: string, namePath: string, optional: boolean): HttpFilterType | undefined {
  const byName = httpFilterByName(name);
  if (any === undefined) {
    if (byName === undefined && !optional) ctx.err(namePath, `http filter "${name}" is not supported by trellis; supported: ${supported()}`);
    return byName;
  }
  const t = httpFilterByType(any.typeUrl);
  if (t === undefined) {
    if (!optional) ctx.err(join(path, '@type'), `http filter type ${typeName(any.typeUrl)} (filter "${name}") is not supported by trellis; supported: ${supported()}`);
    return undefined;
  }
  if (byName !== undefined && byName !== t) {
    ctx.err(join(path, '@type'), `${any.typeUrl} does not match filter name "${name}" (expected ${byName.typeUrl})`);
    return undefined;
  }
  return t;
}

/** Decodes one filter's config; undefined for an unknown optional filter or after an error. */
export function decodeHttpFilterConfig(ctx: Ctx, name: string, rawConfig: unknown, path: string, namePath: string, optional: boolean): HttpFilterConfig | undefined {
  const any = rawConfig === undefined ? undefined : unpackAny(ctx, rawConfig, path);
  if (rawConfig !== undefined && any === undefined) return undefined;
  const t = filterType(ctx, name, any, path, namePath, optional);
  if (t === undefined) return undefined;
  return t.validate(ctx, any?.body ?? {}, any?.path ?? path);
}

export function validateHttpFilters(ctx: Ctx, m: Msg): HttpFilter[] {
  const filters = m.list('http_filters', (raw, path): HttpFilter | undefined => {
    const f = Msg.open(ctx, raw, path, {
      type: 'extensions.filters.network.http_connection_manager.v3.HttpFilter',
      fields: ['name', 'typed_config', 'is_optional', 'disabled'],
    });
    if (f === undefined) return undefined;
    const name = f.reqStr('name');
    const optional = f.boolOr('is_optional', false);
    const cfg = decodeHttpFilterConfig(ctx, name, f.raw('typed_config'), f.at('typed_config'), f.at('name'), optional);
    return cfg === undefined ? undefined : { name, typed_config: cfg, is_optional: optional, disabled: f.boolOr('disabled', false) };
  });
  // positions are checked on the raw list so indices in messages match the user's file
  const rawList = Array.isArray(m.raw('http_filters')) ? (m.raw('http_filters') as unknown[]) : [];
  const isTerminal = (r: unknown): boolean => {
    if (!isObj(r)) return false;
    const tc = r.typed_config ?? r.typedConfig;
    let t = isObj(tc) ? tc['@type'] : undefined;
    if (isObj(tc) && typeof t === 'string' && t.endsWith('.TypedStruct')) t = tc.type_url ?? tc.typeUrl;
    const type = typeof t === 'string' ? httpFilterByType(t) : httpFilterByName(String(r.name));
    return type?.terminal === true;
  };
  const last = rawList.length - 1;
  if (rawList.length === 0) m.err('http_filters', 'must end with envoy.filters.http.router');
  else if (!isTerminal(rawList[last])) m.ctx.err(idx(m.at('http_filters'), last), 'the last http filter must be envoy.filters.http.router');
  rawList.forEach((r, i) => {
    if (i !== last && isTerminal(r)) m.ctx.err(idx(m.at('http_filters'), i), 'envoy.filters.http.router is terminal and must be the last http filter');
  });
  return filters;
}

/** One typed_per_filter_config value for the filter named `name`: its per-route type, or a FilterConfig wrapper. */
function validateRouteFilterConfig(ctx: Ctx, name: string, raw: unknown, path: string): HttpFilterConfig | undefined {
  const any = unpackAny(ctx, raw, path);
  if (any === undefined) return undefined;
  if (any.typeUrl === FILTER_CONFIG_TYPE) {
    const w = Msg.open(ctx, any.body, any.path, { type: 'config.route.v3.FilterConfig', fields: ['config', 'is_optional', 'disabled'] });
    if (w === undefined) return undefined;
    const out: { -readonly [K in keyof RouteFilterConfig]: RouteFilterConfig[K] } = { '@type': FILTER_CONFIG_TYPE, disabled: w.boolOr('disabled', false) };
    const inner = w.raw('config');
    if (inner !== undefined) {
      const c = perRouteConfig(ctx, name, inner, w.at('config'), w.boolOr('is_optional', false));
      if (c !== undefined) out.config = c;
    }
    return out;
  }
  return perRouteConfig(ctx, name, raw, path, false, any);
}

function perRouteConfig(ctx: Ctx, name: string, raw: unknown, path: string, optional: boolean, unpacked?: Unpacked): HttpFilterConfig | undefined {
  const any = unpacked ?? unpackAny(ctx, raw, path);
  if (any === undefined) return undefined;
  // The entry is keyed by the filter's name in the chain; the config's type says which filter reads it.
  const byName = httpFilterByName(name);
  const owner = byName?.perRoute?.[any.typeUrl] !== undefined ? byName : httpFilterByPerRouteType(any.typeUrl);
  const validate = owner?.perRoute?.[any.typeUrl];
  if (validate === undefined) {
    if (!optional) ctx.err(join(path, '@type'), `per-route config ${typeName(any.typeUrl)} for "${name}" is not supported by trellis`);
    return undefined;
  }
  return validate(ctx, any.body, any.path);
}

/** typed_per_filter_config: filter name -> override config (or a FilterConfig wrapper). */
export function validatePerFilterConfig(m: Msg): Record<string, HttpFilterConfig> {
  return m.map('typed_per_filter_config', (name, raw: Raw | unknown, path) => validateRouteFilterConfig(m.ctx, name, raw, path));
}
