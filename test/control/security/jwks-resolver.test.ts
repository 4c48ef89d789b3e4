// Control plane: the JWKS resolver — first fetch, retries with backoff, refresh keeping the last good copy, dropped keys,
// OpenID discovery (timers faked), and the real fetch's timeout and size bound against a local server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksResolver, fetchText, type FetchText } from '../../../src/control/security/jwks-resolver.js';
import type { RequestAuthentication } from '../../../src/api/types.js';

const JWKS_A = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'a', x: 'DNrtxd_2I34rH9qWjTZCVlVQ3qa0rq-Ti3tdVwhQI7Y', y: 'i_FB--6XEjMGhKVW2pxhO9M8xzzwmTLCzf-fT_UeYJ8' }] });
const JWKS_B = JWKS_A.replace('"kid":"a"', '"kid":"b"');

function ra(rules: RequestAuthentication['spec']['jwtRules']): RequestAuthentication {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'r', namespace: 'foo' }, spec: { jwtRules: rules } };
}

/** A fetchText whose answers the test gives, one per call. */
function scripted(): { fn: FetchText; calls: string[]; answer: (v: string | Error) => Promise<void> } {
  const calls: string[] = [];
  const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  return {
    calls,
    fn: (url) => {
      calls.push(url);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    answer: async (v) => {
      const p = pending.shift();
      assert.ok(p !== undefined, 'no fetch is waiting');
      if (v instanceof Error) p.reject(v);
      else p.resolve(v);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

test('a new jwksUri is fetched once, reported through onChange, refreshed, retried with backoff, and the last good copy kept', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const f = scripted();
  const r = new JwksResolver({ fetchText: f.fn, refreshMs: 60_000, retryMs: 1000, maxRetryMs: 4000 });
  let changes = 0;
  r.onChange(() => changes++);
  const policies = [ra([{ issuer: 'i', jwksUri: 'https://idp/jwks' }])];
  assert.equal(r.resolve(policies).size, 0, 'nothing known yet');
  r.resolve(policies);
  assert.deepEqual(f.calls, ['https://idp/jwks'], 'one fetch however often resolve() runs');
  await f.answer(JWKS_A);
  assert.equal(changes, 1);
  assert.equal(r.resolve(policies).get('https://idp/jwks'), JWKS_A);
  // refresh: same document, no change reported
  t.mock.timers.tick(60_000);
  await f.answer(JWKS_A);
  assert.equal(changes, 1);
  // refresh fails: keep the copy, retry after 1s, then 2s, then 4s (capped)
  t.mock.timers.tick(60_000);
  await f.answer(new Error('HTTP 503'));
  assert.equal(r.resolve(policies).get('https://idp/jwks'), JWKS_A);
  t.mock.timers.tick(999);
  assert.equal(f.calls.length, 3);
  t.mock.timers.tick(1);
  await f.answer(new Error('timeout'));
  t.mock.timers.tick(2000);
  await f.answer(new Error('timeout'));
  t.mock.timers.tick(4000);
  await f.answer('{"keys": "nope"}');
  t.mock.timers.tick(4000);
  await f.answer(JWKS_B);
  assert.equal(changes, 2, 'a new key set is a change');
  assert.equal(r.resolve(policies).get('https://idp/jwks'), JWKS_B);
  // no policy names it any more: its timer is gone
  r.resolve([]);
  const before = f.calls.length;
  t.mock.timers.tick(10 * 60_000);
  assert.equal(f.calls.length, before);
  r.close();
});

test('without jwksUri or jwks the issuer is discovered (OpenID configuration); inline jwks are not fetched', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const f = scripted();
  const r = new JwksResolver({ fetchText: f.fn });
  r.resolve([ra([{ issuer: 'https://accounts.example/' }, { issuer: 'x', jwks: JWKS_A }, { issuer: 'not-a-url' }])]);
  assert.deepEqual(f.calls, ['https://accounts.example/.well-known/openid-configuration']);
  await f.answer(JSON.stringify({ jwks_uri: 'https://accounts.example/certs' }));
  assert.deepEqual(f.calls.slice(1), ['https://accounts.example/certs']);
  await f.answer(JWKS_A);
  assert.equal(r.resolve([ra([{ issuer: 'https://accounts.example/' }])]).get('oidc:https://accounts.example/'), JWKS_A);
  r.close();
});

test('the real fetch: a body over the bound and a slow server are both refused', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') res.end('x'.repeat(5000));
    else if (req.url === '/slow') setTimeout(() => res.end(JWKS_A), 2000).unref();
    else if (req.url === '/missing') (res.statusCode = 404), res.end();
    else res.end(JWKS_A);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal(await fetchText(`${base}/ok`, { timeoutMs: 1000, maxBytes: 4096 }), JWKS_A);
    await assert.rejects(fetchText(`${base}/big`, { timeoutMs: 1000, maxBytes: 4096 }), /larger than 4096 bytes/);
    await assert.rejects(fetchText(`${base}/slow`, { timeoutMs: 100, maxBytes: 4096 }), /abort|timeout/i);
    await assert.rejects(fetchText(`${base}/missing`, { timeoutMs: 1000, maxBytes: 4096 }), /HTTP 404/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

