// Proxy HTTP filters (compression): the header readings — tokens, no-transform, media types, transfer codings — with fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hasNoTransform, hasToken, isUpgradeRequest, mediaType, transferEncodingAllows, trimOws } from '../../../../../src/proxy/http/filters/compression/headers.js';

test('compression headers: examples', () => {
  assert.equal(hasNoTransform({ 'cache-control': 'max-age=1, NO-TRANSFORM' }), true);
  assert.equal(hasNoTransform({ 'cache-control': 'no-transformation' }), false);
  assert.equal(mediaType({ 'content-type': ' Text/HTML ; charset=utf-8' }), 'Text/HTML');
  assert.equal(transferEncodingAllows({ 'transfer-encoding': 'gzip, chunked' }, 'br'), false);
  assert.equal(transferEncodingAllows({ 'transfer-encoding': 'chunked' }, 'br'), true);
  assert.equal(isUpgradeRequest({ connection: 'keep-alive, Upgrade', upgrade: 'websocket' }), true);
  assert.equal(isUpgradeRequest({ upgrade: 'websocket' }), false);
});

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/);
const ows = fc.constantFrom('', ' ', '\t', '  ');

test('compression headers property: a token is found in any comma list holding it, whatever the case and spacing', () => {
  fc.assert(
    fc.property(fc.array(word, { maxLength: 5 }), word, fc.nat(), ows, (others, token, at, sp) => {
      const list = [...others];
      list.splice(at % (list.length + 1), 0, token.toUpperCase());
      assert.equal(hasToken(list.map((t) => `${sp}${t}${sp}`).join(','), token), true);
      assert.equal(hasToken(others.join(','), token), others.includes(token));
    }),
  );
});

test('compression headers property: trimOws only removes leading and trailing ASCII whitespace', () => {
  fc.assert(
    fc.property(ows, fc.string(), ows, (a, s, b) => {
      const t = trimOws(a + s + b);
      assert.equal(t, s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, ''));
    }),
  );
});
