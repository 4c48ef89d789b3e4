// Proxy HTTP: the downstream HTTP/1.1 codec on an in-memory socket — heads in pieces, RFC 9112 checks, limits, trailers, pipelining, timeouts.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { H1Connection, type H1Stream } from '../../../src/proxy/http/h1-codec.js';
import { CodecUnderTest, DEFAULTS, FakeSocket, INFO, requestHead, settle } from './h1-harness.js';

const manyHeaders = (n: number, prefix = 'X-H'): [string, string][] => Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v'] as [string, string]);

// ---------------------------------------------------------------- heads in pieces (> 32 fields)

test('h1 codec: a request with 35 header fields is forwarded with its URL and every field (was a TypeError crash)', async () => {
  const c = new CodecUnderTest();
  await c.send(requestHead('/some/path?q=1', [['Host', 'example.com'], ...manyHeaders(35)]));
  assert.equal(c.requests.length, 1);
  const r = c.requests[0];
  assert.equal(r.path, '/some/path?q=1');
  assert.equal(r.headers.host, 'example.com');
  for (let i = 0; i < 35; i++) assert.equal(r.headers[`x-h${i}`], 'v');
  assert.deepEqual(c.errors, []);
});

test('h1 codec: a 40-field head sent one byte at a time keeps its URL and fields', async () => {
  const c = new CodecUnderTest();
  const head = requestHead('/slow/url', [['Host', 'example.com'], ...manyHeaders(40)]);
  await c.send(...head.split(''));
  assert.equal(c.requests.length, 1);
  assert.equal(c.requests[0].path, '/slow/url');
  assert.equal(c.requests[0].headers['x-h39'], 'v');
});

test('h1 codec: after a large head or a request with trailers, later requests on the connection keep their URL', async () => {
  // llhttp's binding keeps flushing through kOnHeaders for the rest of the connection once it has done it once.
  const c = new CodecUnderTest({}, true);
  await c.send(requestHead('/big', [['Host', 'a'], ...manyHeaders(33)]));
  await c.send(requestHead('/small', [['Host', 'a']]));
  await c.send('POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n\r\n');
  await c.send(requestHead('/after-trailers', [['Host', 'a']]));
  assert.deepEqual(
    c.requests.map((r) => r.path),
    ['/big', '/small', '/t', '/after-trailers'],
  );
  assert.deepEqual(c.requests[2].trailers, { 'x-t': '1' }, 'the trailer flush does not leak the URL into the next request');
  assert.deepEqual(c.statuses(), [200, 200, 200, 200]);
});

// ---------------------------------------------------------------- Host and target (RFC 9112 §3.2)

test('h1 codec: two Host header fields get 400 and the connection closes', async () => {
  const c = new CodecUnderTest();
  await c.send(requestHead('/', [['Host', 'a.example'], ['Host', 'b.example']]));
  assert.equal(c.requests.length, 0);
  assert.deepEqual(c.statuses(), [400]);
  assert.match(c.socket.output(), /connection: close/);
  assert.equal(c.socket.closedByCodec, true);
});

test('h1 codec: invalid Host values get 400; valid authorities are forwarded', async () => {
  const bad = ['a b', 'a@b', 'user:pw@a', 'a/b', 'a\tb', 'exa\x7fmple', 'a:b', 'a:80:90', '[::1', '[::1]x', '[zz::1]', ':80', 'a:123456', 'a%zz', 'a\xe9', 'a?b', 'a#b', 'a\\b', '"a"', '<a>'];
  for (const host of bad) {
    const c = new CodecUnderTest();
    await c.send(requestHead('/', [['Host', host]]));
    assert.equal(c.requests.length, 0, `Host ${JSON.stringify(host)} must be refused`);
    assert.equal(c.statuses()[0], 400, `Host ${JSON.stringify(host)}: ${c.socket.output()}`);
  }
  const good = ['example.com', 'example.com:8080', '127.0.0.1', '127.0.0.1:80', '[::1]', '[2001:db8::1]:443', 'xn--bcher-kva.example', 'a-b_c~d.e', 'a%41b', "sub!$&'()*+,;=", 'a:'];
  for (const host of good) {
    const c = new CodecUnderTest();
    await c.send(requestHead('/', [['Host', host]]));
    assert.equal(c.requests.length, 1, `Host ${JSON.stringify(host)} must be forwarded (${c.socket.output()})`);
    assert.equal(c.requests[0].headers.host, host);
  }
});

