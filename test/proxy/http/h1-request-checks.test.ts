// Proxy HTTP: RFC 9112/3986 checks on HTTP/1.1 request heads (authority syntax, Content-Length), examples and properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRequestHead, isContentLength, isValidAuthority } from '../../../src/proxy/http/h1-request-checks.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);

test('request checks: authority syntax', () => {
  for (const ok of ['a', 'a.b.c', 'a:1', 'a:', '1.2.3.4:65535', '[::1]', '[::1]:', '[::ffff:1.2.3.4]:8', 'a%2Fb', "!$&'()*+,;=", '_-~.']) assert.equal(isValidAuthority(ok), true, ok);
  for (const bad of ['', ':1', 'a b', 'a@b', 'a:b', 'a:1:2', '[::1', '[v1.x]', '[::1]a', 'a%2', 'a%zz', 'ä', 'a/b', 'a\\b', 'a:999999']) assert.equal(isValidAuthority(bad), false, bad);
});

test('request checks: Content-Length is 1*DIGIT within 2^53-1', () => {
  assert.equal(isContentLength('0'), true);
  assert.equal(isContentLength('007'), true);
  assert.equal(isContentLength(String(Number.MAX_SAFE_INTEGER)), true);
  for (const bad of ['', '-1', '+1', '1.0', '1e3', ' 1', '0x1', '9007199254740992', '1'.repeat(17)]) assert.equal(isContentLength(bad), false, bad);
});

test('request checks: head verdicts', () => {
  assert.equal(checkRequestHead('/', ['Host', 'a']), null);
  assert.equal(checkRequestHead('/', ['Host', 'a', 'HOST', 'a']), 'ERR_DUPLICATE_HOST');
  assert.equal(checkRequestHead('/', ['Host', 'a b']), 'ERR_INVALID_HOST');
  assert.equal(checkRequestHead('/', ['Host', '']), null, 'an empty Host is left to the target rules');
  assert.equal(checkRequestHead('http://u@a/', ['Host', 'a']), 'ERR_USERINFO_IN_TARGET');
  assert.equal(checkRequestHead('https://a:8443/x', ['Host', 'b']), null);
  assert.equal(checkRequestHead('http://a b/', []), 'ERR_INVALID_TARGET_AUTHORITY');
  assert.equal(checkRequestHead('/', ['Content-Length', '1', 'content-length', '2']), 'ERR_INVALID_CONTENT_LENGTH');
  assert.equal(checkRequestHead('/', ['Content-Length', '1', 'Transfer-Encoding', 'chunked']), 'ERR_CONTENT_LENGTH_WITH_TRANSFER_ENCODING');
  assert.equal(checkRequestHead('/', ['Transfer-Encoding', ' Chunked ']), null);
  for (const te of ['gzip, chunked', 'chunked, chunked, gzip', 'identity', 'deflate', ',']) {
    assert.equal(checkRequestHead('/', ['Transfer-Encoding', te]), 'ERR_UNSUPPORTED_TRANSFER_CODING', te);
  }
  assert.equal(checkRequestHead('/', ['Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked']), 'ERR_UNSUPPORTED_TRANSFER_CODING', 'across field lines');
});

test('request checks (property, seed printed): isValidAuthority accepts generated reg-name[:port] and nothing outside the authority alphabet', () => {
  const regChar = fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;='.split(''));
  const regName = fc.array(fc.oneof(regChar, fc.constantFrom('%41', '%7e')), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
  const port = fc.option(fc.integer({ min: 0, max: 99999 }).map(String), { nil: undefined });
  const valid = fc.tuple(regName, port).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
  console.log(`fast-check seed ${SEED} (rerun with FC_SEED=${SEED})`);
  fc.assert(fc.property(valid, (a) => isValidAuthority(a)), { seed: SEED, numRuns: 500 });
  const anyString = fc.string({ unit: 'binary', maxLength: 30 });
  fc.assert(
    fc.property(anyString, (s) => {
      const verdict = isValidAuthority(s);
      // Never accepts a byte outside the authority alphabet.
      if (verdict) assert.match(s, /^[A-Za-z0-9\-._~!$&'()*+,;=%:[\]]+$/);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});
