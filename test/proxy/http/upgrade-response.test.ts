// Proxy HTTP: UpgradeResponseReader — the upstream's answer to an upgrade request, whole or split at any byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UpgradeResponseReader, type UpgradeAnswer } from '../../../src/proxy/http/upgrade-response.js';

const LIMIT = 1024;

/** Feeds `bytes` in pieces cut at `cuts`, then (optionally) the upstream's close; the first settled answer wins. */
function read(bytes: Buffer, cuts: number[] = [], closeAfter = false): UpgradeAnswer {
  const r = new UpgradeResponseReader(LIMIT);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let a: UpgradeAnswer = { kind: 'pending' };
  for (const to of [...points, bytes.length]) {
    if (to > from) a = r.feed(bytes.subarray(from, to));
    from = to;
    if (a.kind !== 'pending') break;
  }
  if (a.kind === 'pending' && closeAfter) a = r.end();
  r.close();
  return a;
}

const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: abc=\r\n\r\n';

test('101: the head is relayed and the bytes after it are tunnel data', () => {
  const a = read(Buffer.from(SWITCH + '\x81\x02hi', 'latin1'));
  assert.equal(a.kind, 'switch');
  if (a.kind !== 'switch') return;
  assert.equal(a.head, SWITCH);
  assert.equal(a.rest.toString('latin1'), '\x81\x02hi');
});

test('a 404 refusal becomes a reply with content-length and connection: close, hop-by-hop headers dropped', () => {
  const a = read(Buffer.from('HTTP/1.1 404 Not Found\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nX-Why: nope\r\n\r\n4\r\ngone\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n'));
  assert.equal(a.kind, 'reply');
  if (a.kind !== 'reply') return;
  assert.equal(a.status, 404);
  assert.equal(a.head, 'HTTP/1.1 404 Not Found\r\nX-Why: nope\r\ncontent-length: 4\r\nconnection: close\r\n\r\n');
  assert.equal(a.body.toString(), 'gone');
});

test('100 Continue before the 101 is skipped; a body delimited by close ends at end()', () => {
  const a = read(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n' + SWITCH));
  assert.equal(a.kind, 'switch');
  assert.deepEqual(read(Buffer.from('HTTP/1.1 403 Forbidden\r\n\r\ndenied'), [], false), { kind: 'pending' });
  const closed = read(Buffer.from('HTTP/1.1 403 Forbidden\r\n\r\ndenied'), [], true);
  assert.equal(closed.kind === 'reply' && closed.body.toString(), 'denied');
});

test('an upgrade request that was a HEAD: the refusal has no body whatever its content-length says', () => {
  const r = new UpgradeResponseReader(LIMIT, true);
  const a = r.feed(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\n\r\n'));
  r.close();
  assert.equal(a.kind, 'reply');
  if (a.kind !== 'reply') return;
  assert.equal(a.head, 'HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\nconnection: close\r\n\r\n');
  assert.equal(a.body.length, 0);
});

test('garbage, an early close and a body over the limit are invalid', () => {
  assert.deepEqual(read(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), { kind: 'invalid', reason: 'protocol-error' });
  assert.deepEqual(read(Buffer.from('HTTP/1.1 101 Swi'), [], true), { kind: 'invalid', reason: 'closed' });
  assert.deepEqual(read(Buffer.from(`HTTP/1.1 500 Oops\r\ncontent-length: ${LIMIT + 1}\r\n\r\n${'x'.repeat(LIMIT + 1)}`)), {
    kind: 'invalid',
    reason: 'too-large',
  });
});

test('property: the answer does not depend on how the upstream bytes are split', () => {
  const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,11}$/);
  const value = fc.stringMatching(/^[ -~]{0,20}$/).map((v) => v.trim());
  const response = fc.record({
    status: fc.constantFrom(101, 200, 301, 400, 403, 404, 426, 500, 503),
    headers: fc.array(fc.tuple(token, value), { maxLength: 40 }),
    body: fc.stringMatching(/^[ -~]{0,200}$/),
    chunked: fc.boolean(),
    tail: fc.uint8Array({ maxLength: 50 }),
  });
  fc.assert(
    fc.property(response, fc.array(fc.nat(), { maxLength: 8 }), (r, cuts) => {
      const headers = r.headers.filter(([n]) => !/^(content-length|transfer-encoding|connection|upgrade)$/i.test(n));
      let head = `HTTP/1.1 ${r.status} X\r\n` + headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
      let body = '';
      if (r.status !== 101) {
        head += r.chunked ? 'transfer-encoding: chunked\r\n' : `content-length: ${r.body.length}\r\n`;
        body = r.chunked ? (r.body.length > 0 ? `${r.body.length.toString(16)}\r\n${r.body}\r\n` : '') + '0\r\n\r\n' : r.body;
      }
      const bytes = Buffer.concat([Buffer.from(head + '\r\n' + body, 'latin1'), Buffer.from(r.tail)]);
      const whole = read(bytes);
      const split = read(bytes, cuts);
      assert.equal(split.kind, whole.kind);
      if (r.status === 101) {
        assert.equal(whole.kind, 'switch');
        if (whole.kind === 'switch' && split.kind === 'switch') {
          assert.equal(split.head, whole.head);
          assert.deepEqual(Buffer.from(whole.rest), Buffer.from(r.tail), 'tunnel bytes are exactly what followed the head');
        }
      } else {
        assert.equal(whole.kind, 'reply');
        if (whole.kind === 'reply' && split.kind === 'reply') {
          assert.equal(split.head, whole.head);
          assert.equal(whole.body.toString('latin1'), r.body);
          assert.match(whole.head, /\r\nconnection: close\r\n\r\n$/);
          assert.doesNotMatch(whole.head, /transfer-encoding/i);
        }
      }
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('property: arbitrary bytes never throw and settle on one answer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), (bytes, cuts, closeAfter) => {
      const buf = Buffer.concat([Buffer.from('HTTP/1.1 '), Buffer.from(bytes)]);
      const a = read(buf, cuts, closeAfter);
      assert.ok(['pending', 'switch', 'reply', 'invalid'].includes(a.kind));
      if (closeAfter) assert.notEqual(a.kind, 'pending');
    }),
    { seed: 11, numRuns: 500 },
  );
});
