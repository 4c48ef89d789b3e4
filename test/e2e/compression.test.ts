// E2E: envoy.filters.http.compressor and envoy.filters.http.decompressor in a real `trellis proxy` — gzip/brotli
// responses over HTTP/1.1 and HTTP/2, Envoy's skip rules, per-route disabling, request decompression to HTTP/1.1 and
// HTTP/2 upstreams (with byte-count trailers), response decompression, a decompression bomb, and the stats.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { H2_UPSTREAM, ROUTER_FILTER, hcmListener, multiBootstrap, startH2Upstream, startProxy, startUpstream, staticCluster, type H2Upstream, type RunningProxy, type Upstream, adminStat } from './harness.js';

const GZIP = 'type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip';
const BROTLI = 'type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli';
const GUNZIP = 'type.googleapis.com/envoy.extensions.compression.gzip.decompressor.v3.Gzip';
const COMPRESSOR = 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor';
const DECOMPRESSOR = 'type.googleapis.com/envoy.extensions.filters.http.decompressor.v3.Decompressor';

const JSON_BODY = JSON.stringify({ items: Array.from({ length: 200 }, (_v, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'] })) });
const BIG = Buffer.from('0123456789abcdef'.repeat(256 * 1024)); // 4 MiB, streamed in 64 KiB writes

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: Record<string, string>;
}

let h1: Upstream;
let h2: H2Upstream;
let proxy: RunningProxy;
const seen: Seen[] = [];
const h2Seen: Seen[] = [];

before(async () => {
  h1 = await startUpstream('h1', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks), trailers: req.trailers as Record<string, string> });
      const url = req.url ?? '/';
      if (url.startsWith('/json') || url.startsWith('/plain/json')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(JSON_BODY), etag: '"strong-1"' });
        res.end(req.method === 'HEAD' ? undefined : JSON_BODY);
      } else if (url === '/small') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
        res.end('{}');
      } else if (url === '/image') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(JSON_BODY);
      } else if (url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let off = 0;
        const pump = (): void => {
          while (off < BIG.length) {
            const ok = res.write(BIG.subarray(off, off + 65536));
            off += 65536;
            if (!ok) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      } else if (url === '/gzipped') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(JSON_BODY));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`got ${Buffer.concat(chunks).length}`);
      }
    });
  });
  h2 = await startH2Upstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      h2Seen.push({ headers: req.headers as http.IncomingHttpHeaders, body: Buffer.concat(chunks), trailers: req.trailers as Record<string, string> });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`h2 got ${Buffer.concat(chunks).length}`);
    });
  });

  const compressors = [
    {
      name: 'envoy.filters.http.compressor',
      typed_config: {
        '@type': COMPRESSOR,
        response_direction_config: { common_config: { min_content_length: 100 } },
        compressor_library: { name: 'text', typed_config: { '@type': GZIP, memory_level: 9, window_bits: 15, compression_level: 'BEST_SPEED', chunk_size: 8192 } },
      },
    },
    {
      name: 'brotli',
      typed_config: {
        '@type': COMPRESSOR,
        choose_first: true,
        compressor_library: { name: 'br', typed_config: { '@type': BROTLI, quality: 4 } },
      },
    },
    ROUTER_FILTER,
  ];
  const decompressor = {
    name: 'envoy.filters.http.decompressor',
    typed_config: {
      '@type': DECOMPRESSOR,
      decompressor_library: { name: 'basic', typed_config: { '@type': GUNZIP, max_inflate_ratio: 50 } },
    },
  };
  proxy = await startProxy(
    multiBootstrap(
      [
        hcmListener('compress', {
          httpFilters: compressors,
          routeConfig: {
            virtual_hosts: [
              {
                name: 'all',
                domains: ['*'],
                routes: [
                  {
                    match: { prefix: '/plain' },
                    route: { cluster: 'h1' },
                    typed_per_filter_config: {
                      'envoy.filters.http.compressor': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute', disabled: true },
                      brotli: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute', disabled: true },
                    },
                  },
                  { match: { prefix: '/' }, route: { cluster: 'h1' } },
                ],
              },
            ],
          },
        }),
        hcmListener('decompress', {
          httpFilters: [decompressor, ROUTER_FILTER],
          routeConfig: {
            virtual_hosts: [
              {
                name: 'all',
                domains: ['*'],
                routes: [
                  { match: { prefix: '/h2' }, route: { cluster: 'h2' } },
                  { match: { prefix: '/' }, route: { cluster: 'h1' } },
                ],
              },
            ],
          },
        }),
      ],
      [staticCluster('h1', [h1.port]), staticCluster('h2', [h2.port], H2_UPSTREAM)],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  await h1?.close();
  await h2?.close();
});

function port(name: string): number {
  return proxy.listeners.get(name)!;
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
}

