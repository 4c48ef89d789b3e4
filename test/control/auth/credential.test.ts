// Tests for the API credential check: bearer parsing, constant-time compare, 401 with WWW-Authenticate for missing/wrong tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bearerToken, constantTimeEqual, requireAdmin, Unauthorized } from '../../../src/control/auth/credential.js';
import { errorReply } from '../../../src/control/http/io.js';

const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } });
const TOKEN = 'c2VjcmV0LXRva2VuLWZvci10ZXN0cw';

test('bearerToken: the token of "Bearer <token>", scheme case-insensitive; anything else is none', () => {
  assert.equal(bearerToken(req(`Bearer ${TOKEN}`)), TOKEN);
  assert.equal(bearerToken(req(`bearer ${TOKEN}`)), TOKEN);
  assert.equal(bearerToken(req(`Bearer  ${TOKEN} `)), TOKEN);
  assert.equal(bearerToken(req()), undefined);
  assert.equal(bearerToken(req(`Basic ${TOKEN}`)), undefined);
  assert.equal(bearerToken(req('Bearer')), undefined);
  assert.equal(bearerToken(req('Bearer a b')), undefined);
  assert.equal(bearerToken(req(TOKEN)), undefined);
});

test('bearerToken never throws and only returns whitespace-free tokens (property)', () => {
  fc.assert(
    fc.property(fc.string(), (h) => {
      const t = bearerToken(req(h));
      assert.ok(t === undefined || (t.length > 0 && !/\s/.test(t) && h.includes(t)));
    }),
  );
});

test('constantTimeEqual: equal strings only, whatever their lengths (property)', () => {
  assert.equal(constantTimeEqual(TOKEN, TOKEN), true);
  assert.equal(constantTimeEqual(TOKEN, TOKEN + 'x'), false);
  assert.equal(constantTimeEqual('', TOKEN), false);
  fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
});

test('requireAdmin: the admin identity with the right token; 401 + WWW-Authenticate: Bearer when missing or wrong', () => {
  assert.deepEqual(requireAdmin(req(`Bearer ${TOKEN}`), TOKEN), { name: 'admin' });
  for (const h of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, 'Bearer ']) {
    assert.throws(
      () => requireAdmin(req(h), TOKEN),
      (e: unknown) => {
        assert.ok(e instanceof Unauthorized);
        const reply = errorReply(e);
        assert.equal(reply.status, 401);
        assert.match(reply.headers?.['www-authenticate'] ?? '', /^Bearer\b/);
        assert.equal(typeof (reply.json as { error: string }).error, 'string');
        // the expected token never appears in what is sent back
        assert.ok(!JSON.stringify(reply.json).includes(TOKEN));
        return true;
      },
      String(h),
    );
  }
});
