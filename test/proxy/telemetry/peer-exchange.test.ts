// Telemetry: Istio's TCP metadata exchange frame — round trip in any split, invalid and oversized frames, and a
// property test that arbitrary bytes never throw and never make the reader hold more than one frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EXCHANGE_MAGIC, EXCHANGE_PREFIX_BYTES, ExchangeReader, MAX_EXCHANGE_BODY, encodeExchangeFrame, type ExchangeRead,
} from '../../../src/proxy/telemetry/peer-exchange.js';

const META = { NAMESPACE: 'default', WORKLOAD_NAME: 'db-v1', LABELS: { app: 'db', version: 'v2' }, CLUSTER_ID: 'c1' };

/** Feeds `bytes` in the given chunk sizes until the reader decides. */
function feed(bytes: Buffer, sizes: readonly number[]): ExchangeRead {
  const r = new ExchangeReader();
  let pos = 0;
  let i = 0;
  let out: ExchangeRead = { state: 'more' };
  while (pos < bytes.length && out.state === 'more') {
    const n = Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? 1);
    out = r.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  if (out.state !== 'more' && pos < bytes.length) out = { ...out, rest: Buffer.concat([out.rest, bytes.subarray(pos)]) } as ExchangeRead;
  return out;
}

test('a frame is magic, length and an Any of a Struct; read back in one piece it names the peer and leaves the rest', () => {
  const frame = encodeExchangeFrame(META, 'sidecar~db');
  assert.equal(frame.readUInt32BE(0), EXCHANGE_MAGIC);
  assert.equal(frame.readUInt32BE(4), frame.length - EXCHANGE_PREFIX_BYTES);
  assert.ok(frame.includes(Buffer.from('type.googleapis.com/google.protobuf.Struct')));
  const r = feed(Buffer.concat([frame, Buffer.from('hello')]), [frame.length + 5]);
  assert.equal(r.state, 'done');
  if (r.state !== 'done') return;
  assert.equal(r.peer?.workload, 'db-v1');
  assert.equal(r.peer?.app, 'db');
  assert.equal(r.peer?.version, 'v2');
  assert.equal(r.peer?.cluster, 'c1');
  assert.equal(r.peer?.id, 'sidecar~db');
  assert.equal(r.rest.toString(), 'hello');
});

test('bytes that do not start with the magic go on unchanged; an oversized length is refused before it is buffered', () => {
  const plain = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  const r = feed(plain, [3]);
  assert.equal(r.state, 'invalid');
  assert.deepEqual(r.state === 'invalid' && r.rest, plain);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(EXCHANGE_MAGIC, 0);
  huge.writeUInt32BE(MAX_EXCHANGE_BODY + 1, 4);
  assert.equal(new ExchangeReader().push(huge).state, 'invalid');
});

test('a frame with the magic but a body that is not a Struct is consumed with no peer', () => {
  const bad = Buffer.alloc(8 + 4);
  bad.writeUInt32BE(EXCHANGE_MAGIC, 0);
  bad.writeUInt32BE(4, 4);
  bad.write('\xff\xff\xff\xff', 8, 'latin1');
  const r = new ExchangeReader().push(Buffer.concat([bad, Buffer.from('x')]));
  assert.equal(r.state, 'done');
  assert.equal(r.state === 'done' && r.peer, undefined);
  assert.equal(r.state === 'done' && r.rest.toString(), 'x');
});

test('property: any split of a frame and payload reads the same peer and payload', () => {
  const frame = encodeExchangeFrame(META, 'id');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 64 }), (sizes, payload) => {
      const r = feed(Buffer.concat([frame, payload]), sizes);
      assert.equal(r.state, 'done');
      if (r.state !== 'done') return;
      assert.equal(r.peer?.workload, 'db-v1');
      assert.deepEqual(new Uint8Array(r.rest), payload);
    }),
  );
});

test('property: hostile bytes never throw, and a reader still waiting holds less than one maximal frame', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (magic, len, body, sizes) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(magic ? EXCHANGE_MAGIC : len, 0);
      head.writeUInt32BE(magic ? len % (MAX_EXCHANGE_BODY + 64) : len, 4);
      const bytes = Buffer.concat([head, body]);
      const r = feed(bytes, sizes);
      if (r.state === 'more') assert.ok(bytes.length < EXCHANGE_PREFIX_BYTES + MAX_EXCHANGE_BODY + 1);
      else assert.ok(r.rest.length <= bytes.length);
      if (r.state === 'invalid') assert.deepEqual(r.rest, bytes);
    }),
    { numRuns: 500 },
  );
});
