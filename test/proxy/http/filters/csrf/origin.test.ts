// Proxy HTTP filters: csrf's origin parsing — host[:port] of Origin/Referer URLs, raw values kept, with
// fast-check properties over generated URLs and arbitrary header strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostAndPort, isModifyMethod, sourceOrigin, targetOrigin } from '../../../../../src/proxy/http/filters/csrf/origin.js';

test('csrf origin: host and port of absolute URLs; other values as they are', () => {
  assert.equal(hostAndPort('https://shop.example'), 'shop.example');
  assert.equal(hostAndPort('https://shop.example:8443/cart?x=1#f'), 'shop.example:8443');
  assert.equal(hostAndPort('http://user:pw@shop.example:80/'), 'shop.example:80');
  assert.equal(hostAndPort('http://[::1]:8080/x'), '[::1]:8080');
  assert.equal(hostAndPort('null'), 'null');
  assert.equal(hostAndPort('shop.example'), 'shop.example');
  assert.equal(hostAndPort('https:///nohost'), 'https:///nohost');
  assert.equal(hostAndPort(''), '');
});

test('csrf origin: Origin first, Referer when Origin is absent or empty; the target is the authority', () => {
  assert.equal(sourceOrigin('https://a.example', 'https://b.example/x'), 'a.example');
  assert.equal(sourceOrigin(undefined, 'https://b.example/x'), 'b.example');
  assert.equal(sourceOrigin('', 'https://b.example/x'), 'b.example');
  assert.equal(sourceOrigin(undefined, undefined), '');
  assert.equal(targetOrigin('https', 'a.example:8443'), 'a.example:8443');
  assert.equal(targetOrigin('http', ''), '');
  assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'].map(isModifyMethod), [false, false, false, true, true, true, true]);
});

test('csrf origin (property): any scheme://host[:port]/path gives host[:port]', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  fc.assert(
    fc.property(
      fc.constantFrom('http', 'https', 'chrome-extension', 'ws'),
      fc.array(label, { minLength: 1, maxLength: 4 }),
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      fc.stringMatching(/^(\/[a-z0-9._~%-]*)*(\?[a-z0-9=&]*)?$/),
      (scheme, labels, port, rest) => {
        const hp = labels.join('.') + (port === undefined ? '' : `:${port}`);
        assert.equal(hostAndPort(`${scheme}://${hp}${rest}`), hp);
      },
    ),
  );
});

test('csrf origin (property): never throws; a value without "://" comes back unchanged; the result is a substring', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const r = hostAndPort(s);
      assert.ok(s.includes(r));
      if (!s.includes('://')) assert.equal(r, s);
    }),
  );
});
