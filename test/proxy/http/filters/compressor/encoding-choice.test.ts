// Proxy HTTP filters: Accept-Encoding parsing and the chain's encoding choice — Envoy's examples and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseEncoding, parseAcceptEncoding, type ChainCompressor } from '../../../../../src/proxy/http/filters/compressor/encoding-choice.js';

const ANY_TYPE: ReadonlySet<string> = new Set();
const gzip: ChainCompressor = { encoding: 'gzip', chooseFirst: false, contentTypes: ANY_TYPE };
const br: ChainCompressor = { encoding: 'br', chooseFirst: false, contentTypes: ANY_TYPE };

test('accept-encoding: codings with q-values; a q that does not parse drops the token', () => {
  assert.deepEqual(parseAcceptEncoding(' gzip ;q=0.5, br, deflate;Q=0 ,,identity;q=x, *;level=1;q=0'), [
    { name: 'gzip', q: 0.5 },
    { name: 'br', q: 1 },
    { name: 'deflate', q: 0 },
    { name: '*', q: 1 }, // only a parameter directly after the coding is read
  ]);
});

test('choice: Envoy\'s documented cases', () => {
  assert.deepEqual(chooseEncoding('gzip;q=0,*;q=1', undefined, [gzip]), { encoding: 'identity', stat: 'not_valid' });
  assert.deepEqual(chooseEncoding('*;q=0,gzip;q=1', undefined, [gzip]), { encoding: 'gzip', stat: 'valid' });
  assert.deepEqual(chooseEncoding('deflate;q=0.75, gzip;q=0.5', undefined, [gzip]), { encoding: 'gzip', stat: 'valid' });
  assert.deepEqual(chooseEncoding('br;q=0.9, gzip;q=0.5', undefined, [gzip, br]), { encoding: 'br', stat: 'valid' });
  assert.deepEqual(chooseEncoding('identity, gzip;q=0.5', undefined, [gzip]), { encoding: 'identity', stat: 'identity' });
  assert.deepEqual(chooseEncoding('*', undefined, [br, gzip]), { encoding: 'br', stat: 'wildcard' });
  assert.deepEqual(chooseEncoding('deflate', undefined, [gzip]), { encoding: 'identity', stat: 'not_valid' });
  assert.deepEqual(chooseEncoding('', undefined, [gzip]), { encoding: 'identity', stat: 'not_valid' });
});

test('choice: ties go to the first listed unless a compressor has choose_first; media types exclude compressors', () => {
  assert.equal(chooseEncoding('gzip, br', undefined, [gzip, br]).encoding, 'gzip');
  assert.equal(chooseEncoding('gzip, br', undefined, [gzip, { ...br, chooseFirst: true }]).encoding, 'br');
  const htmlOnly = { ...gzip, contentTypes: new Set(['text/html']) };
  assert.equal(chooseEncoding('gzip;q=1, br;q=0.5', 'application/json', [htmlOnly, br]).encoding, 'br');
  assert.equal(chooseEncoding('gzip;q=1, br;q=0.5', 'TEXT/HTML', [htmlOnly, br]).encoding, 'gzip');
});

const coding = fc.constantFrom('gzip', 'br', 'deflate', 'identity', '*', 'zstd');
const qValue = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000));
const entry = fc.record({ name: coding, q: qValue, sp: fc.constantFrom('', ' ', '\t') });

function header(entries: { name: string; q: number | undefined; sp: string }[]): string {
  return entries.map((e) => `${e.sp}${e.name}${e.q === undefined ? '' : `;q=${e.q}`}${e.sp}`).join(',');
}

test('accept-encoding property: formatted codings parse back to the same names and weights', () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
      const parsed = parseAcceptEncoding(header(entries));
      assert.deepEqual(parsed, entries.map((e) => ({ name: e.name, q: e.q ?? 1 })));
    }),
  );
});

test('choice property: never throws, picks identity or an offered compressor, never a compressor the client gave q=0', () => {
  const chain = fc.subarray([gzip, br, { encoding: 'deflate', chooseFirst: true, contentTypes: ANY_TYPE }], { minLength: 0 });
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(entry, { maxLength: 8 }).map(header)), chain, (ae, compressors) => {
      const d = chooseEncoding(ae, undefined, compressors);
      const offered = new Set(compressors.map((c) => c.encoding));
      assert.ok(d.encoding === 'identity' || offered.has(d.encoding), d.encoding);
      const refused = parseAcceptEncoding(ae).filter((a) => a.q === 0).map((a) => a.name);
      // identity is what is sent when nothing else may be, even if the client refused it too (Envoy does not answer 406)
      assert.ok(d.encoding === 'identity' || !refused.includes(d.encoding), `${d.encoding} was refused in ${JSON.stringify(ae)}`);
    }),
  );
});

test('choice property: a compressor offered with the single highest weight wins', () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 6 }), fc.constantFrom('gzip', 'br'), (others, best) => {
      const rest = others.filter((e) => e.name !== best).map((e) => ({ ...e, q: Math.min(e.q ?? 1, 0.5) }));
      const ae = header([...rest, { name: best, q: 0.9, sp: '' }]);
      assert.deepEqual(chooseEncoding(ae, undefined, [gzip, br]), { encoding: best, stat: 'valid' });
    }),
  );
});
