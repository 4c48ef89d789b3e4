// E2E: the downstream HTTP/1.1 path under hostile input through a real `trellis proxy` — large heads, Host and
// Content-Length rules, trailer limits, header limits from config (HTTP/1.1 and HTTP/2), hop-by-hop removal, pipelining.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { hcmListener, multiBootstrap, rawExchange, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

let up: Upstream;
let proxy: RunningProxy;
let port: number; // default limits
let tightPort: number; // max_headers_count 10, max_request_headers_kb 2
let upstreamConnections = 0;
/** Requests the upstream is working on right now, and the most it ever saw at once. */
const load = { inflight: 0, max: 0 };

before(async () => {
  up = await startUpstream('up', (req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/slow/')) {
      load.inflight++;
      load.max = Math.max(load.max, load.inflight);
      req.resume();
      setTimeout(() => {
        load.inflight--;
        res.end(url);
      }, 2);
      return;
    }
    if (url === '/nominating') {
      res.setHeader('connection', 'x-bar');
      res.setHeader('x-bar', 'hop');
      res.setHeader('x-keep', 'end-to-end');
      res.end('ok');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.headers));
    });
  });
  up.server.on('connection', () => upstreamConnections++);
  const routeConfig = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }] };
  proxy = await startProxy(
    multiBootstrap(
      [
        hcmListener('main', { routeConfig }),
        hcmListener('tight', { routeConfig, hcm: { common_http_protocol_options: { max_headers_count: 10 }, max_request_headers_kb: 2 } }),
      ],
      [staticCluster('up', [up.port])],
    ),
  );
  port = proxy.listeners.get('main')!;
  tightPort = proxy.listeners.get('tight')!;
});

after(async () => {
  await proxy?.stop();
  await up?.close();
});

async function assertAlive(): Promise<void> {
  assert.equal(proxy.proc.exitCode, null, `proxy exited:\n${proxy.output()}`);
  const r = await request(port, { path: '/alive' });
  assert.equal(r.status, 200);
}

