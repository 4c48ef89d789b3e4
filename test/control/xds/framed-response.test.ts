// Framed responses: the chunks, joined, are one gRPC message (5-byte prefix, then the protobuf) that decodes to the
// fields given, for any fields; resources shared between responses are shared chunks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { adsServiceDefinition } from '../../../src/xds/ads-service.js';
import { framedDelta, framedSotw, joined, type FramedResponse } from '../../../src/control/xds/framed-response.js';

const def = adsServiceDefinition();

/** The message inside the frame, after checking the prefix. */
function unframe(r: FramedResponse): Buffer {
  const all = joined(r);
  assert.equal(all.length, r.size);
  assert.equal(all[0], 0, 'uncompressed');
  assert.equal(all.readUInt32BE(1), all.length - 5, 'the prefix holds the message length');
  return all.subarray(5);
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const any = fc.record({ type_url: text, value: fc.uint8Array({ maxLength: 300 }) });

describe('framed responses', () => {
  it('property: a Delta response decodes to the fields it was made of', () => {
    fc.assert(
      fc.property(
        fc.record({
          system_version_info: text,
          resources: fc.array(fc.record({ name: text, version: text, resource: any }), { maxLength: 5 }),
          type_url: text,
          removed_resources: fc.array(text, { maxLength: 4 }),
          nonce: text,
          identifier: text,
        }),
        (f) => {
          const got = def.DeltaAggregatedResources.responseDeserialize(unframe(framedDelta(f)));
          assert.equal(got.system_version_info ?? '', f.system_version_info);
          assert.equal(got.type_url ?? '', f.type_url);
          assert.equal(got.nonce ?? '', f.nonce);
          assert.equal(got.control_plane?.identifier ?? '', f.identifier);
          assert.deepEqual(got.removed_resources ?? [], f.removed_resources);
          assert.deepEqual(
            (got.resources ?? []).map((r) => [r.name ?? '', r.version ?? '', r.resource?.type_url ?? '', Buffer.from(r.resource?.value ?? [])]),
            f.resources.map((r) => [r.name, r.version, r.resource.type_url, Buffer.from(r.resource.value)]),
          );
        },
      ),
    );
  });

  it('property: a SotW response decodes to the fields it was made of', () => {
    fc.assert(
      fc.property(fc.record({ version_info: text, resources: fc.array(any, { maxLength: 5 }), type_url: text, nonce: text, identifier: text }), (f) => {
        const got = def.StreamAggregatedResources.responseDeserialize(unframe(framedSotw(f)));
        assert.equal(got.version_info ?? '', f.version_info);
        assert.equal(got.type_url ?? '', f.type_url);
        assert.equal(got.nonce ?? '', f.nonce);
        assert.equal(got.control_plane?.identifier ?? '', f.identifier);
        assert.deepEqual(
          (got.resources ?? []).map((r) => [r.type_url ?? '', Buffer.from(r.value ?? [])]),
          f.resources.map((r) => [r.type_url, Buffer.from(r.value)]),
        );
      }),
    );
  });

  it('a length past 127 takes a multi-byte varint, and a large resource one chunk of its own', () => {
    const value = Buffer.alloc(70_000, 9);
    const r = framedDelta({ system_version_info: 'v', resources: [{ name: 'big', version: '1', resource: { type_url: 't', value } }], type_url: 't', removed_resources: [], nonce: 'n', identifier: 'i' });
    const got = def.DeltaAggregatedResources.responseDeserialize(unframe(r));
    assert.deepEqual(Buffer.from(got.resources[0]!.resource!.value), value);
    assert.equal(r.chunks.length, 3, 'head, the resource, tail');
  });

  it('responses carrying the same resource share its chunk instead of copying it', () => {
    const resource = { type_url: 't', value: Buffer.alloc(1000, 1) };
    const a = framedDelta({ system_version_info: 'v1', resources: [{ name: 'x', version: '1', resource }], type_url: 't', removed_resources: [], nonce: 'n1', identifier: 'i' });
    const b = framedDelta({ system_version_info: 'v2', resources: [{ name: 'x', version: '1', resource }], type_url: 't', removed_resources: ['gone'], nonce: 'n2', identifier: 'i' });
    assert.equal(a.chunks[1], b.chunks[1]);
    const c = framedSotw({ version_info: 'v1', resources: [resource], type_url: 't', nonce: 'n', identifier: 'i' });
    const d = framedSotw({ version_info: 'v2', resources: [resource], type_url: 't', nonce: 'm', identifier: 'i' });
    assert.equal(c.chunks[1], d.chunks[1]);
  });
});
