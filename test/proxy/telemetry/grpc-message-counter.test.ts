// Telemetry tests: the gRPC message counter — messages across any chunking, empty messages, hostile lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GrpcMessageCounter } from '../../../src/proxy/telemetry/grpc-message-counter.js';

function frame(payload: Uint8Array, compressed = false): Buffer {
  const h = Buffer.alloc(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

test('counts messages, including empty ones, in one chunk and byte by byte', () => {
  const body = Buffer.concat([frame(Buffer.from('hello')), frame(Buffer.alloc(0)), frame(Buffer.alloc(70000, 1), true)]);
  const whole = new GrpcMessageCounter();
  whole.push(body);
  assert.equal(whole.count, 3);
  const bytes = new GrpcMessageCounter();
  for (const b of body) bytes.push(Uint8Array.of(b));
  assert.equal(bytes.count, 3);
});

test('a prefix announcing 4 GiB is counted once and skipped without buffering', () => {
  const c = new GrpcMessageCounter();
  c.push(Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
  c.push(Buffer.alloc(1 << 16));
  assert.equal(c.count, 1);
});

test('property: any split of any sequence of messages counts each message once', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (payloads, cuts) => {
      const body = Buffer.concat(payloads.map((p) => frame(p)));
      const points = [...new Set(cuts.map((c) => (body.length === 0 ? 0 : c % body.length)))].sort((a, b) => a - b);
      const c = new GrpcMessageCounter();
      let at = 0;
      for (const p of [...points, body.length]) {
        c.push(body.subarray(at, p));
        at = p;
      }
      return c.count === payloads.length;
    }),
  );
});

test('property: arbitrary bytes never throw and never count more messages than 5-byte prefixes fit', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const c = new GrpcMessageCounter();
      c.push(bytes);
      return c.count <= Math.ceil(bytes.length / 5);
    }),
  );
});
