// Tests the CreateCertificate message codec: round trips, Istio's field numbers, and hostile bytes (only WireError, bounded).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_CA_MESSAGE_BYTES, decodeCertificateRequest, decodeCertificateResponse, encodeCertificateRequest, encodeCertificateResponse } from '../../src/xds/ca-service.js';
import { WireError } from '../../src/xds/wire/reader.js';

describe('IstioCertificateService messages', () => {
  it('round-trips a request and a response', () => {
    const req = { csr: '-----BEGIN CERTIFICATE REQUEST-----\nabc\n-----END CERTIFICATE REQUEST-----\n', validityDurationS: 86400 };
    assert.deepEqual(decodeCertificateRequest(encodeCertificateRequest(req)), req);
    const res = { certChain: ['leaf', 'intermediate', 'root'] };
    assert.deepEqual(decodeCertificateResponse(encodeCertificateResponse(res)), res);
  });

  it('uses Istio field numbers (csr = 1, validity_duration = 3) and skips metadata (4)', () => {
    const b = encodeCertificateRequest({ csr: 'x', validityDurationS: 60 });
    assert.deepEqual([...b], [0x0a, 1, 0x78, 0x18, 60]);
    // metadata Struct { fields: {} } as field 4, then an unknown varint field 9
    const withMeta = Buffer.concat([b, Buffer.from([0x22, 0x00, 0x48, 0x01])]);
    assert.deepEqual(decodeCertificateRequest(withMeta), { csr: 'x', validityDurationS: 60 });
  });

  it('a negative or absurd validity means the default', () => {
    const neg = Buffer.from([0x0a, 1, 0x78, 0x18, ...Array(9).fill(0xff), 0x01]);
    assert.equal(decodeCertificateRequest(neg).validityDurationS, 0);
  });

  it('refuses oversized messages', () => {
    assert.throws(() => decodeCertificateRequest(Buffer.alloc(MAX_CA_MESSAGE_BYTES + 1)), WireError);
    assert.throws(() => decodeCertificateResponse(Buffer.alloc(MAX_CA_MESSAGE_BYTES + 1)), WireError);
  });

  it('any bytes decode or fail with WireError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeCertificateRequest, decodeCertificateResponse]) {
          try {
            decode(bytes);
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
