// Proxy upstream pools: the HTTP/1.1 pool against a loopback server, with the idle timer faked — idle
// connections are reused until idle_timeout, then closed; max_requests_per_connection; connect timeouts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import FakeTimers from '@sinonjs/fake-timers';
import { H1Pool, type PoolOptions } from '../../../../src/proxy/upstream/pool/h1-pool.js';
import type { UpstreamFailure } from '../../../../src/proxy/upstream/types.js';
import type { HeaderMap } from '../../../../src/proxy/router/types.js';
import { FakeStats, fakeHost } from '../../tcp/fakes.js';

const open = { tryStartRequest: () => true, endRequest: () => {}, tryStartPending: () => true, endPending: () => {}, tryStartRetry: () => true, endRetry: () => {}, tryOpenConnection: () => true, closeConnection: () => {} };

/** A keep-alive HTTP/1.1 server that counts its connections and answers 200 "ok" to everything. */
async function server(): Promise<{ port: number; connections: () => number; open: () => number; close(): void }> {
  let n = 0;
  const live = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    n++;
    live.add(s);
    s.on('close', () => live.delete(s));
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        buf = buf.slice(i + 4);
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections: () => n,
    open: () => live.size,
    close: () => {
      for (const s of live) s.destroy();
      srv.close();
    },
  };
}

function pool(port: number, over: Partial<PoolOptions> = {}): H1Pool {
  const s = new FakeStats();
  return new H1Pool({
    host: fakeHost('127.0.0.1', port),
    target: { host: '127.0.0.1', port, timeoutMs: 1000 },
    breakers: open,
    stats: {
      cxTotal: s.counter('cx_total'),
      cxActive: s.gauge('cx_active'),
      cxConnectFail: s.counter('cx_connect_fail'),
      cxConnectTimeout: s.counter('cx_connect_timeout'),
      cxDestroy: s.counter('cx_destroy'),
      cxHttp1Total: s.counter('cx_http1_total'),
      cxHttp2Total: s.counter('cx_http2_total'),
      rqPendingTotal: s.counter('rq_pending_total'),
    } as PoolOptions['stats'],
    idleTimeoutMs: 0,
    maxRequestsPerConnection: 0,
    maxHeadersCount: 100,
    ...over,
  });
}

function get(p: H1Pool): Promise<{ status: number } | { error: UpstreamFailure }> {
  return new Promise((resolve) => {
    let status = 0;
    const s = p.request(
      { method: 'GET', path: '/', authority: 'x', scheme: 'http', headers: {}, hasBody: false, contentLength: 0 },
      {
        onHeaders: (st: number, _h: HeaderMap) => (status = st),
        onData: () => {},
        onEnd: () => resolve({ status }),
        onError: (kind) => resolve({ error: kind }),
      },
    );
    s.end();
  });
}

let clock: ReturnType<typeof FakeTimers.install> | undefined;
afterEach(() => {
  clock?.uninstall();
  clock = undefined;
});

/** Lets real socket I/O run while timers are faked. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

test('h1 pool: an idle connection is reused, then closed once idle_timeout passes', async () => {
  const srv = await server();
  clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  const p = pool(srv.port, { idleTimeoutMs: 5000 });
  assert.deepEqual(await get(p), { status: 200 });
  assert.deepEqual(await get(p), { status: 200 });
  assert.equal(srv.connections(), 1, 'keep-alive reuse');
  clock.tick(4999);
  await until(() => true);
  assert.equal(srv.open(), 1);
  clock.tick(1);
  await until(() => srv.open() === 0);
  assert.deepEqual(await get(p), { status: 200 });
  assert.equal(srv.connections(), 2, 'a fresh connection after the idle one closed');
  p.close();
  srv.close();
});

test('h1 pool: max_requests_per_connection closes a connection after that many requests', async () => {
  const srv = await server();
  const p = pool(srv.port, { maxRequestsPerConnection: 2 });
  for (let i = 0; i < 5; i++) assert.deepEqual(await get(p), { status: 200 });
  assert.equal(srv.connections(), 3);
  p.close();
  srv.close();
});

/** Answers every request with `fields` header fields, then (chunked) `trailerFields` trailer fields. */
async function headerServer(fields: number, trailerFields = 0): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      const head = Array.from({ length: fields }, (_, i) => `x-h${i}: v\r\n`).join('');
      const trailers = Array.from({ length: trailerFields }, (_, i) => `x-t${i}: v\r\n`).join('');
      s.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n${head}\r\n2\r\nok\r\n0\r\n${trailers}\r\n`);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

test('h1 pool: a response head or trailers past max_headers_count fail the exchange (reset) and close the connection', async () => {
  // 99 fields + transfer-encoding = 100: allowed; the llhttp hand-over past 32 fields is counted as one head
  const cases: [number, number, number, object][] = [
    [99, 0, 100, { status: 200 }],
    [100, 0, 100, { error: 'reset' }],
    [1, 40, 30, { error: 'reset' }],
  ];
  for (const [fields, trailerFields, maxHeadersCount, want] of cases) {
    const srv = await headerServer(fields, trailerFields);
    const p = pool(srv.port, { maxHeadersCount });
    assert.deepEqual(await get(p), want, `${fields} fields, ${trailerFields} trailers, max ${maxHeadersCount}`);
    p.close();
    srv.close();
  }
});

test('h1 pool: a connect (here a TLS handshake) that does not complete within connect_timeout fails as connect-failure', async () => {
  // A TCP server that accepts and never speaks: the TLS handshake never finishes.
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  const stats = new FakeStats();
  const p = pool(port, {
    target: { host: '127.0.0.1', port, timeoutMs: 250, tls: { rejectUnauthorized: false } },
    stats: { cxTotal: stats.counter('t'), cxActive: stats.gauge('a'), cxConnectFail: stats.counter('cx_connect_fail'), cxConnectTimeout: stats.counter('cx_connect_timeout'), cxDestroy: stats.counter('d'), cxHttp1Total: stats.counter('h1'), cxHttp2Total: stats.counter('h2'), rqPendingTotal: stats.counter('p') } as PoolOptions['stats'],
  });
  const r = get(p);
  let settled = false;
  void r.then(() => (settled = true));
  await until(() => true);
  clock.tick(249);
  await until(() => true);
  assert.equal(settled, false, 'still connecting before the timeout');
  clock.tick(1);
  assert.deepEqual(await r, { error: 'connect-failure' });
  assert.equal(stats.get('cx_connect_timeout'), 1);
  p.close();
  silent.close();
});
