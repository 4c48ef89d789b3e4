// Tests for the listener filters' parsers: TLS ClientHello (real bytes from Node's TLS client) and HTTP detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { parseClientHello } from '../../../src/proxy/listener/client-hello.js';
import { detectHttp } from '../../../src/proxy/listener/http-detect.js';

/** Records what a real TLS client sends first. */
async function captureClientHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          s.destroy();
          resolve(all);
        }
      });
    });
  });
  const c = tls.connect({ ...opts, host: '127.0.0.1', port, rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

test('ClientHello: SNI and ALPN from a real Node client, incrementally', async () => {
  const hello = await captureClientHello({ servername: 'API.Example.com', ALPNProtocols: ['h2', 'http/1.1'] });
  assert.deepEqual(parseClientHello(hello), { kind: 'tls', sni: 'api.example.com', alpn: ['h2', 'http/1.1'] });
  for (const n of [0, 1, 5, 40, hello.length - 1]) assert.equal(parseClientHello(hello.subarray(0, n)).kind, 'need-more', `at ${n} bytes`);
  const noExt = await captureClientHello({});
  assert.deepEqual(parseClientHello(noExt), { kind: 'tls', alpn: [] });
});

test('ClientHello split over two handshake records is reassembled', async () => {
  const hello = await captureClientHello({ servername: 'split.example', ALPNProtocols: ['h2'] });
  const body = hello.subarray(5);
  const cut = 30;
  const rec = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
  const two = Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))]);
  assert.deepEqual(parseClientHello(two), { kind: 'tls', sni: 'split.example', alpn: ['h2'] });
  assert.equal(parseClientHello(two.subarray(0, 5 + cut + 3)).kind, 'need-more');
});

test('ClientHello: plaintext and garbage are not TLS, decided from the first bytes', () => {
  assert.equal(parseClientHello(Buffer.from('G')).kind, 'not-tls');
  assert.equal(parseClientHello(Buffer.from('PRI * HTTP/2.0')).kind, 'not-tls');
  assert.equal(parseClientHello(Buffer.from([0x16, 0x01])).kind, 'not-tls');
  assert.equal(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0])).kind, 'not-tls'); // ServerHello
});

test('http_inspector: h2 preface, HTTP/1.x request lines, early bail-out', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  assert.equal(detectHttp(preface), 'h2c');
  assert.equal(detectHttp(preface.subarray(0, 10)), 'need-more');
  assert.equal(detectHttp(Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\n')), 'http/1.1');
  assert.equal(detectHttp(Buffer.from('POST /x HTTP/1.0\r\n')), 'http/1.0');
  assert.equal(detectHttp(Buffer.from('GET /x HT')), 'need-more');
  assert.equal(detectHttp(Buffer.from('PR')), 'need-more');
  assert.equal(detectHttp(Buffer.from('GET /x HTTP/3.0\r\n')), 'not-http');
  assert.equal(detectHttp(Buffer.from([0x16, 0x03, 0x01])), 'not-http');
  assert.equal(detectHttp(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')), 'not-http');
});
