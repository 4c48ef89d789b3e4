// Proxy HTTP filters: the compressor through the real filter manager — when it compresses, the headers it edits,
// the async zlib output (order, end of stream, trailers), request compression, per-route settings and stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { FilterHarness, until } from '../filter-harness.js';
import { BROTLI_LIB, compressor, perRoute } from './helpers.js';

const TEXT = 'hello compressible world, '.repeat(40);
/** Fresh each time: filters edit the headers they are given. */
const json = (): Record<string, string> => ({ 'content-type': 'application/json' });

async function compressedResponse(h: FilterHarness): Promise<Buffer> {
  await until(() => h.down.ended, 2000, 'response end');
  return h.downstreamBody();
}

test('compressor: gzips a JSON response, removes content-length, adds content-encoding and vary, counts bytes', async () => {
  const { factory, stats } = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  h.respond(200, { ...json(), 'content-length': String(TEXT.length) });
  assert.equal(h.down.head?.headers['content-encoding'], 'gzip');
  assert.equal(h.down.head?.headers['content-length'], undefined);
  assert.equal(h.down.head?.headers.vary, 'Accept-Encoding');
  h.respondData(TEXT.slice(0, 100), false).respondData(TEXT.slice(100), true);
  const body = await compressedResponse(h);
  assert.equal(zlib.gunzipSync(body).toString(), TEXT);
  assert.equal(h.down.writes.at(-1), '', 'the end of stream follows the last zlib output');
  assert.equal(stats.get('compressor.text.gzip.compressed'), 1);
  assert.equal(stats.get('compressor.text.gzip.header_compressor_used'), 1);
  assert.equal(stats.get('compressor.text.gzip.total_uncompressed_bytes'), TEXT.length);
  assert.equal(stats.get('compressor.text.gzip.total_compressed_bytes'), body.length);
});

test('compressor: each chunk is flushed at once, so a streamed response is readable before it ends', async () => {
  const { factory } = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  h.respond(200, { 'content-type': 'text/plain' }).respondData('event: one\n\n'.repeat(5), false);
  // the gzip header (10 bytes) and the flushed deflate blocks arrive without the stream ending
  const partial = (): string => {
    const b = h.downstreamBody();
    return b.length <= 10 ? '' : zlib.inflateRawSync(b.subarray(10), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
  };
  await until(() => partial() === 'event: one\n\n'.repeat(5), 2000, 'first flush');
  assert.equal(h.down.ended, false);
  h.respondData('', true);
  await compressedResponse(h);
});

test('compressor: response trailers wait for the final zlib output, then go on', async () => {
  const { factory } = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  h.respond(200, json(), false, true).respondData(TEXT, false).respondTrailers({ 'x-checksum': 'abc' });
  await until(() => h.down.ended);
  assert.deepEqual(h.down.trailers, { 'x-checksum': 'abc' });
  assert.equal(zlib.gunzipSync(h.downstreamBody()).toString(), TEXT);
});

test('compressor: brotli library compresses with content-encoding br', async () => {
  const { factory, stats } = compressor({ compressor_library: { ...BROTLI_LIB, typed_config: { ...BROTLI_LIB.typed_config, quality: 5, encoder_mode: 'TEXT' } } });
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'br' }).install(factory).sendRequest(true);
  h.respond(200, { 'content-type': 'text/html; charset=utf-8' }).respondData(TEXT, true);
  const body = await compressedResponse(h);
  assert.equal(h.down.head?.headers['content-encoding'], 'br');
  assert.equal(zlib.brotliDecompressSync(body).toString(), TEXT);
  assert.equal(stats.get('compressor.br.brotli.compressed'), 1);
});

interface Skip {
  what: string;
  req?: Record<string, string>;
  method?: string;
  status?: number;
  res?: Record<string, string>;
  config?: object;
  vary: boolean;
  stat?: string;
}

const SKIPS: Skip[] = [
  { what: 'no accept-encoding', req: {}, vary: true, stat: 'no_accept_header' },
  { what: 'gzip;q=0', req: { 'accept-encoding': 'gzip;q=0, *' }, vary: true, stat: 'header_not_valid' },
  { what: 'identity preferred', req: { 'accept-encoding': 'identity;q=1, gzip;q=0.5' }, vary: true, stat: 'header_identity' },
  { what: 'already encoded', res: { 'content-encoding': 'br' }, vary: false },
  { what: 'cache-control no-transform', res: { 'cache-control': 'public, No-Transform' }, vary: false },
  { what: 'content-length below 30', res: { 'content-length': '29' }, vary: false, stat: 'content_length_too_small' },
  { what: 'media type not listed', res: { 'content-type': 'image/png' }, vary: false },
  { what: '204', status: 204, vary: true },
  { what: '304', status: 304, vary: true },
  { what: 'HEAD', method: 'HEAD', vary: true },
  { what: 'uncompressible_response_codes', status: 206, config: { response_direction_config: { uncompressible_response_codes: [206] } }, vary: false },
  { what: 'etag with disable_on_etag_header', res: { etag: '"v1"' }, config: { response_direction_config: { disable_on_etag_header: true } }, vary: false, stat: 'not_compressed_etag' },
  { what: 'response compression disabled by runtime flag default', config: { response_direction_config: { common_config: { enabled: { default_value: false, runtime_key: 'k' } } } }, vary: false },
  { what: 'deprecated runtime_enabled false', config: { runtime_enabled: { default_value: false, runtime_key: 'k' } }, vary: false },
];

