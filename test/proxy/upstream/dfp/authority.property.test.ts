// Tests: parseAuthority (the DFP cache key of a request authority) — examples and fast-check properties.
// Seed convention: a fixed seed, overridable with FC_SEED.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAuthority } from '../../../../src/proxy/upstream/dfp/authority.js';
import { hostKey } from '../../../../src/proxy/upstream/host.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);
const RUNS = Number(process.env.FC_RUNS ?? 500);

test('parseAuthority: examples', () => {
  assert.deepEqual(parseAuthority('Example.COM', 80), { host: 'example.com', port: 80, key: 'example.com:80' });
  assert.deepEqual(parseAuthority('example.com:8443', 80), { host: 'example.com', port: 8443, key: 'example.com:8443' });
  assert.deepEqual(parseAuthority('example.com:', 443), { host: 'example.com', port: 443, key: 'example.com:443' });
  assert.deepEqual(parseAuthority('[::1]:9000', 80), { host: '::1', port: 9000, key: '[::1]:9000' });
  assert.deepEqual(parseAuthority('[FE80::1]', 443), { host: 'fe80::1', port: 443, key: '[fe80::1]:443' });
  assert.deepEqual(parseAuthority('127.0.0.1:1', 80), { host: '127.0.0.1', port: 1, key: '127.0.0.1:1' });
  for (const bad of ['', ':80', 'a b', 'u@host', 'host:0', 'host:65536', 'host:99999', 'host:x', '[::1', '::1', 'h/p', 'a:b:c']) {
    assert.equal(parseAuthority(bad, 80), null, bad);
  }
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
const port = fc.integer({ min: 1, max: 65535 });

test('parseAuthority: name:port and bare names parse to themselves, any case', () => {
  fc.assert(
    fc.property(hostname, port, port, fc.boolean(), (h, p, dflt, upper) => {
      const spelled = upper ? h.toUpperCase() : h;
      assert.deepEqual(parseAuthority(`${spelled}:${p}`, dflt), { host: h, port: p, key: `${h}:${p}` });
      assert.deepEqual(parseAuthority(spelled, dflt), { host: h, port: dflt, key: `${h}:${dflt}` });
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('parseAuthority: never throws; a result has a usable port, a lower-case host, and its key parses back to itself', () => {
  const chars = fc.constantFrom(...'aZ09.-_~:[]@/%?# !$&\'()*+,;=\x00\x7f\xe9f'.split(''));
  const authority = fc.oneof(fc.string(), fc.string({ unit: chars, maxLength: 24 }), fc.ipV6().map((a) => `[${a}]`), fc.ipV4());
  fc.assert(
    fc.property(authority, port, (a, dflt) => {
      const r = parseAuthority(a, dflt);
      if (r === null) return;
      assert.ok(Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535);
      assert.equal(r.host, r.host.toLowerCase());
      assert.equal(r.key, hostKey(r.host, r.port));
      assert.deepEqual(parseAuthority(r.key, dflt === 80 ? 81 : 80), r);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