function fetch(p: number, path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path, method: opts.method ?? 'GET', headers: { host: 'example.com', ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function stat(name: string): Promise<number> {
  return adminStat(proxy.adminPort, name);
}

test('compressor e2e: gzip over HTTP/1.1 — chunked, no content-length, vary, strong etag dropped, body intact', async () => {
  const r = await fetch(port('compress'), '/json', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.equal(r.headers['content-length'], undefined);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.headers.vary, 'Accept-Encoding');
  assert.equal(r.headers.etag, undefined);
  assert.ok(r.body.length < JSON_BODY.length / 3, `compressed to ${r.body.length}`);
  assert.equal(zlib.gunzipSync(r.body).toString(), JSON_BODY);
  assert.ok((await stat('http.compress.compressor.text.gzip.response.compressed')) >= 1);
  assert.ok((await stat('http.compress.compressor.text.gzip.header_compressor_used')) >= 1);
  assert.ok((await stat('http.compress.compressor.br.brotli.header_compressor_overshadowed')) >= 1);
});

test('compressor e2e: equal q-values pick brotli (choose_first); a higher q for gzip picks gzip', async () => {
  const br = await fetch(port('compress'), '/json', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(zlib.brotliDecompressSync(br.body).toString(), JSON_BODY);
  const gz = await fetch(port('compress'), '/json', { headers: { 'accept-encoding': 'br;q=0.5, gzip;q=0.8' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
});

test('compressor e2e: not compressed without accept-encoding, for HEAD, for small bodies, other media types, or per-route disabled', async () => {
  const plain = await fetch(port('compress'), '/json');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers['content-length'], String(JSON_BODY.length));
  assert.equal(plain.headers.vary, 'Accept-Encoding', 'still varies: a cache must not serve this to a gzip client');
  assert.equal(plain.body.toString(), JSON_BODY);
  const head = await fetch(port('compress'), '/json', { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(head.headers['content-encoding'], undefined);
  assert.equal(head.headers['content-length'], String(JSON_BODY.length));
  const small = await fetch(port('compress'), '/small', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(small.headers['content-encoding'], undefined);
  assert.equal(small.body.toString(), '{}');
  const image = await fetch(port('compress'), '/image', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(image.headers['content-encoding'], undefined);
  const disabled = await fetch(port('compress'), '/plain/json', { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(disabled.headers['content-encoding'], undefined);
  assert.equal(disabled.body.toString(), JSON_BODY);
  assert.ok((await stat('http.compress.compressor.text.gzip.response.content_length_too_small')) >= 1);
});

test('compressor e2e: a 4 MiB streamed response arrives whole and in order through zlib, over HTTP/1.1 and HTTP/2', async () => {
  const r = await fetch(port('compress'), '/big', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.ok(zlib.gunzipSync(r.body).equals(BIG));

  const session = http2.connect(`http://127.0.0.1:${port('compress')}`);
  try {
    const got = await new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const s = session.request({ ':path': '/big', 'accept-encoding': 'br' });
      let headers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      s.on('response', (h) => (headers = h));
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }));
      s.on('error', reject);
      s.end();
    });
    assert.equal(got.headers['content-encoding'], 'br');
    assert.ok(zlib.brotliDecompressSync(got.body).equals(BIG));
  } finally {
    session.close();
  }
});

test('decompressor e2e: a gzip request with content-length reaches an HTTP/1.1 upstream inflated, with byte-count trailers', async () => {
  seen.length = 0;
  const gz = zlib.gzipSync(JSON_BODY);
  const r = await fetch(port('decompress'), '/upload', { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-length': gz.length, 'content-type': 'application/json' }, body: gz });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), `got ${JSON_BODY.length}`);
  const s = seen[0];
  assert.equal(s.body.toString(), JSON_BODY);
  assert.equal(s.headers['content-encoding'], undefined);
  assert.equal(s.headers['content-length'], undefined);
  assert.equal(s.headers['accept-encoding'], 'gzip');
  assert.equal(s.trailers['x-envoy-decompressor-basic-compressed-bytes'], String(gz.length));
  assert.equal(s.trailers['x-envoy-decompressor-basic-uncompressed-bytes'], String(JSON_BODY.length));
  assert.equal(await stat('http.decompress.decompressor.basic.gzip.request.decompressed'), 1);
});

test('decompressor e2e: a gzip request with content-length reaches an HTTP/2 upstream inflated', async () => {
  h2Seen.length = 0;
  const gz = zlib.gzipSync(JSON_BODY);
  const r = await fetch(port('decompress'), '/h2/upload', { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-length': gz.length }, body: gz });
  assert.equal(r.status, 200, r.body.toString());
  assert.equal(r.body.toString(), `h2 got ${JSON_BODY.length}`);
  assert.equal(h2Seen[0].body.toString(), JSON_BODY);
});

test('decompressor e2e: a gzip response is inflated for the client; the coding is gone', async () => {
  const r = await fetch(port('decompress'), '/gzipped');
  assert.equal(r.headers['content-encoding'], undefined);
  assert.equal(r.body.toString(), JSON_BODY);
  assert.equal(r.trailers['x-envoy-decompressor-basic-uncompressed-bytes'], String(JSON_BODY.length));
});

test('decompressor e2e: a decompression bomb is refused with 413 and the upstream never gets the inflated flood', async () => {
  seen.length = 0;
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const r = await fetch(port('decompress'), '/upload', { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-length': bomb.length }, body: bomb }).catch((e: Error) => e);
  if (!(r instanceof Error)) assert.equal(r.status, 413);
  for (const s of seen) assert.ok(s.body.length <= 50 * bomb.length, `upstream got ${s.body.length} bytes`);
  assert.equal(await stat('http.decompress.decompressor.basic.gzip.decompressor_library.zlib_data_error'), 1);
  assert.equal(proxy.proc.exitCode, null, 'the proxy is alive');
});