for (const s of SKIPS) {
  test(`compressor: not compressed when ${s.what}`, () => {
    const { factory, stats } = compressor(s.config ?? {});
    const h = new FilterHarness(s.method ?? 'GET', '/', s.req ?? { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
    h.respond(s.status ?? 200, { ...json(), ...s.res });
    const head = h.down.head!;
    assert.equal(head.headers['content-encoding'], s.res?.['content-encoding']);
    assert.equal(head.headers.vary, s.vary ? 'Accept-Encoding' : undefined);
    const root = s.config !== undefined && 'response_direction_config' in s.config ? 'compressor.text.gzip.response' : 'compressor.text.gzip';
    assert.equal(stats.get(`${root}.not_compressed`), 1);
    if (s.stat !== undefined) {
      const base = s.stat.startsWith('content_length') ? root : 'compressor.text.gzip';
      assert.equal(stats.get(`${base}.${s.stat}`), 1, s.stat);
    }
    h.respondData('x', true);
    assert.equal(h.downstreamBody().toString(), 'x', 'the body passes untouched');
  });
}

test('compressor: a strong etag is dropped, a weak one kept, and weaken_etag_on_compress makes strong ones weak', async () => {
  for (const [config, etag, want] of [
    [{}, '"v1"', undefined],
    [{}, 'W/"v1"', 'W/"v1"'],
    [{ response_direction_config: { weaken_etag_on_compress: true, disable_on_etag_header: true } }, '"v1"', 'W/"v1"'],
  ] as const) {
    const { factory } = compressor(config);
    const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
    h.respond(200, { ...json(), etag });
    assert.equal(h.down.head?.headers['content-encoding'], 'gzip');
    assert.equal(h.down.head?.headers.etag, want);
    h.respondData(TEXT, true);
    await compressedResponse(h);
  }
});

test('compressor: an existing Vary gains Accept-Encoding once', () => {
  const { factory } = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  h.respond(200, { ...json(), vary: 'Origin' }, true);
  assert.equal(h.down.head?.headers.vary, 'Origin, Accept-Encoding');
  const h2 = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(compressor().factory).sendRequest(true);
  h2.respond(200, { ...json(), vary: 'accept-encoding' }, true);
  assert.equal(h2.down.head?.headers.vary, 'accept-encoding');
});

test('compressor: response_direction_config roots the common stats under response. (the header stats stay in the legacy tree)', async () => {
  const { factory, stats } = compressor({ response_direction_config: { common_config: { min_content_length: 10 } } });
  const h = new FilterHarness('GET', '/', { 'accept-encoding': '*' }).install(factory).sendRequest(true);
  h.respond(200, { ...json(), 'content-length': '12' }).respondData('twelve bytes', true);
  await compressedResponse(h);
  assert.equal(stats.get('compressor.text.gzip.response.compressed'), 1);
  assert.equal(stats.get('compressor.text.gzip.header_wildcard'), 1);
  assert.equal(stats.get('compressor.text.gzip.compressed'), undefined);
});

test('compressor: remove_accept_encoding_header strips it upstream but still compresses by the client header', async () => {
  const { factory } = compressor({ response_direction_config: { remove_accept_encoding_header: true } });
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  assert.equal(h.up.headers?.['accept-encoding'], undefined);
  h.respond(200, json()).respondData(TEXT, true);
  assert.equal(zlib.gunzipSync(await compressedResponse(h)).toString(), TEXT);
});

test('compressor: per-route disabled turns it off; per-route overrides turn it on over a disabled flag', () => {
  const off = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).installNamed([{ name: 'comp', factory: off.factory }]);
  h.withRouteConfig('comp', perRoute({ disabled: true })).sendRequest(true).respond(200, json());
  assert.equal(h.down.head?.headers['content-encoding'], undefined);

  const on = compressor({ response_direction_config: { common_config: { enabled: { default_value: false, runtime_key: 'k' } } } });
  const h2 = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).installNamed([{ name: 'comp', factory: on.factory }]);
  h2.withRouteConfig('comp', perRoute({ overrides: { response_direction_config: { remove_accept_encoding_header: true } } })).sendRequest(true);
  assert.equal(h2.up.headers?.['accept-encoding'], undefined, 'the route override removes accept-encoding');
  h2.respond(200, json());
  assert.equal(h2.down.head?.headers['content-encoding'], 'gzip');
});

