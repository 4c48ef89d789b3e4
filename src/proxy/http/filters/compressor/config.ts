// HTTP filters: envoy.filters.http.compressor config — Compressor (directions, deprecated top-level fields, library) and CompressorPerRoute.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX, readNum } from '../../../config/reader.js';
import { ALWAYS_ON, validateFeatureFlag, type FeatureFlag } from '../compression/feature-flag.js';
import { validateCompressorLibrary, type CompressorLibrary } from '../compression/library.js';

export const COMPRESSOR_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.compressor.v3.Compressor` as const;
export const COMPRESSOR_PER_ROUTE_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.compressor.v3.CompressorPerRoute` as const;

/** Envoy's media types compressed when content_type is empty. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = [
  'text/html', 'text/plain', 'text/css', 'application/javascript', 'application/x-javascript', 'text/javascript',
  'text/x-javascript', 'text/ecmascript', 'text/js', 'text/jscript', 'text/x-js', 'application/ecmascript',
  'application/x-json', 'application/xml', 'application/json', 'image/svg+xml', 'text/xml', 'application/xhtml+xml',
  'application/grpc-web', 'application/grpc-web+proto',
];

/** Envoy's default min_content_length (also used when it is set to 0). */
export const DEFAULT_MIN_CONTENT_LENGTH = 30;

/** CommonDirectionConfig, with Envoy's defaults filled in. */
export interface DirectionSettings {
  readonly enabled: FeatureFlag;
  readonly min_content_length: number;
  /** Media types compressed (Envoy's list when the config has none). */
  readonly content_type: readonly string[];
}

export interface ResponseSettings extends DirectionSettings {
  readonly disable_on_etag_header: boolean;
  /** Compressing keeps a strong ETag as a weak one instead of dropping it; wins over disable_on_etag_header. */
  readonly weaken_etag_on_compress: boolean;
  readonly remove_accept_encoding_header: boolean;
  /** Response codes never compressed (e.g. 206). */
  readonly uncompressible_response_codes: readonly number[];
}

export interface CompressorConfig extends HttpFilterConfig {
  readonly '@type': typeof COMPRESSOR_TYPE;
  readonly compressor_library: CompressorLibrary;
  /** Absent: request bodies are not compressed (request_direction_config unset). */
  readonly request?: DirectionSettings;
  readonly response: ResponseSettings;
  /** response_direction_config was given: its stats live under `response.` (else in the legacy tree). */
  readonly response_direction_set: boolean;
  readonly choose_first: boolean;
}

export interface CompressorPerRoute extends HttpFilterConfig {
  readonly '@type': typeof COMPRESSOR_PER_ROUTE_TYPE;
  /** false: `disabled`; true: `overrides.response_direction_config` given; absent: no say on enabling. */
  readonly response_enabled?: boolean;
  readonly remove_accept_encoding_header?: boolean;
}

function minLength(m: Msg, field: string): number {
  const v = m.num(field, { int: true, min: 0, max: 0xffffffff });
  return v === undefined || v === 0 ? DEFAULT_MIN_CONTENT_LENGTH : v;
}

function contentTypes(m: Msg, field: string): string[] {
  const list = m.strList(field);
  return list.length === 0 ? [...DEFAULT_CONTENT_TYPES] : list;
}

function validateCommon(ctx: Ctx, raw: unknown, path: string): DirectionSettings | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.http.compressor.v3.Compressor.CommonDirectionConfig',
    fields: ['enabled', 'min_content_length', 'content_type'],
  });
  if (m === undefined) return undefined;
  return {
    enabled: m.msg('enabled', (r, p) => validateFeatureFlag(ctx, r, p)) ?? ALWAYS_ON,
    min_content_length: minLength(m, 'min_content_length'),
    content_type: contentTypes(m, 'content_type'),
  };
}

const DEFAULT_COMMON: DirectionSettings = { enabled: ALWAYS_ON, min_content_length: DEFAULT_MIN_CONTENT_LENGTH, content_type: DEFAULT_CONTENT_TYPES };

