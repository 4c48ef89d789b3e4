// Proxy HTTP filters: gRPC-Web text codecs and trailer frames — examples plus fast-check properties over arbitrary chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Base64StreamDecoder, FrameBase64Encoder, trailerFrame } from '../../../../../src/proxy/http/filters/grpc_web/text-codec.js';
import { percentEncodeGrpcMessage } from '../../../../../src/proxy/http/filters/grpc_common/headers.js';

/** Splits `buf` at the given cut points (positions taken modulo its length). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (buf.length === 0 ? 0 : c % (buf.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

function frame(msg: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(5);
  h[0] = flags;
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
}

test('text decoder: groups split across chunks, separately padded messages one after another', () => {
  const d = new Base64StreamDecoder();
  const text = Buffer.from(Buffer.from('ab').toString('base64') + Buffer.from('xyz!').toString('base64'));
  const got = [d.push(text.subarray(0, 3)), d.push(text.subarray(3, 9)), d.push(text.subarray(9))];
  assert.equal(Buffer.concat(got as Buffer[]).toString(), 'abxyz!');
  assert.equal(d.pending, 0);
});

test('text decoder: bad characters, padding inside a group, or non-canonical padding bits are refused', () => {
  for (const bad of ['ab$d', 'a=bc', 'QQ=A', 'QR==', 'QUJ=', '====']) assert.equal(new Base64StreamDecoder().push(Buffer.from(bad)), undefined, bad);
});

test('text decoder property: any bytes, base64-encoded in padded pieces and cut anywhere, decode back', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (pieces, cuts) => {
      const text = Buffer.from(pieces.map((p) => Buffer.from(p).toString('base64')).join(''));
      const d = new Base64StreamDecoder();
      const out: Buffer[] = [];
      for (const c of split(text, cuts)) {
        const r = d.push(c);
        assert.ok(r !== undefined);
        out.push(r);
      }
      assert.equal(d.pending, 0);
      assert.deepEqual(Buffer.concat(out), Buffer.concat(pieces.map((p) => Buffer.from(p))));
    }),
  );
});

test('frame encoder property: the text equals each frame base64-encoded on its own (Envoy\'s output), however the stream is cut', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (msgs, cuts) => {
      const frames = msgs.map((m) => frame(Buffer.from(m)));
      const enc = new FrameBase64Encoder();
      let text = '';
      for (const c of split(Buffer.concat(frames), cuts)) text += enc.push(c);
      text += enc.end();
      assert.equal(text, frames.map((f) => f.toString('base64')).join(''));
    }),
  );
});

test('trailer frame: 0x80, length, name:value CRLF per value', () => {
  const f = trailerFrame({ 'grpc-status': '0', 'grpc-message': 'ok', 'x-multi': ['a', 'b'] });
  const block = 'grpc-status:0\r\ngrpc-message:ok\r\nx-multi:a\r\nx-multi:b\r\n';
  assert.equal(f[0], 0x80);
  assert.equal(f.readUInt32BE(1), block.length);
  assert.equal(f.subarray(5).toString(), block);
});

test('grpc-message percent-encoding property: printable ASCII out, the original back with decodeURIComponent', () => {
  assert.equal(percentEncodeGrpcMessage('50% off\nnow ☃'), '50%25 off%0Anow %E2%98%83');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      const e = percentEncodeGrpcMessage(s);
      assert.match(e, /^[\x20-\x7e]*$/);
      assert.equal(decodeURIComponent(e), s);
    }),
  );
});
