// ownedBytes: small pooled Buffers are copied into memory of their own; bytes that own their memory are kept as they are.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ownedBytes } from '../../src/common/owned-bytes.js';
import { WireWriter } from '../../src/xds/wire/writer.js';
import { framedDelta, framedSotw } from '../../src/control/xds/framed-response.js';

const ownsItsMemory = (b: Uint8Array): boolean => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;

describe('ownedBytes', () => {
  it('copies a slice of a shared slab into an allocation of its own, byte for byte (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const pooled = Buffer.from(bytes); // small Buffers are slices of Node's pool
        const owned = ownedBytes(pooled);
        assert.ok(ownsItsMemory(owned));
        assert.deepEqual(Buffer.from(owned), pooled);
      }),
    );
  });

  it('returns bytes that already own their memory as they are', () => {
    const own = Buffer.allocUnsafeSlow(100);
    assert.equal(ownedBytes(own), own);
  });

  it('is what WireWriter.finishOwned and the cached parts of framed responses are made of', () => {
    const w = new WireWriter();
    w.bytes(Buffer.from('abc'));
    assert.ok(ownsItsMemory(w.finishOwned()));
    const resource = { type_url: 't', value: Buffer.from('payload') };
    const delta = framedDelta({ system_version_info: 'v', type_url: 't', nonce: 'n', removed_resources: [], resources: [{ name: 'a', version: '1', resource }], identifier: 'i' });
    const sotw = framedSotw({ version_info: 'v', type_url: 't', nonce: 'n', resources: [resource], identifier: 'i' });
    for (const r of [delta, sotw]) assert.ok(r.chunks.every(ownsItsMemory), 'every chunk of a response owns its memory');
  });
});
