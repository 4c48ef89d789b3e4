// Tests how one runtime value is read: Envoy's boolean / integer / double / FractionalPercent readings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { entryFromStatic, fractionFromObject, parseEntry } from '../../../src/proxy/runtime-config/entry.js';
import { fileValue } from '../../../src/proxy/runtime-config/disk-layer.js';

describe('runtime entry', () => {
  it('reads a whole number as integer, double and boolean', () => {
    assert.deepEqual(parseEntry('50'), { raw: '50', bool: true, double: 50, uint: 50 });
    assert.deepEqual(parseEntry(' 0 '), { raw: ' 0 ', bool: false, double: 0, uint: 0 });
  });
  it('rounds a fractional number down for the integer reading', () => {
    const e = parseEntry('3.9');
    assert.equal(e.uint, 3);
    assert.equal(e.double, 3.9);
    assert.equal(e.bool, undefined);
  });
  it('gives a negative number no integer reading', () => {
    const e = parseEntry('-2');
    assert.equal(e.uint, undefined);
    assert.equal(e.double, -2);
  });
  it('reads true/false in any case as booleans only', () => {
    assert.deepEqual(parseEntry('TRUE'), { raw: 'TRUE', bool: true });
    assert.deepEqual(parseEntry('false'), { raw: 'false', bool: false });
  });
  it('reads FractionalPercent text and objects', () => {
    assert.deepEqual(parseEntry('{numerator: 5, denominator: TEN_THOUSAND}').fraction, { numerator: 5, denominator: 'TEN_THOUSAND' });
    assert.deepEqual(parseEntry('numerator: 7\ndenominator: million').fraction, { numerator: 7, denominator: 'MILLION' });
    assert.deepEqual(entryFromStatic({ numerator: 20 }).fraction, { numerator: 20, denominator: 'HUNDRED' });
    assert.equal(fractionFromObject({ numerator: 1, denominator: 'THOUSAND' }), undefined);
    assert.equal(fractionFromObject({ numerator: -1 }), undefined);
    assert.equal(fractionFromObject({ numerator: 1, extra: 2 }), undefined);
  });
  it('leaves other text as a plain string', () => {
    assert.deepEqual(parseEntry('hello'), { raw: 'hello' });
  });
  it('reads static scalars through their text', () => {
    assert.equal(entryFromStatic(5).uint, 5);
    assert.equal(entryFromStatic(true).bool, true);
    assert.equal(entryFromStatic('12').uint, 12);
  });
  it('drops comment and blank lines from a disk file and trims the end', () => {
    assert.equal(fileValue('# placeholder\n'), '');
    assert.equal(fileValue('# the abort share\n100\n\n'), '100');
    assert.equal(fileValue('a\n#x\nb  \n'), 'a\nb');
  });
  it('property: never throws; a non-negative integer reads back exactly', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseEntry(s)));
    fc.assert(fc.property(fc.string(), (s) => void fileValue(s)));
    fc.assert(
      fc.property(fc.nat(), (n) => {
        const e = parseEntry(String(n));
        assert.equal(e.uint, n);
        assert.equal(e.bool, n !== 0);
      }),
    );
  });
});
