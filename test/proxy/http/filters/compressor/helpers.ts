// Test support (compressor): configs validated the way the proxy validates them, and filter factories from them.
import assert from 'node:assert/strict';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { validateCompressor, validateCompressorPerRoute, type CompressorConfig, type CompressorPerRoute } from '../../../../../src/proxy/http/filters/compressor/config.js';
import { compressorFilterFactory } from '../../../../../src/proxy/http/filters/compressor/filter.js';
import type { HttpFilterFactory } from '../../../../../src/proxy/http/filter/api.js';
import { FakeStats } from '../../../upstream/fake-stats.js';
import { filterContext } from '../filter-harness.js';

export const GZIP_LIB = { name: 'text', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip' } };
export const BROTLI_LIB = { name: 'br', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli' } };

export function compressorConfig(raw: object): CompressorConfig {
  const ctx = new Ctx(undefined);
  const c = validateCompressor(ctx, raw as Record<string, unknown>, 'c');
  assert.deepEqual(ctx.errors, []);
  assert.ok(c !== undefined);
  return c;
}

export function perRoute(raw: object): CompressorPerRoute {
  const ctx = new Ctx(undefined);
  const c = validateCompressorPerRoute(ctx, raw as Record<string, unknown>, 'r');
  assert.deepEqual(ctx.errors, []);
  assert.ok(c !== undefined);
  return c;
}

/** A compressor filter factory for `raw` (with the gzip library unless it names one) and the stats it counts into. */
export function compressor(raw: object = {}, stats = new FakeStats()): { factory: HttpFilterFactory; stats: FakeStats } {
  const config = compressorConfig({ compressor_library: GZIP_LIB, ...raw });
  return { factory: compressorFilterFactory(config, filterContext('envoy.filters.http.compressor', stats)), stats };
}