test('h1 codec: userinfo in an absolute-form target gets 400; an absolute-form target with another Host is forwarded', async () => {
  const c = new CodecUnderTest();
  await c.send('GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(c.requests.length, 0);
  assert.deepEqual(c.statuses(), [400]);

  const bad = new CodecUnderTest();
  await bad.send('GET http://exa mple.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n', 'GET http:///x HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(bad.requests.length, 0);

  const ok = new CodecUnderTest();
  await ok.send('GET http://target.example:8080/p?q HTTP/1.1\r\nHost: other.example\r\n\r\n');
  assert.equal(ok.requests.length, 1, 'the target authority wins over Host (RFC 9112 §3.2.2); the stream splits it');
  assert.equal(ok.requests[0].path, 'http://target.example:8080/p?q');
});

// ---------------------------------------------------------------- Content-Length / Transfer-Encoding

test('h1 codec: Content-Length above 2^53-1, not 1*DIGIT, or conflicting is 400; CL with TE is 400', async () => {
  const cases = [
    'Content-Length: 9007199254740992\r\n',
    'Content-Length: 99999999999999999\r\n',
    'Content-Length: +5\r\n',
    'Content-Length: 5, 5\r\n',
    'Content-Length: 0x5\r\n',
    'Content-Length: 5\r\nContent-Length: 6\r\n',
    'Content-Length: 5\r\nContent-Length: 5\r\n',
    'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n',
  ];
  for (const extra of cases) {
    const c = new CodecUnderTest();
    await c.send(`POST / HTTP/1.1\r\nHost: a\r\n${extra}\r\nhello`);
    assert.equal(c.requests.length, 0, JSON.stringify(extra));
    assert.deepEqual(c.statuses(), [400], JSON.stringify(extra));
    assert.equal(c.socket.closedByCodec, true);
  }
  const ok = new CodecUnderTest();
  await ok.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740991\r\n\r\nab');
  assert.equal(ok.requests.length, 1);
  assert.equal(ok.requests[0].stream.contentLength, Number.MAX_SAFE_INTEGER, 'the largest exact value is kept as sent');
});

// ---------------------------------------------------------------- limits

test('h1 codec: max_headers_count and max_request_headers_kb give 431 (counted across kOnHeaders flushes)', async () => {
  const count = new CodecUnderTest({ maxHeaderPairs: 10 });
  await count.send(requestHead('/', [['Host', 'a'], ...manyHeaders(10)]));
  assert.deepEqual(count.statuses(), [431]);
  assert.equal(count.requests.length, 0);

  const atLimit = new CodecUnderTest({ maxHeaderPairs: 10 });
  await atLimit.send(requestHead('/', [['Host', 'a'], ...manyHeaders(9)]));
  assert.equal(atLimit.requests.length, 1);

  // 2,000 small fields: no single field is large, the head is ~30 KB against a 16 KiB limit.
  const bytes = new CodecUnderTest({ maxHeaderPairs: 100_000, maxHeaderBytes: 16 * 1024 });
  await bytes.send(requestHead('/', [['Host', 'a'], ...manyHeaders(2000, 'X-Header-Field-')]));
  assert.deepEqual(bytes.statuses(), [431]);
  assert.equal(bytes.requests.length, 0);

  const url = new CodecUnderTest({ maxHeaderBytes: 1024 });
  await url.send(requestHead(`/${'u'.repeat(2000)}`, [['Host', 'a']]));
  assert.deepEqual(url.statuses(), [431]);
});

test('h1 codec: 10,000 trailer fields are refused with 431 and a close, and the request is abandoned', async () => {
  const c = new CodecUnderTest();
  const trailers = Array.from({ length: 10_000 }, (_, i) => `T${i}: v\r\n`).join('');
  await c.send(`POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${trailers}\r\n`);
  assert.equal(c.requests.length, 1);
  assert.equal(c.requests[0].ended, false, 'the oversized trailers are never delivered');
  assert.equal(c.requests[0].aborted, true, 'the upstream side is told to abort');
  assert.deepEqual(c.statuses(), [431]);
  assert.equal(c.socket.closedByCodec, true);
});

test('h1 codec: trailer bytes are bounded like header bytes; trailers within the limits are delivered', async () => {
  const c = new CodecUnderTest({ maxHeaderBytes: 1024 });
  await c.send(`POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Big: ${'b'.repeat(900)}\r\nX-Big2: ${'b'.repeat(900)}\r\n\r\n`);
  assert.deepEqual(c.statuses(), [431]);

  const ok = new CodecUnderTest({ maxHeaderPairs: 50 });
  await ok.send(`POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${Array.from({ length: 40 }, (_, i) => `T${i}: ${i}\r\n`).join('')}\r\n`);
  assert.equal(ok.requests[0].ended, true);
  assert.equal(Object.keys(ok.requests[0].trailers ?? {}).length, 40);
});

// ---------------------------------------------------------------- pipelining

test('h1 codec: 50 pipelined requests in one write are forwarded one at a time, answered in order', async () => {
  const c = new CodecUnderTest();
  const all = Array.from({ length: 50 }, (_, i) => `POST /p/${i} HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nb${String(i).padStart(2, '0')}`).join('');
  await c.send(all);
  for (let i = 0; i < 50; i++) {
    assert.equal(c.requests.length, i + 1, `only request ${i} is in flight`);
    const r = c.requests[i];
    assert.equal(r.path, `/p/${i}`);
    assert.equal(Buffer.concat(r.body).toString(), `b${String(i).padStart(2, '0')}`);
    c.respond(r, 200, `r${i}`);
    await settle();
  }
  assert.equal(c.maxOutstanding, 1);
  const bodies = [...c.socket.output().matchAll(/\r\n\r\n(r\d+)/g)].map((m) => m[1]);
  assert.deepEqual(bodies, Array.from({ length: 50 }, (_, i) => `r${i}`));
  assert.ok(c.socket.pauses > 0, 'the socket is paused while a request waits for its turn');
});

test('h1 codec: a malformed request behind an in-flight one is answered 400 after the earlier response', async () => {
  const c = new CodecUnderTest();
  await c.send(requestHead('/first', [['Host', 'a']]) + 'GARBAGE\r\n\r\n');
  assert.equal(c.requests.length, 1);
  assert.deepEqual(c.statuses(), [], 'nothing is written into the middle of the first response');
  c.respond(c.requests[0], 200, 'first');
  await settle();
  assert.deepEqual(c.statuses(), [200, 400]);
  assert.equal(c.socket.closedByCodec, true);
});

test('h1 codec: a client that half-closes after pipelining still gets every response', async () => {
  const c = new CodecUnderTest({}, true);
  c.socket.push(Buffer.from(requestHead('/1', [['Host', 'a']]) + requestHead('/2', [['Host', 'a']]) + requestHead('/3', [['Host', 'a']])));
  c.socket.push(null);
  await settle();
  await settle();
  assert.deepEqual(c.statuses(), [200, 200, 200]);
  assert.equal(c.socket.closedByCodec, true);
});

// ---------------------------------------------------------------- request_headers_timeout

test('h1 codec: request_headers_timeout bounds a head that trickles in one byte at a time', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const c = new CodecUnderTest({ headersTimeoutMs: 1000 });
    const head = requestHead('/', [['Host', 'a'], ...manyHeaders(20)]);
    let sent = 0;
    // One byte every 100 ms: each byte is progress, but the whole head is not done within 1 s.
    for (; sent < 15; sent++) {
      c.socket.emit('data', Buffer.from(head[sent], 'latin1'));
      mock.timers.tick(100);
    }
    assert.equal(c.requests.length, 0);
    assert.equal(c.errors.at(-1), 'ERR_REQUEST_HEADERS_TIMEOUT');
    assert.match(c.socket.output(), /^HTTP\/1\.1 408 /);
  } finally {
    mock.timers.reset();
  }
});

