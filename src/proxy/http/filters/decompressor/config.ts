// HTTP filters: envoy.filters.http.decompressor config — the library and the request/response direction settings.
import type { HttpFilterConfig } from '../../../config/types.js';
import { Ctx, Msg, Raw, TYPE_PREFIX } from '../../../config/reader.js';
import { ALWAYS_ON, validateFeatureFlag, type FeatureFlag } from '../compression/feature-flag.js';
import { validateDecompressorLibrary, type DecompressorLibrary } from '../compression/library.js';

export const DECOMPRESSOR_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.decompressor.v3.Decompressor` as const;

export interface DecompressDirection {
  readonly enabled: FeatureFlag;
  /** Decompress even when cache-control says no-transform. */
  readonly ignore_no_transform_header: boolean;
}

export interface DecompressorConfig extends HttpFilterConfig {
  readonly '@type': typeof DECOMPRESSOR_TYPE;
  readonly decompressor_library: DecompressorLibrary;
  readonly request: DecompressDirection & {
    /** With response decompression on, add the library's coding to the request's Accept-Encoding (default true). */
    readonly advertise_accept_encoding: boolean;
  };
  readonly response: DecompressDirection;
}

const DEFAULT_DIRECTION: DecompressDirection = { enabled: ALWAYS_ON, ignore_no_transform_header: false };

function validateCommon(ctx: Ctx, raw: unknown, path: string): DecompressDirection | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'extensions.filters.http.decompressor.v3.Decompressor.CommonDirectionConfig',
    fields: ['enabled', 'ignore_no_transform_header'],
  });
  if (m === undefined) return undefined;
  return {
    enabled: m.msg('enabled', (r, p) => validateFeatureFlag(ctx, r, p)) ?? ALWAYS_ON,
    ignore_no_transform_header: m.boolOr('ignore_no_transform_header', false),
  };
}

export function validateDecompressor(ctx: Ctx, body: Raw, path: string): DecompressorConfig | undefined {
  const m = Msg.open(ctx, body, path, {
    type: 'extensions.filters.http.decompressor.v3.Decompressor',
    fields: ['decompressor_library', 'request_direction_config', 'response_direction_config'],
  });
  if (m === undefined) return undefined;
  const before = ctx.errors.length;
  m.require('decompressor_library');
  const library = m.msg('decompressor_library', (r, p) => validateDecompressorLibrary(ctx, r, p));
  let advertise = true;
  const request =
    m.msg('request_direction_config', (r, p) => {
      const d = Msg.open(ctx, r, p, {
        type: 'extensions.filters.http.decompressor.v3.Decompressor.RequestDirectionConfig',
        fields: ['common_config', 'advertise_accept_encoding'],
      });
      if (d === undefined) return undefined;
      advertise = d.boolOr('advertise_accept_encoding', true);
      return d.msg('common_config', (cr, cp) => validateCommon(ctx, cr, cp)) ?? DEFAULT_DIRECTION;
    }) ?? DEFAULT_DIRECTION;
  const response =
    m.msg('response_direction_config', (r, p) => {
      const d = Msg.open(ctx, r, p, { type: 'extensions.filters.http.decompressor.v3.Decompressor.ResponseDirectionConfig', fields: ['common_config'] });
      if (d === undefined) return undefined;
      return d.msg('common_config', (cr, cp) => validateCommon(ctx, cr, cp)) ?? DEFAULT_DIRECTION;
    }) ?? DEFAULT_DIRECTION;
  if (library === undefined || ctx.errors.length !== before) return undefined;
  return { '@type': DECOMPRESSOR_TYPE, decompressor_library: library, request: { ...request, advertise_accept_encoding: advertise }, response };
}
