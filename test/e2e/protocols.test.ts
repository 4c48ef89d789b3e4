// E2E: HTTP/1.1, HTTP/2 (down- and upstream), upgrades and malformed input through a real `trellis proxy` process.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  H2_UPSTREAM,
  hcmListener,
  httpBootstrap,
  httpProtocolOptions,
  multiBootstrap,
  rawExchange,
  request,
  startDualUpstream,
  startH2Upstream,
  startProxy,
  startUpstream,
  staticCluster,
  type H2Upstream,
  type RunningProxy,
  type Upstream,
} from './harness.js';

const BIG = randomBytes(5 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let h1: Upstream;
let ws: Upstream;
let h2up: H2Upstream;
let dual: H2Upstream;
let proxy: RunningProxy;
let port: number; // AUTO codec, websocket enabled
let noUpgradePort: number; // AUTO codec, no upgrade_configs
let h2OnlyPort: number; // codec_type HTTP2
let http10Port: number; // accept_http_10
const wsSockets = new Set<Duplex>();
/** Upstream-side state of the /infinite responses, to see backpressure and downstream aborts propagate. */
const infinite: { sent: number; closed: boolean }[] = [];
const upstreamAborts: string[] = [];

function h1Handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  if (url === '/echo') {
    res.setHeader('x-req-te', String(req.headers['transfer-encoding'] ?? ''));
    res.setHeader('x-req-expect', String(req.headers.expect ?? ''));
    req.pipe(res);
    req.on('close', () => {
      if (!req.complete) upstreamAborts.push(url);
    });
    return;
  }
  if (url === '/sha') {
    const h = createHash('sha256');
    req.on('data', (c: Buffer) => h.update(c));
    req.on('end', () => res.end(h.digest('hex')));
    return;
  }
  if (url === '/big') {
    let off = 0;
    const pump = (): void => {
      while (off < BIG.length) {
        const chunk = BIG.subarray(off, off + 65536);
        off += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  if (url === '/infinite') {
    const state = { sent: 0, closed: false };
    infinite.push(state);
    const chunk = Buffer.alloc(65536, 0x61);
    const pump = (): void => {
      while (!state.closed && state.sent < 512 * 1024 * 1024) {
        state.sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.on('close', () => (state.closed = true));
    pump();
    return;
  }
  const status = /^\/status\/(\d+)$/.exec(url);
  if (status !== null) {
    res.statusCode = Number(status[1]);
    if (res.statusCode === 304) res.setHeader('etag', '"v1"');
    res.end();
    return;
  }
  if (url === '/len') {
    res.setHeader('content-length', '100');
    res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(100));
    return;
  }
  if (url === '/headers') {
    res.setHeader('proxy-connection', 'keep-alive');
    res.setHeader('x-resp', 'yes');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ headers: req.headers, version: req.httpVersion }));
    return;
  }
  const p = /^\/p\/(\d+)$/.exec(url);
  if (p !== null) {
    // Later requests answer sooner: pipelined responses must still come back in request order.
    setTimeout(() => res.end(`p ${p[1]}`), (4 - Math.min(Number(p[1]), 4)) * 30);
    return;
  }
  req.resume();
  req.on('end', () => res.end(`h1 ${req.method} ${url} ${req.httpVersion}`));
}

before(async () => {
  h1 = await startUpstream('h1', h1Handler);
  ws = await startUpstream('ws', (_req, res) => res.end('plain'));
  ws.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    wsSockets.add(socket);
    socket.on('close', () => wsSockets.delete(socket));
    socket.on('error', () => {});
    const accept = createHash('sha1')
      .update(String(req.headers['sec-websocket-key']) + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nx-ws-path: ${req.url}\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket); // echo every frame back as is
  });
  h2up = await startH2Upstream((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      if (req.url.endsWith('/trailers')) {
        res.setHeader('content-type', 'text/plain');
        res.write('with trailers');
        res.addTrailers({ 'x-checksum': 'abc123', 'x-count': '1' });
        res.end();
        return;
      }
      res.setHeader('x-upstream-protocol', req.httpVersion);
      res.end(`h2 ${req.httpVersion} ${req.method} ${req.url} ${n}`);
    });
  });
  dual = await startDualUpstream((req, res) => {
    req.resume();
    req.on('end', () => res.end(`dual ${req.httpVersion}`));
  });

  const routes = [
    { match: { prefix: '/h2up' }, route: { cluster: 'h2up' } },
    { match: { prefix: '/dual' }, route: { cluster: 'dual' } },
    { match: { prefix: '/ws-off' }, route: { cluster: 'ws', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] } },
    { match: { prefix: '/ws' }, route: { cluster: 'ws' } },
    { match: { prefix: '/' }, route: { cluster: 'h1' } },
  ];
  const rc = (name: string, rs: object[] = routes): object => ({ name, virtual_hosts: [{ name: 'all', domains: ['example.com', '*'], routes: rs }] });
  proxy = await startProxy(
    multiBootstrap(
      [
        hcmListener('ingress', { routeConfig: rc('main'), hcm: { upgrade_configs: [{ upgrade_type: 'websocket' }] } }),
        hcmListener('noupgrade', {
          routeConfig: rc('noup', [
            { match: { prefix: '/ws-on' }, route: { cluster: 'ws', upgrade_configs: [{ upgrade_type: 'websocket' }] } },
            { match: { prefix: '/' }, route: { cluster: 'ws' } },
          ]),
        }),
        hcmListener('h2only', { routeConfig: rc('h2only'), hcm: { codec_type: 'HTTP2' } }),
        hcmListener('http10', { routeConfig: rc('http10'), hcm: { http_protocol_options: { accept_http_10: true } } }),
      ],
      [
        staticCluster('h1', [h1.port]),
        staticCluster('ws', [ws.port]),
        staticCluster('h2up', [h2up.port], H2_UPSTREAM),
        staticCluster('dual', [dual.port], httpProtocolOptions({ use_downstream_protocol_config: {} })),
      ],
    ),
  );
  port = proxy.listeners.get('ingress')!;
  noUpgradePort = proxy.listeners.get('noupgrade')!;
  h2OnlyPort = proxy.listeners.get('h2only')!;
  http10Port = proxy.listeners.get('http10')!;
});

