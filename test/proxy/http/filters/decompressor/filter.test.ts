// Proxy HTTP filters: the decompressor through the real filter manager — both directions, header edits, byte-count
// trailers, Accept-Encoding advertisement, corrupt input and decompression bombs, and config validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { validateDecompressor, type DecompressorConfig } from '../../../../../src/proxy/http/filters/decompressor/config.js';
import { decompressorFilterFactory } from '../../../../../src/proxy/http/filters/decompressor/filter.js';
import type { HttpFilterFactory } from '../../../../../src/proxy/http/filter/api.js';
import { FakeStats } from '../../../upstream/fake-stats.js';
import { FilterHarness, filterContext, until } from '../filter-harness.js';

const GZIP = { name: 'gz', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.gzip.decompressor.v3.Gzip' } };
const BROTLI = { name: 'brotli_lib', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.compression.brotli.decompressor.v3.Brotli' } };
const TEXT = 'some text that compresses well; '.repeat(50);

function config(raw: object): DecompressorConfig {
  const ctx = new Ctx(undefined);
  const c = validateDecompressor(ctx, { decompressor_library: GZIP, ...raw } as Record<string, unknown>, 'd');
  assert.deepEqual(ctx.errors, []);
  return c!;
}

function decompressor(raw: object = {}): { factory: HttpFilterFactory; stats: FakeStats } {
  const stats = new FakeStats();
  return { factory: decompressorFilterFactory(config(raw), filterContext('d', stats)), stats };
}

test('decompressor: a gzip request body is inflated; content-length and the coding go; byte counts follow as trailers', async () => {
  const { factory, stats } = decompressor();
  const gz = zlib.gzipSync(TEXT);
  const h = new FilterHarness('POST', '/', { 'content-encoding': 'gzip', 'content-length': String(gz.length) }).install(factory);
  h.sendRequest(false).sendRequestData(gz.subarray(0, 20), false).sendRequestData(gz.subarray(20), true);
  assert.equal(h.up.headers?.['content-encoding'], undefined);
  assert.equal(h.up.headers?.['content-length'], undefined);
  assert.equal(h.up.headers?.['accept-encoding'], 'gzip', 'response decompression advertises gzip upstream');
  await until(() => h.up.ended, 2000, 'request end');
  assert.equal(h.upstreamBody().toString(), TEXT);
  assert.deepEqual(h.up.trailers, { 'x-envoy-decompressor-gz-compressed-bytes': String(gz.length), 'x-envoy-decompressor-gz-uncompressed-bytes': String(TEXT.length) });
  assert.equal(stats.get('decompressor.gz.gzip.request.decompressed'), 1);
  assert.equal(stats.get('decompressor.gz.gzip.request.total_compressed_bytes'), gz.length);
  assert.equal(stats.get('decompressor.gz.gzip.request.total_uncompressed_bytes'), TEXT.length);
});

test('decompressor: only the first listed coding is removed; request trailers get the byte counts added', async () => {
  const { factory } = decompressor();
  const gz = zlib.gzipSync(TEXT);
  const h = new FilterHarness('POST', '/', { 'content-encoding': 'GZIP , br' }).install(factory);
  h.sendRequest(false).sendRequestData(gz, false).sendRequestTrailers({ 'x-own': '1' });
  assert.equal(h.up.headers?.['content-encoding'], 'br');
  await until(() => h.up.trailers !== undefined, 2000, 'trailers');
  assert.equal(h.up.trailers?.['x-own'], '1');
  assert.equal(h.up.trailers?.['x-envoy-decompressor-gz-uncompressed-bytes'], String(TEXT.length));
  assert.equal(h.upstreamBody().toString(), TEXT);
});

test('decompressor: a brotli response is inflated and its trailers announced to the downstream', async () => {
  const { factory, stats } = decompressor({ decompressor_library: BROTLI });
  const br = zlib.brotliCompressSync(TEXT);
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip;q=0.5, br;q=0.2' }).install(factory).sendRequest(true);
  assert.equal(h.up.headers?.['accept-encoding'], 'gzip;q=0.5,br', 'the coding moves to the end at full weight');
  h.respond(200, { 'content-encoding': 'br', 'content-length': String(br.length) }).respondData(br, true);
  assert.equal(h.down.head?.headers['content-encoding'], undefined);
  assert.equal(h.down.head?.wantTrailers, true);
  await until(() => h.down.ended, 2000, 'response end');
  assert.equal(h.downstreamBody().toString(), TEXT);
  assert.equal(h.down.trailers?.['x-envoy-decompressor-brotli_lib-compressed-bytes'], String(br.length));
  assert.equal(stats.get('decompressor.brotli_lib.brotli.response.decompressed'), 1);
});

test('decompressor: skipped for other codings, no-transform (unless ignored), disabled directions, headers-only messages', () => {
  const { factory, stats } = decompressor();
  new FilterHarness('POST', '/', { 'content-encoding': 'br' }).install(factory).sendRequest(false);
  new FilterHarness('POST', '/', { 'content-encoding': 'gzip', 'cache-control': 'no-transform' }).install(factory).sendRequest(false);
  assert.equal(stats.get('decompressor.gz.gzip.request.not_decompressed'), 2);
  const ignoring = decompressor({ request_direction_config: { common_config: { ignore_no_transform_header: true } } });
  const h = new FilterHarness('POST', '/', { 'content-encoding': 'gzip', 'cache-control': 'no-transform' }).install(ignoring.factory).sendRequest(false);
  assert.equal(h.up.headers?.['content-encoding'], undefined);
  const off = decompressor({
    request_direction_config: { advertise_accept_encoding: true, common_config: { enabled: { default_value: false, runtime_key: 'a' } } },
    response_direction_config: { common_config: { enabled: { default_value: false, runtime_key: 'b' } } },
  });
  const h2 = new FilterHarness('POST', '/', { 'content-encoding': 'gzip' }).install(off.factory).sendRequest(false);
  assert.equal(h2.up.headers?.['content-encoding'], 'gzip');
  assert.equal(h2.up.headers?.['accept-encoding'], undefined, 'no advertisement when response decompression is off');
  h2.respond(200, { 'content-encoding': 'gzip' });
  assert.equal(h2.down.head?.headers['content-encoding'], 'gzip');
});

test('decompressor: a decompression bomb in a request stops at max_inflate_ratio with 413 and zlib_data_error', async () => {
  const { factory, stats } = decompressor({ decompressor_library: { ...GZIP, typed_config: { ...GZIP.typed_config, max_inflate_ratio: 10 } } });
  const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024));
  const h = new FilterHarness('POST', '/', { 'content-encoding': 'gzip' }).install(factory);
  h.sendRequest(false).sendRequestData(bomb, true);
  await until(() => h.replies.length > 0, 2000, 'local reply');
  assert.equal(h.replies[0].status, 413);
  assert.ok(h.upstreamBody().length <= 10 * bomb.length, `forwarded ${h.upstreamBody().length} bytes`);
  assert.equal(stats.get('decompressor.gz.gzip.decompressor_library.zlib_data_error'), 1);
  assert.ok((stats.get('decompressor.gz.gzip.request.total_uncompressed_bytes') ?? 0) < 20 * 1024 * 1024);
});