test('compressor: two compressors in a chain — q-values pick one, choose_first breaks ties, the other counts overshadowed', async () => {
  const stats = compressor().stats;
  const gz = compressor({}, stats);
  const br = compressor({ compressor_library: BROTLI_LIB, choose_first: true }, stats);
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip, br' }).install(gz.factory, br.factory).sendRequest(true);
  h.respond(200, json()).respondData(TEXT, true);
  const body = await compressedResponse(h);
  assert.equal(h.down.head?.headers['content-encoding'], 'br');
  assert.equal(zlib.brotliDecompressSync(body).toString(), TEXT);
  assert.equal(stats.get('compressor.br.brotli.header_compressor_used'), 1);
  assert.equal(stats.get('compressor.text.gzip.header_compressor_overshadowed'), 1);

  const h2 = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip;q=1, br;q=0.5' }).install(compressor().factory, compressor({ compressor_library: BROTLI_LIB, choose_first: true }).factory);
  h2.sendRequest(true).respond(200, json()).respondData(TEXT, true);
  assert.equal(h2.down.head?.headers['content-encoding'], 'gzip');
  await compressedResponse(h2);
});

test('compressor: request_direction_config compresses request bodies (content-length removed, content-encoding set)', async () => {
  const { factory, stats } = compressor({ request_direction_config: {} });
  const h = new FilterHarness('POST', '/', { 'content-type': 'application/json', 'content-length': String(TEXT.length) }).install(factory);
  h.sendRequest(false).sendRequestData(TEXT.slice(0, 50), false).sendRequestData(TEXT.slice(50), true);
  await until(() => h.up.ended, 2000, 'request end');
  assert.equal(h.up.headers?.['content-encoding'], 'gzip');
  assert.equal(h.up.headers?.['content-length'], undefined);
  assert.equal(zlib.gunzipSync(h.upstreamBody()).toString(), TEXT);
  assert.equal(stats.get('compressor.text.gzip.request.compressed'), 1);
  assert.equal(stats.get('compressor.text.gzip.request.total_uncompressed_bytes'), TEXT.length);
});

test('compressor: request trailers are held until the compressed body is complete', async () => {
  const { factory } = compressor({ request_direction_config: {} });
  const h = new FilterHarness('POST', '/', { 'content-type': 'text/plain' }).install(factory);
  h.sendRequest(false).sendRequestData(TEXT, false).sendRequestTrailers({ 'x-t': '1' });
  assert.equal(h.up.trailers, undefined);
  await until(() => h.up.trailers !== undefined, 2000, 'request trailers');
  assert.equal(zlib.gunzipSync(h.upstreamBody()).toString(), TEXT);
});

test('compressor: request compression is off by default and skips encoded or small bodies', () => {
  const { factory, stats } = compressor();
  new FilterHarness('POST', '/', { 'content-type': 'application/json' }).install(factory).sendRequest(false);
  assert.equal(stats.get('compressor.text.gzip.request.not_compressed'), 1);
  const on = compressor({ request_direction_config: {} });
  const h = new FilterHarness('POST', '/', { 'content-type': 'application/json', 'content-encoding': 'gzip' }).install(on.factory).sendRequest(false);
  assert.equal(h.up.headers?.['content-encoding'], 'gzip');
  const h2 = new FilterHarness('POST', '/', { 'content-type': 'application/json', 'content-length': '5' }).install(on.factory).sendRequest(false);
  assert.equal(h2.up.headers?.['content-encoding'], undefined);
  assert.equal(on.stats.get('compressor.text.gzip.request.content_length_too_small'), 1);
});

test('compressor: a fast upstream is paused while zlib is behind and resumed when it drains', async () => {
  const { factory } = compressor();
  const h = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).install(factory).sendRequest(true);
  h.respond(200, json());
  const chunk = Buffer.alloc(64 * 1024, 'a');
  h.respondData(chunk, false);
  assert.equal(h.upstreamPaused, true, 'zlib input above its high-water mark pauses the upstream');
  await until(() => !h.upstreamPaused, 2000, 'resume');
  h.respondData(chunk, true);
  const body = await compressedResponse(h);
  assert.equal(zlib.gunzipSync(body).length, 128 * 1024);
});

test('compressor: a fast client is paused (read-disabled) while the request compressor is behind, then resumed', async () => {
  const { factory } = compressor({ request_direction_config: {} });
  const h = new FilterHarness('POST', '/', { 'content-type': 'text/plain' }).install(factory).sendRequest(false);
  h.sendRequestData(Buffer.alloc(64 * 1024, 'b'), false);
  assert.equal(h.paused, true);
  await until(() => !h.paused, 2000, 'resume');
  h.sendRequestData('', true);
  await until(() => h.up.ended, 2000, 'request end');
  assert.equal(zlib.gunzipSync(h.upstreamBody()).length, 64 * 1024);
});

test('compressor: the enabled flag reads its runtime key per request, falling back to default_value', () => {
  const { factory } = compressor({ response_direction_config: { common_config: { enabled: { default_value: true, runtime_key: 'compress.on' } } } });
  const off = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).withRuntime({ 'compress.on': 'false' }).install(factory).sendRequest(true);
  off.respond(200, json());
  assert.equal(off.down.head?.headers['content-encoding'], undefined);
  const on = new FilterHarness('GET', '/', { 'accept-encoding': 'gzip' }).withRuntime({ other: '1' }).install(factory).sendRequest(true);
  on.respond(200, json());
  assert.equal(on.down.head?.headers['content-encoding'], 'gzip');
});
