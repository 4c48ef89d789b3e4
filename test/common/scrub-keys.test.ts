// Tests for scrubKeys: PEM private keys and their base64 (at any byte alignment) are cut from text; certificates and other text stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { SCRUBBED, scrubKeys } from '../../src/common/scrub-keys.js';

const keys = ['ec', 'rsa'].map((t) =>
  t === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    : generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }),
);
const body = (pem: string): string => pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('').slice(10, 40);

test('a PEM private key in a log line is cut; the public key and the rest of the line stay', () => {
  const { privateKey, publicKey } = keys[0]!;
  const out = scrubKeys(`NACK: bad secret ${privateKey} and ${publicKey} end`);
  assert.ok(out.startsWith(`NACK: bad secret ${SCRUBBED}`), out);
  assert.ok(out.includes('BEGIN PUBLIC KEY') && out.endsWith(' end'));
  assert.ok(!out.includes(body(privateKey)));
  // a truncated key (the line was cut) is cut to the end
  assert.equal(scrubKeys(`x ${privateKey.slice(0, 80)}`), `x ${SCRUBBED}`);
});

test('property: a private key as PEM or as base64 (any prefix alignment, as in Secret data) never survives; plain text is unchanged', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.constantFrom(0, 1), fc.constantFrom('pem', 'b64', 'b64-embedded'), (pre, post, k, form) => {
      const pem = keys[k]!.privateKey;
      const b64 = (s: string): string => Buffer.from(s).toString('base64');
      const payload = form === 'pem' ? pem : form === 'b64' ? b64(pem) : b64(`${pre.slice(0, 2)}${pem}`);
      const out = scrubKeys(`${pre}${payload}${post}`);
      const fragment = form === 'pem' ? body(pem) : payload.slice(60, 90);
      assert.ok(!out.includes(fragment), out);
    }),
    { numRuns: 300 },
  );
  fc.assert(fc.property(fc.string(), (s) => s.includes('LS0t') || s.includes('PRIVATE KEY') || scrubKeys(s) === s));
});
