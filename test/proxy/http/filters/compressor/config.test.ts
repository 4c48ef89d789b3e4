// Proxy HTTP filters: Compressor / CompressorPerRoute validation — defaults, the deprecated fields, libraries, errors with paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { DEFAULT_CONTENT_TYPES, validateCompressor, validateCompressorPerRoute } from '../../../../../src/proxy/http/filters/compressor/config.js';
import { BROTLI_LIB, GZIP_LIB, compressorConfig } from './helpers.js';

function errors(raw: object, validate: (ctx: Ctx, raw: Record<string, unknown>, path: string) => unknown = validateCompressor): string[] {
  const ctx = new Ctx(undefined);
  validate(ctx, raw as Record<string, unknown>, 'c');
  return ctx.errors.map((e) => `${e.path}: ${e.message}`);
}

test('compressor config: Envoy defaults — gzip 5/12/default level, response on with 30 bytes and the media-type list, request off', () => {
  const c = compressorConfig({ compressor_library: GZIP_LIB });
  assert.deepEqual(c.compressor_library, {
    kind: 'gzip', name: 'text', encoding: 'gzip', stat_prefix: 'gzip',
    memory_level: 5, compression_level: -1, compression_strategy: 0, window_bits: 12, chunk_size: 4096,
  });
  assert.equal(c.request, undefined);
  assert.equal(c.response.min_content_length, 30);
  assert.deepEqual(c.response.content_type, DEFAULT_CONTENT_TYPES);
  assert.equal(c.response.enabled.default_value, true);
  assert.equal(c.response_direction_set, false);
});

test('compressor config: gzip and brotli fields, enums by name (any case) or number', () => {
  const g = compressorConfig({
    compressor_library: { name: 'g', typed_config: { ...GZIP_LIB.typed_config, memory_level: 9, window_bits: 15, compression_level: 'best_compression', compression_strategy: 'RLE', chunk_size: 8192 } },
  });
  assert.equal(g.compressor_library.kind === 'gzip' && g.compressor_library.compression_level, 9);
  assert.equal(g.compressor_library.kind === 'gzip' && g.compressor_library.compression_strategy, 3);
  const b = compressorConfig({
    compressor_library: { name: 'b', typed_config: { ...BROTLI_LIB.typed_config, quality: 11, window_bits: 22, input_block_bits: 16, encoder_mode: 3, disable_literal_context_modeling: true } },
  });
  assert.deepEqual(b.compressor_library, {
    kind: 'brotli', name: 'b', encoding: 'br', stat_prefix: 'brotli', quality: 11, mode: 2, window_bits: 22, input_block_bits: 16, chunk_size: 4096, disable_literal_context_modeling: true,
  });
});

test('compressor config: the deprecated top-level fields apply without response_direction_config and are ignored with it', () => {
  const legacy = compressorConfig({ compressor_library: GZIP_LIB, content_length: 100, content_type: ['text/html'], disable_on_etag_header: true, remove_accept_encoding_header: true });
  assert.equal(legacy.response.min_content_length, 100);
  assert.deepEqual(legacy.response.content_type, ['text/html']);
  assert.equal(legacy.response.disable_on_etag_header, true);
  assert.equal(legacy.response.remove_accept_encoding_header, true);
  const modern = compressorConfig({ compressor_library: GZIP_LIB, content_length: 100, response_direction_config: { common_config: { min_content_length: 0 } } });
  assert.equal(modern.response.min_content_length, 30, 'min_content_length 0 means the default, as in Envoy');
  assert.equal(modern.response_direction_set, true);
});

test('compressor config: errors carry their paths', () => {
  assert.deepEqual(errors({}), ['c.compressor_library: is required']);
  assert.deepEqual(errors({ compressor_library: { typed_config: GZIP_LIB.typed_config } }), ['c.compressor_library.name: is required']);
  assert.deepEqual(errors({ compressor_library: { name: 'z', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.zstd.compressor.v3.Zstd' } } }), [
    "c.compressor_library.typed_config.@type: envoy.extensions.compression.zstd.compressor.v3.Zstd is not supported by trellis (Node 20's zlib has no zstd); use gzip or brotli",
  ]);
  assert.deepEqual(errors({ compressor_library: { name: 'g', typed_config: { ...GZIP_LIB.typed_config, window_bits: 8, compression_level: 'LEVEL_X' } } }), [
    'c.compressor_library.typed_config.compression_level: unknown compression_level string "LEVEL_X"; expected one of DEFAULT_COMPRESSION, BEST_SPEED, COMPRESSION_LEVEL_1, COMPRESSION_LEVEL_2, COMPRESSION_LEVEL_3, COMPRESSION_LEVEL_4, COMPRESSION_LEVEL_5, COMPRESSION_LEVEL_6, COMPRESSION_LEVEL_7, COMPRESSION_LEVEL_8, COMPRESSION_LEVEL_9, BEST_COMPRESSION',
    'c.compressor_library.typed_config.window_bits: 8 is out of range; must be in 9–15',
  ]);
  assert.deepEqual(errors({ compressor_library: BROTLI_LIB, response_direction_config: { status_header_enabled: true, common_config: { enabled: { default_value: true } } } }), [
    'c.response_direction_config.status_header_enabled: status_header_enabled is not supported by trellis',
    'c.response_direction_config.common_config.enabled.runtime_key: is required',
  ]);
  assert.deepEqual(errors({ compressor_library: GZIP_LIB, chose_first: true }), ['c.chose_first: unknown field "chose_first"; did you mean "choose_first"?']);
});

test('compressor per-route: exactly one of disabled (true) and overrides; a per-route library is rejected by name', () => {
  assert.deepEqual(errors({}, validateCompressorPerRoute), ['c.override: one of disabled, overrides is required']);
  assert.deepEqual(errors({ disabled: false }, validateCompressorPerRoute), ['c.disabled: must be true when set (Envoy: bool.const = true)']);
  assert.deepEqual(errors({ disabled: true, overrides: {} }, validateCompressorPerRoute), ['c.overrides: only one of disabled, overrides may be set']);
  assert.deepEqual(errors({ overrides: { compressor_library: BROTLI_LIB } }, validateCompressorPerRoute), [
    'c.overrides.compressor_library: compressor_library is not supported by trellis',
  ]);
  const ctx = new Ctx(undefined);
  assert.deepEqual(validateCompressorPerRoute(ctx, { overrides: {} }, 'r'), { '@type': 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute' });
});