after(async () => {
  await proxy?.stop();
  for (const s of wsSockets) s.destroy();
  await Promise.all([h1?.close(), ws?.close(), h2up?.close(), dual?.close()]);
});

// ---------------------------------------------------------------- helpers

interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
}

function h2request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':authority': 'example.com', ...headers }, { endStream: body === undefined });
    let status = 0;
    let rh: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    s.on('response', (h) => {
      rh = h;
      status = Number(h[':status']);
    });
    s.on('trailers', (t) => (trailers = t));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ status, headers: rh, body: Buffer.concat(chunks), trailers }));
    s.on('error', reject);
    if (body !== undefined) s.end(body);
  });
}

function h2connect(p: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${p}`);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function get(agent: http.Agent, path: string, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; reused: boolean; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: { host: 'example.com' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers, reused: req.reusedSocket, localPort: res.socket?.localPort ?? 0 }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function assertAlive(): Promise<void> {
  assert.equal(proxy.proc.exitCode, null, `proxy exited:\n${proxy.output()}`);
  const r = await request(port, { path: '/alive' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'h1 GET /alive 1.1');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- HTTP/1.1

test('HTTP/1.1 keep-alive: many requests on one downstream socket reuse one upstream connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const before = h1.requests.length;
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const r = await get(agent, `/ka/${i}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, `h1 GET /ka/${i} 1.1`);
    assert.equal(r.reused, i > 0, `request ${i} reused the downstream socket`);
    ports.add(r.localPort);
  }
  agent.destroy();
  assert.equal(ports.size, 1);
  const upstreamSockets = new Set(h1.requests.slice(before).map((r) => r.socket));
  assert.equal(upstreamSockets.size, 1, 'the upstream connection is kept alive and reused');
});

test('HTTP/1.1 chunked request and response bodies of 5 MB stream through intact', async () => {
  const reply = await new Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent: false, headers: { host: 'example.com' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    let off = 0;
    const pump = (): void => {
      while (off < BIG.length) {
        const c = BIG.subarray(off, off + 100_000);
        off += c.length;
        if (!req.write(c)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-req-te'], 'chunked', 'upstream received a chunked request');
  assert.equal(reply.headers['transfer-encoding'], 'chunked');
  assert.equal(reply.body.length, BIG.length);
  assert.equal(sha(reply.body), BIG_SHA);

  const down = await new Promise<{ body: Buffer; te: string | undefined }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/big', agent: false, headers: { host: 'example.com' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ body: Buffer.concat(chunks), te: res.headers['transfer-encoding'] }));
      })
      .on('error', reject);
  });
  assert.equal(down.te, 'chunked');
  assert.equal(sha(down.body), BIG_SHA);

  const up = await request(port, { path: '/sha', method: 'POST', body: BIG });
  assert.equal(up.body, BIG_SHA, 'a content-length request body arrives intact');
});

