// Tests gRPC message framing: whatever way DATA chunks cut the frames, the reader gives back the messages sent; compressed or malformed prefixes are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { frameMessage, GrpcFrameError, GrpcFrameReader } from '../../../src/proxy/xds/grpc-frames.js';

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('gRPC framing', () => {
  it('reads back every message whatever the chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 12 }), (msgs, at) => {
        const wire = Buffer.concat(msgs.map((m) => frameMessage(m)));
        const reader = new GrpcFrameReader();
        const got = cut(wire, at).flatMap((c) => reader.push(c));
        assert.deepEqual(got.map((b) => Buffer.from(b)), msgs.map((m) => Buffer.from(m)));
        assert.equal(reader.pending, 0);
      }),
      { numRuns: 500 },
    );
  });

  it('reports a message cut short as pending bytes', () => {
    const reader = new GrpcFrameReader();
    assert.deepEqual(reader.push(frameMessage(Buffer.from('hello')).subarray(0, 7)), []);
    assert.equal(reader.pending, 7);
  });

  it('refuses a compressed message and unknown prefix flags', () => {
    assert.throws(() => new GrpcFrameReader().push(Buffer.from([1, 0, 0, 0, 1, 0x61])), GrpcFrameError);
    assert.throws(() => new GrpcFrameReader().push(Buffer.from([0x80, 0, 0, 0, 0])), GrpcFrameError);
  });
});
