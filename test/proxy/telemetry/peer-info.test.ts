import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeStruct, encodeStruct, STRUCT_LIMITS, type StructValue } from '../../../src/proxy/telemetry/peer-struct.js';
import { decodePeerHeader, encodePeerHeader, MAX_HEADER_CHARS } from '../../../src/proxy/telemetry/peer-info.js';

const node = {
  NAME: 'reviews-v1-abc', NAMESPACE: 'default', WORKLOAD_NAME: 'reviews-v1', SERVICE_ACCOUNT: 'reviews',
  CLUSTER_ID: 'Kubernetes', MESH_ID: 'cluster.local', LABELS: { app: 'reviews', version: 'v1' },
};

test('peer header round-trips node metadata into PeerInfo', () => {
  const p = decodePeerHeader(encodePeerHeader(node), 'sidecar~1.2.3.4~reviews-v1-abc.default~default.svc.cluster.local');
  assert.ok(p);
  assert.equal(p.workload, 'reviews-v1');
  assert.equal(p.namespace, 'default');
  assert.equal(p.app, 'reviews');
  assert.equal(p.version, 'v1');
  assert.equal(p.canonicalService, 'reviews');
  assert.equal(p.cluster, 'Kubernetes');
  assert.equal(p.serviceAccount, 'reviews');
});

test('missing keys read as unknown; malformed headers are ignored', () => {
  assert.equal(decodePeerHeader(encodePeerHeader({ NAME: 'x' }))?.workload, 'unknown');
  assert.equal(decodePeerHeader('!!!'), undefined);
  assert.equal(decodePeerHeader('A'.repeat(MAX_HEADER_CHARS + 4)), undefined);
  assert.equal(decodePeerHeader(Buffer.from([0x0a, 0x7f]).toString('base64')), undefined);
});

const valueArb: fc.Arbitrary<StructValue> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.double({ noNaN: true }), fc.string(), fc.boolean(),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 3 }),
  ),
})).v as fc.Arbitrary<StructValue>;

test('Struct codec round-trips arbitrary structs (fast-check)', () => {
  fc.assert(fc.property(fc.dictionary(fc.string().filter((k) => k !== '__proto__'), valueArb, { maxKeys: 5 }), (s) => {
    const bytes = encodeStruct(s);
    fc.pre(bytes.length <= STRUCT_LIMITS.maxBytes);
    let depthOk = true;
    try {
      assert.deepEqual(JSON.parse(JSON.stringify(decodeStruct(bytes))), JSON.parse(JSON.stringify(s)));
    } catch (e) {
      depthOk = /too deep/.test(String(e));
      if (!depthOk) throw e;
    }
  }), { numRuns: 300 });
});

test('hostile bytes never crash the Struct decoder with anything but Error (fast-check)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
    try {
      decodeStruct(b);
    } catch (e) {
      assert.ok(e instanceof Error);
    }
  }), { numRuns: 2000 });
});

test('hostile header values never throw (fast-check)', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.base64String({ maxLength: 600 })), fc.string(), (h, id) => {
    decodePeerHeader(h, id);
  }), { numRuns: 2000 });
});

test('deeply nested structs are rejected, not recursed without bound', () => {
  let v: StructValue = 'x';
  for (let i = 0; i < 50; i++) v = { a: v };
  assert.throws(() => decodeStruct(encodeStruct({ a: v })), /too deep/);
});
