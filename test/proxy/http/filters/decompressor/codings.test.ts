// Proxy HTTP filters: the decompressor's Content-Encoding / Accept-Encoding edits — examples and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addAcceptEncoding, firstCodingIs, withoutFirstCoding } from '../../../../../src/proxy/http/filters/decompressor/codings.js';

test('codings: Envoy\'s addEncodingToAcceptEncoding examples', () => {
  assert.equal(addAcceptEncoding('one,two', 'three'), 'one,two,three');
  assert.equal(addAcceptEncoding('one,two', 'one'), 'two,one');
  assert.equal(addAcceptEncoding('one;q=0.3,two', 'two'), 'one;q=0.3,two');
  assert.equal(addAcceptEncoding('one;q=0.3,two', 'one'), 'two,one');
  assert.equal(addAcceptEncoding('', 'one'), 'one');
  assert.equal(addAcceptEncoding(undefined, 'gzip'), 'gzip');
});

test('codings: the first content coding, any case and spacing; what is left after it', () => {
  assert.equal(firstCodingIs(' GZip , br', 'gzip'), true);
  assert.equal(firstCodingIs('br, gzip', 'gzip'), false);
  assert.equal(withoutFirstCoding('gzip'), undefined);
  assert.equal(withoutFirstCoding('gzip, br , x'), 'br , x');
  assert.equal(withoutFirstCoding('gzip,'), undefined, 'nothing left: the header goes');
});

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);
const weight = fc.option(fc.integer({ min: 0, max: 1000 }).map((n) => `;q=${n / 1000}`), { nil: '' });

test('codings property: the added coding ends the list once, at full weight; the others keep their order', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(token, weight), { maxLength: 6 }), token, (list, enc) => {
      const out = addAcceptEncoding(list.map(([t, w]) => ` ${t}${w}`).join(','), enc).split(',');
      assert.equal(out.at(-1), enc);
      assert.equal(out.filter((t) => t.split(';')[0] === enc).length, 1);
      assert.deepEqual(out.slice(0, -1), list.filter(([t]) => t !== enc).map(([t, w]) => `${t}${w}`));
    }),
  );
});

test('codings property: removing the first coding leaves exactly the others', () => {
  fc.assert(
    fc.property(fc.array(token, { minLength: 1, maxLength: 5 }), fc.constantFrom(',', ', ', ' ,'), (codings, sep) => {
      const value = codings.join(sep);
      assert.equal(firstCodingIs(value, codings[0].toUpperCase()), true);
      const rest = withoutFirstCoding(value);
      assert.equal(rest === undefined ? undefined : rest.split(',').map((s) => s.trim()).join(','), codings.length > 1 ? codings.slice(1).join(',') : undefined);
    }),
  );
});