test('HTTP/1.1 pipelining: three requests in one write get three responses in order', async () => {
  const head = (p: string, extra = ''): string => `GET ${p} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;
  const r = await rawExchange(port, head('/p/1') + head('/p/2') + head('/p/3', 'Connection: close\r\n'), { timeoutMs: 5000 });
  assert.equal(r.closed, true);
  const statuses = r.data.match(/HTTP\/1\.1 200 /g) ?? [];
  assert.equal(statuses.length, 3, r.data);
  const i1 = r.data.indexOf('p 1');
  const i2 = r.data.indexOf('p 2');
  const i3 = r.data.indexOf('p 3');
  assert.ok(i1 > 0 && i1 < i2 && i2 < i3, r.data);
});

test('HEAD, 204 and 304 responses carry no body and keep the connection usable', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const head = await get(agent, '/len', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '100', 'HEAD keeps the upstream content-length');
  assert.equal(head.body, '');
  const nc = await get(agent, '/status/204');
  assert.equal(nc.status, 204);
  assert.equal(nc.body, '');
  const nm = await get(agent, '/status/304');
  assert.equal(nm.status, 304);
  assert.equal(nm.body, '');
  assert.equal(nm.headers.etag, '"v1"');
  const next = await get(agent, '/len');
  assert.equal(next.body, 'x'.repeat(100));
  assert.equal(next.reused, true);
  agent.destroy();

  // On the wire: nothing follows the head of a 204 / 304 / HEAD response, not even a chunked terminator.
  for (const [method, path] of [['GET', '/status/204'], ['GET', '/status/304'], ['HEAD', '/len']]) {
    const raw = await rawExchange(port, `${method} ${path} HTTP/1.1\r\nHost: example.com\r\n\r\n`, { timeoutMs: 300 });
    const end = raw.data.indexOf('\r\n\r\n');
    assert.ok(end > 0, raw.data);
    assert.equal(raw.data.slice(end + 4), '', `${method} ${path}: ${JSON.stringify(raw.data)}`);
    assert.doesNotMatch(raw.data.slice(0, end), /transfer-encoding/i);
  }
});

test('HTTP/1.0: refused with 426 by default, served (no chunking, connection closed) with accept_http_10', async () => {
  const req = 'GET /big HTTP/1.0\r\nHost: example.com\r\n\r\n';
  const refused = await rawExchange(port, req);
  assert.match(refused.data.slice(0, 60), /^HTTP\/1\.1 426 /);
  const r = await rawExchange(http10Port, req, { timeoutMs: 5000 });
  assert.equal(r.closed, true, 'HTTP/1.0 without keep-alive: the proxy closes after the response');
  assert.match(r.data.slice(0, 60), /^HTTP\/1\.[01] 200 /);
  const end = r.data.indexOf('\r\n\r\n');
  assert.doesNotMatch(r.data.slice(0, end), /transfer-encoding/i);
  assert.equal(sha(Buffer.from(r.data.slice(end + 4), 'latin1')), BIG_SHA);
});

test('Expect: 100-continue gets 100 Continue, then the body is forwarded', async () => {
  const reply = await new Promise<{ status: number; body: string; sawContinue: boolean; expect: string }>((resolve, reject) => {
    let sawContinue = false;
    const req = http.request(
      { host: '127.0.0.1', port, path: '/echo', method: 'POST', agent: false, headers: { host: 'example.com', expect: '100-continue', 'content-length': '5' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sawContinue, expect: String(res.headers['x-req-expect']) }));
      },
    );
    req.on('continue', () => {
      sawContinue = true;
      req.end('hello');
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.equal(reply.sawContinue, true);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, 'hello');
  assert.equal(reply.expect, '', 'Envoy answers the expectation itself and does not forward Expect');
});

test('absolute-form request URI is routed by its authority and sent upstream in origin form', async () => {
  const r = await rawExchange(port, 'GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: other.invalid\r\nConnection: close\r\n\r\n', { timeoutMs: 3000 });
  assert.match(r.data, /^HTTP\/1\.1 200 /);
  assert.match(r.data, /h1 GET \/abs\/path\?q=1 1\.1$/);
});

test('x-envoy-upstream-service-time is set on proxied responses', async () => {
  const r = await request(port, { path: '/st' });
  assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
});

test('hop-by-hop headers are not forwarded in either direction', async () => {
  const raw = await rawExchange(
    port,
    'GET /headers HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, x-foo\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: foo/1\r\nTE: trailers\r\nx-foo: bar\r\nx-keep: 1\r\n\r\n',
    { done: (d) => d.includes('}') },
  );
  const head = raw.data.slice(0, raw.data.indexOf('\r\n\r\n'));
  const { headers } = JSON.parse(raw.data.slice(raw.data.indexOf('{'))) as { headers: Record<string, string> };
  assert.equal(headers['x-keep'], '1');
  assert.equal(headers.te, 'trailers', 'TE: trailers is the one TE value kept');
  assert.equal(headers['keep-alive'], undefined);
  assert.equal(headers['proxy-connection'], undefined);
  assert.equal(headers.upgrade, undefined);
  assert.equal(headers['transfer-encoding'], undefined);
  assert.equal(headers.connection, undefined, 'the client connection header is not forwarded');
  assert.match(head, /x-resp: yes/i);
  assert.doesNotMatch(head, /proxy-connection/i);
});

test('a client that does not read is backpressured: the upstream is not drained into memory', async () => {
  const { default: net } = await import('node:net');
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.write('GET /infinite HTTP/1.1\r\nHost: example.com\r\n\r\n');
  s.pause();
  await sleep(1500);
  const state = infinite.at(-1)!;
  assert.ok(state !== undefined, 'upstream got the request');
  assert.ok(state.sent < 64 * 1024 * 1024, `upstream pushed ${state.sent} bytes to a client that reads nothing`);
  s.destroy();
  const t0 = Date.now();
  while (!state.closed && Date.now() - t0 < 3000) await sleep(20);
  assert.equal(state.closed, true, 'a downstream close aborts the upstream response');
  await assertAlive();
});

// ---------------------------------------------------------------- HTTP/2 downstream

test('h2c prior knowledge (AUTO codec): 100 concurrent streams on one connection, bodies both ways', async () => {
  const session = await h2connect(port);
  try {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => h2request(session, { ':path': `/c/${i}` })));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `h1 GET /c/${i} 1.1`);
    });
    const post = await h2request(session, { ':path': '/echo', ':method': 'POST' }, BIG);
    assert.equal(post.status, 200);
    assert.equal(sha(post.body), BIG_SHA);
    const big = await h2request(session, { ':path': '/big' });
    assert.equal(sha(big.body), BIG_SHA);
  } finally {
    session.close();
  }
});

test('HTTP/2 response trailers from an h2 upstream reach an h2 client', async () => {
  const session = await h2connect(port);
  try {
    const r = await h2request(session, { ':path': '/h2up/trailers' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'with trailers');
    assert.equal(r.trailers?.['x-checksum'], 'abc123');
    assert.equal(r.trailers?.['x-count'], '1');
  } finally {
    session.close();
  }
});

test('codec_type HTTP2 listener serves h2c and refuses HTTP/1.1', async () => {
  const session = await h2connect(h2OnlyPort);
  try {
    const r = await h2request(session, { ':path': '/x' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'h1 GET /x 1.1');
  } finally {
    session.close();
  }
  const h1 = await rawExchange(h2OnlyPort, 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n', { timeoutMs: 2000 });
  assert.doesNotMatch(h1.data, /^HTTP\/1\.1 200/);
  await assertAlive();
});

test('h2c Upgrade from an HTTP/1.1 client is answered in HTTP/1.1 (no 101), as Envoy does', async () => {
  const r = await rawExchange(
    port,
    'GET /headers HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
    { timeoutMs: 3000 },
  );
  assert.match(r.data, /^HTTP\/1\.1 200 /);
  const { headers } = JSON.parse(r.data.slice(r.data.indexOf('{'))) as { headers: Record<string, string> };
  assert.equal(headers.upgrade, undefined);
  assert.equal(headers['http2-settings'], undefined);
});

// ---------------------------------------------------------------- HTTP/2 upstream

test('HTTP/2 upstream (explicit_http_config http2) from HTTP/1.1 and HTTP/2 clients', async () => {
  const a = await request(port, { path: '/h2up/a', method: 'POST', body: 'abc' });
  assert.equal(a.status, 200);
  assert.equal(a.body, 'h2 2.0 POST /h2up/a 3');
  const session = await h2connect(port);
  try {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(session, { ':path': `/h2up/${i}` })));
    rs.forEach((r, i) => assert.equal(r.body.toString(), `h2 2.0 GET /h2up/${i} 0`));
    const p = await h2request(session, { ':path': '/h2up/post', ':method': 'POST' }, BIG);
    assert.equal(p.body.toString(), `h2 2.0 POST /h2up/post ${BIG.length}`);
  } finally {
    session.close();
  }
});

test('USE_DOWNSTREAM picks h2 upstream for h2 clients and HTTP/1.1 for HTTP/1.1 clients', async () => {
  const a = await request(port, { path: '/dual' });
  assert.equal(a.body, 'dual 1.1');
  const session = await h2connect(port);
  try {
    const b = await h2request(session, { ':path': '/dual' });
    assert.equal(b.body.toString(), 'dual 2.0');
  } finally {
    session.close();
  }
});

// ---------------------------------------------------------------- WebSocket

interface WsResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  socket?: Duplex;
  head?: Buffer;
  key: string;
}

function wsConnect(p: number, path: string): Promise<WsResult> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: p,
      path,
      agent: false,
      headers: { host: 'example.com', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' },
    });
    req.on('upgrade', (res, socket: net.Socket, head: Buffer) => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket, head, key }));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, key }));
    });
    req.on('error', reject);
    req.end();
  });
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x81;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i % 4];
  return out;
}

function readBytes(socket: Duplex, n: number, initial: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = initial;
    if (got.length >= n) return resolve(got);
    const t = setTimeout(() => reject(new Error(`timed out with ${got.length}/${n} bytes`)), 3000);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (got.length >= n) {
        clearTimeout(t);
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
  });
}

test('WebSocket upgrade (upgrade_configs websocket): 101 with the upstream accept key, frames echoed both ways', async () => {
  const r = await wsConnect(port, '/ws/chat');
  assert.equal(r.status, 101);
  const expected = createHash('sha1').update(r.key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.equal(r.headers['sec-websocket-accept'], expected);
  assert.equal(r.headers['x-ws-path'], '/ws/chat');
  const socket = r.socket!;
  try {
    const f1 = maskedTextFrame('hello websocket');
    socket.write(f1);
    assert.deepEqual(await readBytes(socket, f1.length, r.head), f1);
    const f2 = maskedTextFrame('second frame');
    socket.write(f2);
    assert.deepEqual(await readBytes(socket, f2.length), f2);
  } finally {
    socket.destroy();
  }
});

test('WebSocket without upgrade_configs is 403; per-route upgrade_configs enable and disable it', async () => {
  const denied = await wsConnect(noUpgradePort, '/chat');
  assert.equal(denied.status, 403);
  const enabled = await wsConnect(noUpgradePort, '/ws-on');
  assert.equal(enabled.status, 101);
  enabled.socket!.destroy();
  const disabled = await wsConnect(port, '/ws-off');
  assert.equal(disabled.status, 403);
  await assertAlive();
});

// ---------------------------------------------------------------- malformed input

test('garbage bytes get 400 or a close, and the proxy keeps serving', async () => {
  const r = await rawExchange(port, Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00]), randomBytes(2000)]), { timeoutMs: 2000 });
  assert.ok(r.closed || /^HTTP\/1\.1 400/.test(r.data), JSON.stringify(r.data.slice(0, 40)));
  const r2 = await rawExchange(port, 'GET /\x00\x01 HTTP/1.1\r\nHost: example.com\r\n\r\n', { timeoutMs: 2000 });
  assert.match(r2.data, /^HTTP\/1\.1 400/);
  await assertAlive();
});

test('request heads over 60 KiB or 100 headers get 431; large ones below the limits pass', async () => {
  const ok = await request(port, { path: '/headers', headers: { 'x-large': 'a'.repeat(8 * 1024) } }); // node's upstream caps heads at 16 KiB
  assert.equal(ok.status, 200);
  assert.equal((JSON.parse(ok.body) as { headers: Record<string, string> }).headers['x-large'].length, 8 * 1024);
  const r = await rawExchange(port, `GET / HTTP/1.1\r\nHost: example.com\r\nx-big: ${'a'.repeat(100_000)}\r\n\r\n`, { timeoutMs: 3000 });
  assert.match(r.data, /^HTTP\/1\.1 431 /);
  const many = Array.from({ length: 150 }, (_, i) => `x-h${i}: ${i}\r\n`).join('');
  const r2 = await rawExchange(port, `GET / HTTP/1.1\r\nHost: example.com\r\n${many}\r\n`, { timeoutMs: 3000 });
  assert.match(r2.data, /^HTTP\/1\.1 431 /);
  await assertAlive();
});

test('invalid HTTP/2 frames after the preface close the connection, not the proxy', async () => {
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const junk = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff]), randomBytes(500)]);
  const r = await rawExchange(port, [preface, junk], { timeoutMs: 3000 });
  assert.equal(r.closed, true);
  await assertAlive();
});

/** One HTTP/2 frame on the wire: 9-byte header + payload. */
function h2Frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing" with an indexed (static table) name. */
function hpackLiteral(nameIndex: number, value: string): Buffer {
  return Buffer.concat([Buffer.from([nameIndex, value.length]), Buffer.from(value, 'latin1')]);
}

test('an h2 client resetting a stream mid-body (RST_STREAM, no END_STREAM) aborts the upstream request', async () => {
  const aborted = upstreamAborts.length;
  const { default: net } = await import('node:net');
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  await new Promise<void>((r) => s.once('connect', () => r()));
  // :method POST (static 3), :scheme http (static 6), :path /echo (name 4), :authority example.com (name 1)
  const block = Buffer.concat([Buffer.from([0x83, 0x86]), hpackLiteral(4, '/echo'), hpackLiteral(1, 'example.com')]);
  s.write(
    Buffer.concat([
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
      h2Frame(0x4, 0, 0, Buffer.alloc(0)), // SETTINGS
      h2Frame(0x1, 0x4, 1, block), // HEADERS, END_HEADERS, no END_STREAM
      h2Frame(0x0, 0, 1, Buffer.alloc(1000, 0x62)), // DATA, no END_STREAM
    ]),
  );
  await sleep(200);
  const rst = Buffer.alloc(4);
  rst.writeUInt32BE(8); // CANCEL
  s.write(h2Frame(0x3, 0, 1, rst));
  const t0 = Date.now();
  while (upstreamAborts.length === aborted && Date.now() - t0 < 3000) await sleep(20);
  s.destroy();
  assert.equal(upstreamAborts.length, aborted + 1, 'upstream saw the request aborted, not completed');
  await assertAlive();
});

test('an h2 client cancelling one stream keeps its connection usable', async () => {
  const session = await h2connect(port);
  try {
    const s = session.request({ ':authority': 'example.com', ':path': '/echo', ':method': 'POST' });
    s.on('error', () => {});
    s.write(Buffer.alloc(32 * 1024, 1));
    await new Promise<void>((r) => s.once('response', () => r()));
    s.close(http2.constants.NGHTTP2_CANCEL);
    const next = await h2request(session, { ':path': '/after-reset' });
    assert.equal(next.body.toString(), 'h1 GET /after-reset 1.1');
  } finally {
    session.close();
  }
  await assertAlive();
});

test('a client closing mid-response (HTTP/1.1 and HTTP/2) leaves the proxy serving', async () => {
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/big', agent: false, headers: { host: 'example.com' } }, (res) => {
        res.once('data', () => {
          res.socket.destroy();
          resolve();
        });
      })
      .on('error', reject);
  });
  const session = await h2connect(port);
  await new Promise<void>((resolve) => {
    const s = session.request({ ':authority': 'example.com', ':path': '/big' });
    s.on('error', () => {});
    s.once('data', () => {
      session.destroy();
      resolve();
    });
  });
  await sleep(100);
  await assertAlive();
  const again = await h2connect(port);
  try {
    const r = await h2request(again, { ':path': '/big' });
    assert.equal(sha(r.body), BIG_SHA);
  } finally {
    again.close();
  }
});

test('request_headers_timeout: a request whose headers do not complete in time gets 408 and the connection closes', async () => {
  const up = await startUpstream('hdr');
  const p = await startProxy(
    httpBootstrap({
      clusters: [staticCluster('hdr', [up.port])],
      routeConfig: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'hdr' } }] }] },
      hcm: { request_headers_timeout: '0.3s' },
    }),
  );
  try {
    const port = p.listeners.get('ingress')!;
    const net = await import('node:net');
    const t0 = Date.now();
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n')); // never finishes its headers
      let d = '';
      s.on('data', (c) => (d += c.toString()));
      s.on('close', () => resolve(d));
    });
    assert.match(reply, /^HTTP\/1.1 408 /);
    assert.ok(Date.now() - t0 >= 250, `closed after ${Date.now() - t0} ms`);
    assert.equal((await request(port, { path: '/ok' })).status, 200, 'complete requests are unaffected');
  } finally {
    await p.stop();
    await up.close();
  }
});
