// GET /api/v1/mesh builds the discovery address from the caller's Host header when the control plane binds a wildcard:
// only a real host name or address may come through.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostOf } from '../../../src/control/http/status-routes.js';

describe('hostOf (the Host header behind discoveryAddress)', () => {
  it('takes names, IPv4 and bracketed IPv6, with or without a port', () => {
    assert.equal(hostOf('cp.example.com:15014'), 'cp.example.com');
    assert.equal(hostOf('10.0.0.5'), '10.0.0.5');
    assert.equal(hostOf('[::1]:15014'), '::1');
    assert.equal(hostOf('[fe80::1]'), 'fe80::1');
  });

  it('refuses anything else', () => {
    for (const bad of [undefined, '', ':15014', 'a b', 'evil/x:1', 'host:port', 'x:123456', '[::1', '[::1]x', '::1', '-lead', 'trail-', 'a\r\nb', '[::1%eth0]', 'a'.repeat(300)]) {
      assert.equal(hostOf(bad), undefined, JSON.stringify(bad));
    }
  });

  it('never returns more than address characters taken from the header (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const h = hostOf(header);
        if (h === undefined) return;
        assert.match(h, /^[A-Za-z0-9.:-]+$/);
        assert.ok(header.includes(h));
      }),
      { numRuns: 2000 },
    );
  });
});
