// Protocol sniffers: the deframer (frames survive any chunking; only header + `keep` payload bytes are kept; bad sizes
// raise SniffError), the pass-through sniffer filter (never changes or holds bytes; a throwing decoder only stops
// sniffing) and the SQL keyword check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deframer, SniffError, type FrameFormat } from '../../../../src/proxy/network/sniff/deframer.js';
import { snifferFilter, type ProtocolDecoder } from '../../../../src/proxy/network/sniff/sniffer-filter.js';
import { firstSqlKeyword, looksLikeSqlStatement } from '../../../../src/proxy/network/sniff/sql-keyword.js';

/** 2-byte big-endian size, then the payload. */
const U16: FrameFormat = { headerBytes: 2, payloadBytes: (h) => h.readUInt16BE(0) };

function encode(payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat(payloads.map((p) => Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), Buffer.from(p)])));
}

/** Splits `b` at the given (sorted, deduplicated) cut points. */
function chunks(b: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(at, p));
    at = p;
  }
  return out;
}

test('deframer: the same frames (sizes and kept prefixes) whatever the chunking', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 0, max: 16 }), (payloads, cuts, keep) => {
      const seen: [number, string][] = [];
      const d = new Deframer(U16, keep, (_h, prefix, size) => seen.push([size, prefix.toString('hex')]));
      for (const c of chunks(encode(payloads), cuts)) d.push(c);
      assert.deepEqual(
        seen,
        payloads.map((p) => [p.length, Buffer.from(p).subarray(0, keep).toString('hex')]),
      );
    }),
  );
});

test('deframer: a huge frame is counted off, never buffered', () => {
  const fmt: FrameFormat = { headerBytes: 4, payloadBytes: (h) => h.readUInt32BE(0) };
  let frames = 0;
  const d = new Deframer(fmt, 8, (_h, prefix, size) => {
    frames++;
    assert.equal(size, 64 * 1024 * 1024);
    assert.equal(prefix.length, 8);
  });
  const header = Buffer.alloc(4);
  header.writeUInt32BE(64 * 1024 * 1024);
  d.push(header);
  const block = Buffer.alloc(1024 * 1024, 7);
  for (let i = 0; i < 64; i++) d.push(block);
  assert.equal(frames, 1);
  assert.equal((d as unknown as { prefix: Buffer }).prefix.length, 8, 'the only payload buffer is `keep` bytes');
});

test('deframer: a size the format rejects (or not a safe integer) raises SniffError', () => {
  const strict: FrameFormat = { headerBytes: 1, payloadBytes: (h) => (h[0]! > 10 ? -1 : h[0]!) };
  assert.throws(() => new Deframer(strict, 4, () => {}).push(Buffer.from([11])), SniffError);
  const thrower: FrameFormat = { headerBytes: 1, payloadBytes: () => { throw new SniffError('bad'); } };
  assert.throws(() => new Deframer(thrower, 4, () => {}).push(Buffer.from([1])), SniffError);
});

test('sniffer filter: bytes always continue unchanged; a throwing decoder is reported once and never called again', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 30 })), { maxLength: 20 }), fc.nat({ max: 20 }), (steps, throwAt) => {
      let calls = 0;
      const errors: boolean[] = [];
      const decoder: ProtocolDecoder = {
        stopped: false,
        fromClient: () => {
          if (calls++ === throwAt) throw new Error('boom');
        },
        fromServer: () => {
          if (calls++ === throwAt) throw new Error('boom');
        },
      };
      const f = snifferFilter(decoder, { onDecoderError: (fromClient) => errors.push(fromClient) });
      for (const [client, bytes] of steps) {
        const b = Buffer.from(bytes);
        const copy = Buffer.from(b);
        if (client) assert.equal(f.onData!(b, false), 'continue');
        else f.onWrite!(b, false);
        assert.deepEqual(b, copy);
      }
      assert.ok(errors.length <= 1);
      assert.ok(calls <= throwAt + 1);
    }),
  );
});

test('SQL keyword: first word after blanks, parentheses and comments', () => {
  assert.equal(firstSqlKeyword('  select 1'), 'SELECT');
  assert.equal(firstSqlKeyword('/* hint */ (SELECT 1)'), 'SELECT');
  assert.equal(firstSqlKeyword('-- c\n# d\nINSERT INTO t'), 'INSERT');
  assert.equal(firstSqlKeyword('/* never closed'), undefined);
  assert.equal(firstSqlKeyword('  '), undefined);
  assert.equal(looksLikeSqlStatement('with x as (select 1) select * from x'), true);
  assert.equal(looksLikeSqlStatement('hello world'), false);
  assert.equal(looksLikeSqlStatement(''), false);
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void looksLikeSqlStatement(s)));
});