export function validateCompressor(ctx: Ctx, body: Raw, path: string): CompressorConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.compressor.v3.Compressor',
    fields: [
      'compressor_library', 'request_direction_config', 'response_direction_config', 'choose_first',
      // deprecated, read only when response_direction_config is absent (as Envoy does)
      'content_length', 'content_type', 'disable_on_etag_header', 'remove_accept_encoding_header', 'runtime_enabled',
    ],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  m.require('compressor_library');
  const library = m.msg('compressor_library', (r, p) => validateCompressorLibrary(ctx, r, p));

  const request = m.msg('request_direction_config', (r, p) => {
    const d = Msg.open(ctx, r, p, { type: 'extensions.filters.http.compressor.v3.Compressor.RequestDirectionConfig', fields: ['common_config'] });
    if (d === undefined) return undefined;
    return d.msg('common_config', (cr, cp) => validateCommon(ctx, cr, cp)) ?? DEFAULT_COMMON;
  });

  // The deprecated top-level fields are type-checked either way, and used only without response_direction_config.
  const legacy: ResponseSettings = {
    enabled: m.msg('runtime_enabled', (r, p) => validateFeatureFlag(ctx, r, p)) ?? ALWAYS_ON,
    min_content_length: minLength(m, 'content_length'),
    content_type: contentTypes(m, 'content_type'),
    disable_on_etag_header: m.boolOr('disable_on_etag_header', false),
    weaken_etag_on_compress: false,
    remove_accept_encoding_header: m.boolOr('remove_accept_encoding_header', false),
    uncompressible_response_codes: [],
  };
  const response = m.msg('response_direction_config', (r, p): ResponseSettings | undefined => {
    const d = Msg.open(ctx, r, p, {
      type: 'extensions.filters.http.compressor.v3.Compressor.ResponseDirectionConfig',
      // status_header_enabled (x-envoy-compression-status) is left out: rejected by name
      fields: ['common_config', 'disable_on_etag_header', 'weaken_etag_on_compress', 'remove_accept_encoding_header', 'uncompressible_response_codes'],
    });
    if (d === undefined) return undefined;
    const common = d.msg('common_config', (cr, cp) => validateCommon(ctx, cr, cp)) ?? DEFAULT_COMMON;
    const codes = d.list('uncompressible_response_codes', (v, p) => readNum(ctx, v, p, { int: true, min: 100, max: 599 }));
    return {
      ...common,
      disable_on_etag_header: d.boolOr('disable_on_etag_header', false),
      weaken_etag_on_compress: d.boolOr('weaken_etag_on_compress', false),
      remove_accept_encoding_header: d.boolOr('remove_accept_encoding_header', false),
      uncompressible_response_codes: codes,
    };
  });
  const chooseFirst = m.boolOr('choose_first', false);
  if (library === undefined || ctx.errors.length !== before) return undefined;
  const out: CompressorConfig = {
    '@type': COMPRESSOR_TYPE,
    compressor_library: library,
    response: response ?? legacy,
    response_direction_set: m.has('response_direction_config'),
    choose_first: chooseFirst,
    ...(request !== undefined ? { request } : {}),
  };
  return out;
}

export function validateCompressorPerRoute(ctx: Ctx, body: Raw, path: string): CompressorPerRoute | undefined {
  const m = Msg.open(ctx, body, path, { type: 'extensions.filters.http.compressor.v3.CompressorPerRoute', fields: ['disabled', 'overrides'] });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  const which = m.oneof(['disabled', 'overrides'], true, 'override');
  if (which === 'disabled') {
    const d = m.bool('disabled');
    if (d === false) m.err('disabled', 'must be true when set (Envoy: bool.const = true)');
    return ctx.errors.length === before ? { '@type': COMPRESSOR_PER_ROUTE_TYPE, response_enabled: false } : undefined;
  }
  if (which !== 'overrides') return undefined;
  let out: CompressorPerRoute = { '@type': COMPRESSOR_PER_ROUTE_TYPE };
  m.msg('overrides', (r, p) => {
    // a per-route compressor_library is left out: rejected by name
    const o = Msg.open(ctx, r, p, { type: 'extensions.filters.http.compressor.v3.CompressorOverrides', fields: ['response_direction_config'] });
    o?.msg('response_direction_config', (rr, rp) => {
      const d = Msg.open(ctx, rr, rp, { type: 'extensions.filters.http.compressor.v3.ResponseDirectionOverrides', fields: ['remove_accept_encoding_header'] });
      if (d === undefined) return undefined;
      // An (even empty) response_direction_config enables response compression on the route, as in Envoy.
      const remove = d.bool('remove_accept_encoding_header');
      out = { ...out, response_enabled: true, ...(remove !== undefined ? { remove_accept_encoding_header: remove } : {}) };
      return undefined;
    });
    return undefined;
  });
  return ctx.errors.length === before ? out : undefined;
}
