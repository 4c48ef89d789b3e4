// Tests CONNECT admission's target check: authority-form host:port only (RFC 9110 §9.3.6), with fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isConnectTarget } from '../../../src/proxy/http/connect-policy.js';

const SEED = Number(process.env.FC_SEED ?? 4242);

test('CONNECT targets: host:port, [v6]:port; no port, an empty port, userinfo, a path or a bad host are refused', () => {
  for (const ok of ['example.com:443', '127.0.0.1:8080', '[::1]:443', 'a-b.example:1']) assert.equal(isConnectTarget(ok), true, ok);
  for (const bad of ['', 'example.com', 'example.com:', '[::1]', 'u@example.com:443', 'example.com:443/x', 'a b:1', ':443', '[::1:443']) {
    assert.equal(isConnectTarget(bad), false, bad);
  }
});

test('CONNECT targets (property, seed printed): generated host:port is accepted; any string is answered without throwing', () => {
  console.log(`fast-check seed ${SEED} (rerun with FC_SEED=${SEED})`);
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
  const port = fc.integer({ min: 1, max: 65535 });
  fc.assert(fc.property(host, port, (h, p) => isConnectTarget(`${h}:${p}`)), { seed: SEED, numRuns: 300 });
  fc.assert(fc.property(host, (h) => !isConnectTarget(h)), { seed: SEED, numRuns: 300 });
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => typeof isConnectTarget(s) === 'boolean'),
    { seed: SEED, numRuns: 1000 },
  );
});
