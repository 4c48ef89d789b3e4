// gRPC access log service: the protobuf writer — strings (ASCII fast path and UTF-8 fallback, lone surrogates) and
// nested messages whose lengths are patched in after the fact, read back with protobufjs' own Reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { ProtoWriter } from '../../../../src/proxy/telemetry/grpc-access-log/proto-writer.js';

type Tree = { s: string } | { n: number } | { kids: Tree[] };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ s: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 140 }), fc.string({ unit: 'grapheme', maxLength: 60 })) }),
    fc.record({ n: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })) }),
    fc.record({ kids: fc.array(tie('t'), { maxLength: 6 }) }),
  ),
})).t;

function write(w: ProtoWriter, t: Tree, field: number): void {
  if ('s' in t) w.stringAlways(field, t.s);
  else if ('n' in t) w.uintAlways(field, t.n);
  else {
    w.begin(field);
    t.kids.forEach((k, i) => write(w, k, i + 1));
    w.end();
  }
}

/** Reads what write() wrote, guided by the tree's shape; UTF-8 strings come back as Buffer's own round trip. */
function read(r: protobuf.Reader, t: Tree, field: number): void {
  const tag = r.uint32();
  assert.equal(tag >>> 3, field);
  if ('s' in t) assert.equal(r.string(), Buffer.from(t.s, 'utf8').toString('utf8'));
  else if ('n' in t) assert.equal(Number(r.uint64()), t.n);
  else {
    const len = r.uint32();
    const end = r.pos + len;
    t.kids.forEach((k, i) => read(r, k, i + 1));
    assert.equal(r.pos, end, 'the patched length is the nested message length');
  }
}

test('property: strings, numbers and nested messages read back with protobufjs', () => {
  fc.assert(
    fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), (trees) => {
      const w = new ProtoWriter(16); // small, so the buffer grows mid-message
      trees.forEach((t, i) => write(w, t, i + 1));
      const r = protobuf.Reader.create(w.finish());
      trees.forEach((t, i) => read(r, t, i + 1));
      assert.equal(r.pos, r.len);
    }),
    { numRuns: 500 },
  );
});

test('a 127/128-byte boundary: one length byte, then two (the payload shifted)', () => {
  for (const n of [126, 127, 128, 129, 16383, 16384]) {
    const w = new ProtoWriter(8);
    w.begin(1);
    w.stringAlways(2, 'x'.repeat(n));
    w.end();
    const r = protobuf.Reader.create(w.finish());
    assert.equal(r.uint32(), (1 << 3) | 2);
    const len = r.uint32();
    assert.equal(len, 1 + (n < 128 ? 1 : n < 16384 ? 2 : 3) + n);
    assert.equal(r.uint32(), (2 << 3) | 2);
    assert.equal(r.string().length, n);
  }
});

test('an unmatched end() or finish() inside a message throws (a bug, never data)', () => {
  assert.throws(() => new ProtoWriter().end(), /without begin/);
  const w = new ProtoWriter();
  w.begin(1);
  assert.throws(() => w.finish(), /open message/);
});
