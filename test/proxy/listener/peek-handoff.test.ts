// Tests that bytes peeked and put back by the listener are seen by Node's http, http2 and tls servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { peekSocket } from '../../../src/proxy/listener/peek.js';
import { makeTestPki } from '../../fixtures/certs.js';

/** A listener that peeks `n` bytes (or until the whole first request line is in) and then hands off. */
async function withPeekingServer(n: number, handOff: (s: net.Socket, peeked: Buffer) => void, run: (port: number) => Promise<void>): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    peekSocket(s, (b) => b.length >= n, 1000, (outcome, buf) => {
      assert.equal(outcome, 'done');
      handOff(s, buf);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await run((server.address() as net.AddressInfo).port);
  } finally {
    server.close();
  }
}

function h2get(url: string, path: string, opts: http2.SecureClientSessionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(url, opts);
    c.on('error', reject);
    const req = c.request({ ':path': path });
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      c.close();
      resolve(body);
    });
    req.on('error', reject);
  });
}

test('http.Server sees a request whose first line was peeked (even a whole request)', async () => {
  const h1 = http.createServer((req, res) => res.end(`h1 ${req.method} ${req.url}`));
  await withPeekingServer(20, (s) => h1.emit('connection', s), async (port) => {
    const r = await fetch(`http://127.0.0.1:${port}/first`);
    assert.equal(await r.text(), 'h1 GET /first');
    const r2 = await fetch(`http://127.0.0.1:${port}/post`, { method: 'POST', body: 'x'.repeat(100_000) });
    assert.equal(await r2.text(), 'h1 POST /post');
  });
  h1.close();
});

test('http2 server sees the peeked connection preface', async () => {
  const h2 = http2.createServer();
  h2.on('stream', (st, h) => {
    st.respond({ ':status': 200 });
    st.end(`h2 ${h[':path']}`);
  });
  await withPeekingServer(24, (s, b) => {
    assert.equal(b.subarray(0, 3).toString(), 'PRI');
    h2.emit('connection', s);
  }, async (port) => {
    assert.equal(await h2get(`http://127.0.0.1:${port}`, '/p'), 'h2 /p');
  });
  h2.close();
});

test('tls.Server (via emit connection) sees the peeked ClientHello; inner http/1.1 and h2 peeks work too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-peek-'));
  const pki = makeTestPki(dir);
  const h1 = http.createServer((req, res) => res.end(`tls-h1 ${req.url}`));
  const h2 = http2.createServer();
  h2.on('stream', (st, h) => {
    st.respond({ ':status': 200 });
    st.end(`tls-h2 ${h[':path']}`);
  });
  const ts = tls.createServer({ cert: pki.serverCert, key: pki.serverKey, ALPNProtocols: ['h2', 'http/1.1'] });
  ts.on('secureConnection', (t: tls.TLSSocket) => {
    if (t.alpnProtocol === 'h2') h2.emit('connection', t);
    else peekSocket(t, (b) => b.length >= 3, 1000, () => h1.emit('connection', t)); // peek inside TLS, then hand to http
  });
  try {
    await withPeekingServer(6, (s, b) => {
      assert.equal(b[0], 0x16);
      ts.emit('connection', s);
    }, async (port) => {
      const body = await new Promise<string>((resolve, reject) => {
        const req = https_get(port, pki.caCert, resolve);
        req.on('error', reject);
      });
      assert.equal(body, 'tls-h1 /a');
      assert.equal(await h2get(`https://localhost:${port}`, '/b', { ca: pki.caCert }), 'tls-h2 /b');
    });
  } finally {
    h1.close();
    h2.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function https_get(port: number, ca: string, done: (body: string) => void): http.ClientRequest {
  return https.get({ host: '127.0.0.1', servername: 'localhost', port, path: '/a', ca, agent: false }, (r) => {
    let d = '';
    r.on('data', (x: Buffer) => (d += x.toString()));
    r.on('end', () => done(d));
  });
}