const head = (path: string, lines: string[]): string => `GET ${path} HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

test('a request with 35 header fields is proxied, and so is the next one on the connection (was a proxy crash)', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 35; i++) headers[`X-H${i}`] = 'v';
    for (const path of ['/many', '/after']) {
      const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { host: 'example.com', ...(path === '/many' ? headers : {}) } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(r.status, 200, r.body);
      if (path === '/many') assert.equal((JSON.parse(r.body) as Record<string, string>)['x-h34'], 'v');
    }
  } finally {
    agent.destroy();
  }
  await assertAlive();
});

test('two Host fields, an invalid Host, userinfo in the target, a bad Content-Length, CL with TE: 400 and close; a coding other than chunked: 501', async () => {
  const cases = [
    head('/', ['Host: a.example', 'Host: b.example']),
    head('/', ['Host: a b']),
    head('/', ['Host: evil@a.example']),
    head('http://user:pw@a.example/', ['Host: a.example']),
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740992\r\n\r\nx`,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy`,
    `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ];
  for (const c of cases) {
    const r = await rawExchange(port, c, { timeoutMs: 3000 });
    assert.match(r.data, /^HTTP\/1\.1 400 /, JSON.stringify(c));
    assert.equal(r.closed, true, JSON.stringify(c));
  }
  // Envoy: a transfer coding other than chunked is 501, never forwarded
  const gz = await rawExchange(port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`, { timeoutMs: 3000 });
  assert.match(gz.data, /^HTTP\/1\.1 501 /);
  assert.equal(gz.closed, true);
  const ok = await rawExchange(port, head('http://target.example/abs', ['Host: other.example', 'Connection: close']), { timeoutMs: 3000 });
  assert.match(ok.data, /^HTTP\/1\.1 200 /);
  assert.equal((JSON.parse(ok.data.slice(ok.data.indexOf('{'))) as Record<string, string>).host, 'target.example', 'the absolute-form authority wins over Host');
  await assertAlive();
});

test('10,000 trailer fields get 431 and a close; the proxy keeps serving', async () => {
  const trailers = Array.from({ length: 10_000 }, (_, i) => `T${i}: v\r\n`).join('');
  const r = await rawExchange(port, `POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n${trailers}\r\n`, { timeoutMs: 3000 });
  assert.match(r.data, /^HTTP\/1\.1 431 /);
  assert.equal(r.closed, true);
  await assertAlive();
});

test('Connection-nominated fields are not forwarded, in either direction', async () => {
  const r = await rawExchange(port, head('/h', ['Host: a', 'Connection: close, X-Foo', 'X-Foo: secret', 'X-Keep: 1']), { timeoutMs: 3000 });
  const seen = JSON.parse(r.data.slice(r.data.indexOf('{'))) as Record<string, string>;
  assert.equal(seen['x-foo'], undefined, 'x-foo was nominated by Connection');
  assert.equal(seen['x-keep'], '1');
  const resp = await request(port, { path: '/nominating' });
  assert.equal(resp.headers['x-bar'], undefined, 'the upstream nominated x-bar');
  assert.equal(resp.headers['x-keep'], 'end-to-end');
});

test('max_headers_count and max_request_headers_kb from the HCM config give 431 on HTTP/1.1 and refuse the stream on HTTP/2', async () => {
  const eleven = ['Host: a', ...Array.from({ length: 10 }, (_, i) => `X-H${i}: v`)];
  assert.match((await rawExchange(tightPort, head('/', eleven))).data, /^HTTP\/1\.1 431 /);
  assert.match((await rawExchange(tightPort, head('/', eleven.slice(0, 10)))).data, /^HTTP\/1\.1 200 /, '10 fields are within the limit');
  assert.match((await rawExchange(tightPort, head('/', ['Host: a', `X-Big: ${'b'.repeat(3000)}`]))).data, /^HTTP\/1\.1 431 /);
  assert.match((await rawExchange(port, head('/', ['Host: a', `X-Big: ${'b'.repeat(3000)}`]))).data, /^HTTP\/1\.1 200 /, 'the default is 60 KiB');

  const session = http2.connect(`http://127.0.0.1:${tightPort}`);
  session.on('error', () => {});
  try {
    const outcome = (headers: http2.OutgoingHttpHeaders): Promise<string> =>
      new Promise((resolve) => {
        const s = session.request({ ':path': '/', ':authority': 'a', ...headers });
        s.on('response', (h) => resolve(`status ${h[':status']}`));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        s.on('close', () => resolve(`closed ${s.rstCode}`));
        s.resume();
      });
    assert.equal(await outcome({ 'x-a': '1' }), 'status 200');
    const many: http2.OutgoingHttpHeaders = {};
    for (let i = 0; i < 20; i++) many[`x-h${i}`] = 'v';
    // nghttp2 resets the stream (RST_STREAM ENHANCE_YOUR_CALM), as Envoy resets it.
    assert.match(await outcome(many), /ERR_HTTP2_STREAM_ERROR|closed 11/, '20 headers against max_headers_count 10');
  } finally {
    session.destroy();
  }
  await assertAlive();
});

test('50 pipelined requests in one write reach the upstream one at a time and come back in order', async () => {
  load.max = 0;
  const connectionsBefore = upstreamConnections;
  const reqs = Array.from({ length: 50 }, (_, i) => head(`/slow/${i}`, ['Host: a'])).join('');
  const r = await rawExchange(port, reqs, { done: (d) => d.includes('/slow/49'), timeoutMs: 10_000 });
  const bodies = [...r.data.matchAll(/\/slow\/(\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(bodies, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(load.max, 1, 'the upstream never saw two of them at once');
  assert.ok(upstreamConnections - connectionsBefore <= 1, `${upstreamConnections - connectionsBefore} upstream connections`);
});
