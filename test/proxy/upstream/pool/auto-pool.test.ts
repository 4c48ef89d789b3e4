// Proxy upstream pools: auto_config — ALPN over TLS picks HTTP/2 or HTTP/1.1; requests made before the answer wait
// (with their bodies) and follow it; a server that changes its answer fails one connection and is learned again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { AutoPool } from '../../../../src/proxy/upstream/pool/auto-pool.js';
import type { PoolOptions } from '../../../../src/proxy/upstream/pool/h1-pool.js';
import type { UpstreamFailure } from '../../../../src/proxy/upstream/types.js';
import type { HeaderMap } from '../../../../src/proxy/router/types.js';
import { FakeStats, fakeHost } from '../../tcp/fakes.js';
import { makeTestPki, type TestPki } from '../../../fixtures/certs.js';

const open = { tryStartRequest: () => true, endRequest: () => {}, tryStartPending: () => true, endPending: () => {}, tryStartRetry: () => true, endRetry: () => {}, tryOpenConnection: () => true, closeConnection: () => {} };

let dir: string;
let pki: TestPki;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-auto-'));
  pki = makeTestPki(dir);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An HTTPS server answering with the HTTP version it saw; `h2` makes it offer h2 (and http/1.1) by ALPN. */
async function server(h2: { on: boolean }): Promise<{ port: number; close(): void }> {
  const handler = (req: { httpVersion: string; on(e: string, f: (c: Buffer) => void): void }, res: { end(s: string): void }): void => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`${req.httpVersion} ${n}`));
  };
  const tlsOpts = { cert: pki.serverCert, key: pki.serverKey };
  // one port: the ALPN callback decides per connection whether h2 is on offer
  const srv = http2.createSecureServer({ ...tlsOpts, allowHTTP1: true, ALPNCallback: ({ protocols }: { protocols: string[] }) => (h2.on && protocols.includes('h2') ? 'h2' : 'http/1.1') } as http2.SecureServerOptions, handler as never);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

function autoPool(port: number, stats: FakeStats): AutoPool {
  return new AutoPool({
    host: fakeHost('127.0.0.1', port),
    target: { host: '127.0.0.1', port, timeoutMs: 2000, tls: { rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] } },
    breakers: open,
    stats: {
      cxTotal: stats.counter('cx_total'),
      cxActive: stats.gauge('cx_active'),
      cxConnectFail: stats.counter('cx_connect_fail'),
      cxConnectTimeout: stats.counter('cx_connect_timeout'),
      cxDestroy: stats.counter('cx_destroy'),
      cxHttp1Total: stats.counter('cx_http1_total'),
      cxHttp2Total: stats.counter('cx_http2_total'),
      rqPendingTotal: stats.counter('rq_pending_total'),
    } as PoolOptions['stats'],
    idleTimeoutMs: 0,
    maxRequestsPerConnection: 0,
    maxHeadersCount: 100,
  });
}

function send(p: AutoPool, body?: string): Promise<string | { error: UpstreamFailure; detail: string }> {
  return new Promise((resolve) => {
    let out = '';
    const s = p.request(
      { method: body === undefined ? 'GET' : 'POST', path: '/', authority: 'localhost', scheme: 'https', headers: {}, hasBody: body !== undefined, contentLength: body?.length ?? 0 },
      {
        onHeaders: (_st: number, _h: HeaderMap) => {},
        onData: (c) => (out += c.toString()),
        onEnd: () => resolve(out),
        onError: (error, detail) => resolve({ error, detail }),
      },
    );
    if (body !== undefined) s.write(Buffer.from(body));
    s.end();
  });
}

test('ALPN h2: requests (with bodies written before the answer) go over one HTTP/2 connection', async () => {
  const srv = await server({ on: true });
  const stats = new FakeStats();
  const p = autoPool(srv.port, stats);
  assert.equal(p.protocol, 'http/1.1'); // nothing known yet
  const replies = await Promise.all([send(p, 'abc'), send(p), send(p, 'hello')]);
  assert.deepEqual(replies, ['2.0 3', '2.0 0', '2.0 5']);
  assert.equal(p.protocol, 'h2');
  assert.equal(stats.get('cx_total'), 1);
  assert.equal(stats.get('cx_http2_total'), 1);
  p.close();
  srv.close();
});

test('ALPN http/1.1 (or none): the pool speaks HTTP/1.1', async () => {
  const srv = await server({ on: false });
  const stats = new FakeStats();
  const p = autoPool(srv.port, stats);
  assert.deepEqual(await Promise.all([send(p, 'x'), send(p)]), ['1.1 1', '1.1 0']);
  assert.equal(p.protocol, 'http/1.1');
  assert.equal(stats.get('cx_http1_total') >= 1, true);
  assert.equal(stats.get('cx_http2_total'), 0);
  p.close();
  srv.close();
});

test('a server that stops offering h2: one connection fails (retriable), the next request learns HTTP/1.1', async () => {
  const mode = { on: true };
  const srv = await server(mode);
  const p = autoPool(srv.port, new FakeStats());
  assert.equal(await send(p), '2.0 0');
  p.drain(); // the h2 session goes away; the next request needs a new connection
  mode.on = false;
  const failed = await send(p);
  assert.deepEqual(typeof failed === 'object' ? failed.error : failed, 'connect-failure');
  assert.equal(await send(p), '1.1 0');
  assert.equal(p.protocol, 'http/1.1');
  p.close();
  srv.close();
});

test('a connect failure fails the waiting requests', async () => {
  const srv = await server({ on: true });
  srv.close();
  const p = autoPool(srv.port, new FakeStats());
  const r = await send(p);
  assert.equal(typeof r === 'object' ? r.error : r, 'connect-failure');
  p.close();
});