test('decompressor: a brotli bomb in a response resets the stream (brotli_output_overflow)', async () => {
  const { factory, stats } = decompressor({ decompressor_library: BROTLI });
  const bomb = zlib.brotliCompressSync(Buffer.alloc(30 * 1024 * 1024));
  const h = new FilterHarness('GET', '/', {}).install(factory).sendRequest(true);
  h.respond(200, { 'content-encoding': 'br' }).respondData(bomb, true);
  await until(() => h.down.reset, 2000, 'reset');
  assert.equal(stats.get('decompressor.brotli_lib.brotli.decompressor_library.brotli_output_overflow'), 1);
  assert.equal(stats.get('decompressor.brotli_lib.brotli.decompressor_library.brotli_error'), 1);
});

test('decompressor: corrupt gzip in a request is answered 400; truncated gzip counts a buffer error', async () => {
  const { factory, stats } = decompressor();
  const h = new FilterHarness('POST', '/', { 'content-encoding': 'gzip' }).install(factory);
  h.sendRequest(false).sendRequestData(Buffer.from('definitely not gzip data'), true);
  await until(() => h.replies.length > 0, 2000, 'local reply');
  assert.equal(h.replies[0].status, 400);
  assert.equal(stats.get('decompressor.gz.gzip.decompressor_library.zlib_data_error'), 1);
  const h2 = new FilterHarness('POST', '/', { 'content-encoding': 'gzip' }).install(factory);
  h2.sendRequest(false).sendRequestData(zlib.gzipSync(TEXT).subarray(0, 30), true);
  await until(() => h2.replies.length > 0, 2000, 'local reply');
  assert.equal(stats.get('decompressor.gz.gzip.decompressor_library.zlib_buf_error'), 1);
});

test('decompressor config: defaults and errors with paths', () => {
  const c = config({});
  assert.deepEqual(c.decompressor_library, { kind: 'gzip', name: 'gz', encoding: 'gzip', stat_prefix: 'gzip', window_bits: 15, chunk_size: 4096, max_inflate_ratio: 100 });
  assert.equal(c.request.advertise_accept_encoding, true);
  const ctx = new Ctx(undefined);
  validateDecompressor(ctx, { decompressor_library: { name: 'g', typed_config: { ...GZIP.typed_config, max_inflate_ratio: 2000, chunk_size: 100 } }, request_direction_config: { advertise_accept_encoding: 'yes' } }, 'd');
  assert.deepEqual(ctx.errors.map((e) => `${e.path}: ${e.message}`), [
    'd.decompressor_library.typed_config.chunk_size: 100 is out of range; must be in 4096–65536',
    'd.decompressor_library.typed_config.max_inflate_ratio: 2000 is out of range; must be in 1–1032',
    'd.request_direction_config.advertise_accept_encoding: expected a boolean, got string "yes"',
  ]);
});