test('h1 codec: an Upgrade request pipelined behind another is handed over in its turn, with the bytes after its head', async () => {
  const c = new CodecUnderTest();
  await c.send(requestHead('/first', [['Host', 'a']]) + requestHead('/ws', [['Host', 'a'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]) + 'FRAME');
  assert.equal(c.requests.length, 1);
  assert.equal(c.upgrades.length, 0, 'the upgrade waits for the first response');
  c.respond(c.requests[0], 200, 'first');
  await settle();
  assert.equal(c.upgrades.length, 1);
  assert.equal(c.upgrades[0].req.url, '/ws');
  assert.equal(c.upgrades[0].head.toString(), 'FRAME');
});

test('h1 codec: CONNECT is handed over like an upgrade, with the tunnel bytes sent after its head', async () => {
  const c = new CodecUnderTest();
  await c.send('CONNECT 127.0.0.1:9000 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\nTUNNEL');
  assert.equal(c.requests.length, 0, 'not a request with a body of its own');
  assert.equal(c.upgrades.length, 1);
  assert.equal(c.upgrades[0].req.method, 'CONNECT');
  assert.equal(c.upgrades[0].req.url, '127.0.0.1:9000');
  assert.equal(c.upgrades[0].head.toString(), 'TUNNEL');
});

test('h1 codec: a request body nobody has asked for yet is not buffered past 64 KiB; reading it resumes the socket', async () => {
  const socket = new FakeSocket();
  let stream: H1Stream | undefined;
  new H1Connection(socket, INFO, { onRequest: (s) => (stream = s), onUpgrade: () => {}, onProtocolError: () => {}, onClose: () => {} }, DEFAULTS);
  const size = 512 * 1024;
  socket.push(Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`));
  for (let i = 0; i < size / 16384; i++) socket.push(Buffer.alloc(16384, 0x62));
  await settle();
  assert.ok(stream !== undefined);
  assert.equal(socket.isPaused(), true, 'reading stopped while the body has no reader');
  assert.ok(socket.readableLength > 0, 'the rest stays in the socket');
  let got = 0;
  let ended = false;
  stream.readBody(
    (c) => (got += c.length),
    () => (ended = true),
  );
  await settle();
  assert.equal(got, size);
  assert.equal(ended, true);
});

test('h1 codec: an exception thrown behind the codec while a head is parsed becomes a 500 and a close, not a crash', async () => {
  const quiet = mock.method(process.stderr, 'write', () => true);
  try {
    const socket = new FakeSocket();
    const errors: string[] = [];
    const onRequest = (): void => {
      throw new TypeError('boom');
    };
    new H1Connection(socket, INFO, { onRequest, onUpgrade: () => {}, onProtocolError: (c) => errors.push(c), onClose: () => {} }, DEFAULTS);
    socket.emit('data', Buffer.from(requestHead('/', [['Host', 'a']])));
    assert.deepEqual(errors, ['ERR_CODEC_EXCEPTION']);
    assert.match(socket.output(), /^HTTP\/1\.1 500 /);
    assert.equal(socket.closedByCodec, true);
    assert.equal(quiet.mock.callCount(), 1, 'the exception is reported once on stderr');
  } finally {
    quiet.mock.restore();
  }
});

// ---------------------------------------------------------------- draining (a listener's filter chains replaced)

test('h1 codec: draining ends a kept-alive idle connection at once, but a new one still gets its first request answered (with Connection: close)', async () => {
  const kept = new CodecUnderTest({}, true);
  await kept.send(requestHead('/one', [['Host', 'a']]));
  kept.conn.drainIdle();
  await settle();
  assert.equal(kept.socket.closedByCodec, true, 'served and idle: closed');

  // accepted just before the drain, its request not read yet (a config push replacing the chain it landed on)
  const fresh = new CodecUnderTest({}, true);
  fresh.conn.drainIdle();
  await settle();
  assert.equal(fresh.socket.closedByCodec, false, 'not reset before its request arrives');
  await fresh.send(requestHead('/first', [['Host', 'a']]));
  assert.deepEqual(fresh.statuses(), [200]);
  assert.match(fresh.socket.output(), /\r\nconnection: close\r\n/i);
  await settle();
  assert.equal(fresh.socket.closedByCodec, true, 'closed after that response');
});
