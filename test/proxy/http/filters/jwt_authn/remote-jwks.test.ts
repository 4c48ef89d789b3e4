// Proxy HTTP: jwt_authn remote JWKS — shared fetch, caching, failures, retries and async_fetch (fake timers), the token cache.
import { before, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCluster, Harness, expectContinue, expectReply, jwksOf, makeKey, ok, sign, type TestKey } from './helpers.js';
import { RemoteKeySource, MAX_JWKS_BYTES } from '../../../../../src/proxy/http/filters/jwt_authn/key-source.js';
import { FakeStats } from '../../../upstream/fake-stats.js';
import { JwtAuthnFilter } from '../../../../../src/proxy/http/filters/jwt_authn/filter.js';
import type { FilterCallbacks } from '../../../../../src/proxy/http/filter/api.js';

let key: TestKey;
let rotated: TestKey;
before(async () => {
  key = await makeKey('ES256', 'k1');
  rotated = await makeKey('ES256', 'k2');
});

function remoteConfig(extra: Record<string, unknown> = {}, provider: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: {
      p: {
        issuer: 'https://issuer.example',
        remote_jwks: { http_uri: { uri: 'https://idp.example:8443/keys?v=1', cluster: 'idp', timeout: '2s' }, cache_duration: '300s', ...extra },
        ...provider,
      },
    },
    rules: [{ match: { prefix: '/' }, requires: { provider_name: 'p' } }],
  };
}

const bearer = async (k: TestKey): Promise<Record<string, string>> => ({ authorization: `Bearer ${await sign(k, { iss: 'https://issuer.example' })}` });

test('remote jwks: concurrent requests wait on one GET through the cluster, then the set is cached for cache_duration', async () => {
  const cluster = new FakeCluster(ok(jwksOf(key)));
  cluster.hold = true;
  const h = new Harness(remoteConfig(), cluster);
  const pending = [h.run({ headers: await bearer(key) }), h.run({ headers: await bearer(key) }), h.run({ headers: await bearer(key) })];
  await new Promise((r) => setImmediate(r));
  assert.equal(cluster.calls.length, 1);
  const c = cluster.calls[0]!;
  assert.deepEqual([c.cluster, c.req.method, c.req.path, c.req.authority], ['idp', 'GET', '/keys?v=1', 'idp.example:8443']);
  assert.deepEqual([c.opts.timeoutMs, c.opts.maxResponseBytes], [2000, MAX_JWKS_BYTES]);
  cluster.release();
  for (const r of await Promise.all(pending)) expectContinue(r);
  expectContinue(await h.run({ headers: await bearer(key) }));
  assert.equal(cluster.calls.length, 1);
  assert.equal(h.stat('jwks_fetch_success'), 1);
  // still cached just before expiry; fetched again after it, picking up the rotated key
  h.nowMs += 299_000;
  expectReply(await h.run({ headers: await bearer(rotated) }), 401, "Jwks doesn't have key to match kid or alg from Jwt");
  cluster.hold = false;
  cluster.reply = ok(jwksOf(rotated));
  h.nowMs += 2_000;
  expectContinue(await h.run({ headers: await bearer(rotated) }));
  assert.equal(cluster.calls.length, 2);
});

test('remote jwks: a failed fetch (error, non-200, bad body) is 401 "Jwks remote fetch is failed" and counted; the next request tries again', async () => {
  const cluster = new FakeCluster(() => ({ err: 'connect-failure' }));
  const h = new Harness(remoteConfig(), cluster);
  const r = expectReply(await h.run({ headers: await bearer(key) }), 401, 'Jwks remote fetch is failed');
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="http://api.example.com/", error="invalid_token"');
  cluster.reply = () => ({ err: null, res: { status: 503, headers: {}, body: Buffer.from(jwksOf(key)), trailers: undefined } });
  expectReply(await h.run({ headers: await bearer(key) }), 401, 'Jwks remote fetch is failed');
  cluster.reply = ok('{"keys":[]}');
  expectReply(await h.run({ headers: await bearer(key) }), 401, 'Jwks remote fetch is failed');
  cluster.reply = () => ({ err: 'too-large' });
  expectReply(await h.run({ headers: await bearer(key) }), 401, 'Jwks remote fetch is failed');
  assert.equal(h.stat('jwks_fetch_failed'), 4);
  cluster.reply = ok(jwksOf(key));
  expectContinue(await h.run({ headers: await bearer(key) }));
  assert.equal(h.stat('jwks_fetch_success'), 1);
  assert.equal(cluster.calls.length, 5);
  // no token: nothing is fetched
  expectReply(await h.run({}), 401, 'Jwt is missing');
  assert.equal(cluster.calls.length, 5);
});

test('remote jwks: with jwt_cache_config a verified token is served from the cache without the key set', async () => {
  const cluster = new FakeCluster(ok(jwksOf(key)));
  const h = new Harness(remoteConfig({}, { jwt_cache_config: { jwt_cache_size: 10 } }), cluster);
  const headers = await bearer(key);
  expectContinue(await h.run({ headers }));
  cluster.reply = () => ({ err: 'connect-failure' });
  h.nowMs += 400_000; // the key set expired and cannot be fetched; the token is still within its exp
  expectContinue(await h.run({ headers }));
  assert.equal(cluster.calls.length, 1);
  expectReply(await h.run({ headers: await bearer(key) }), 401, 'Jwks remote fetch is failed'); // a new token needs the keys
});

test('remote jwks: a stream destroyed while waiting for the fetch is neither continued nor answered; the fetch still fills the cache', async () => {
  const cluster = new FakeCluster(ok(jwksOf(key)));
  cluster.hold = true;
  const h = new Harness(remoteConfig(), cluster);
  const events: string[] = [];
  const cb = {
    perRouteConfig: () => undefined,
    continueDecoding: () => events.push('continue'),
    sendLocalReply: () => events.push('reply'),
    setDynamicMetadata: () => events.push('metadata'),
    clearRouteCache: () => events.push('clear'),
  } as unknown as FilterCallbacks;
  const f = new JwtAuthnFilter(h.shared, cb);
  assert.equal(f.decodeHeaders({ authority: 'a', path: '/', method: 'GET', scheme: 'http', headers: await bearer(key) }), 'stop');
  f.onDestroy();
  const later = h.run({ headers: await bearer(key) }); // waits on the same fetch, verifies after the destroyed one
  cluster.release();
  expectContinue(await later);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, []);
  assert.equal(cluster.calls.length, 1);
});

function source(cluster: FakeCluster, cfg: Record<string, unknown>, stats = new FakeStats()): RemoteKeySource {
  return new RemoteKeySource(
    { uri: 'http://idp/keys', cluster: 'idp', timeout_ms: 1000, cache_duration_ms: 60_000, ...cfg },
    { call: cluster.call, fetchSuccess: stats.counter('ok'), fetchFailed: stats.counter('failed'), now: Date.now, random: () => 0.5 },
  );
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

test('remote jwks (fake timers): retry_policy retries resets and 5xx after jittered backoff, up to num_retries; not 4xx', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let n = 0;
    const cluster = new FakeCluster(() => (++n < 3 ? { err: 'reset' } : ok(jwksOf(key))()));
    const stats = new FakeStats();
    const s = source(cluster, { retry: { num_retries: 2, base_ms: 1000, max_ms: 10_000 } }, stats);
    let done: unknown = 'pending';
    void (s.keys() as Promise<unknown>).then((v) => (done = v));
    await flush();
    assert.equal(cluster.calls.length, 1);
    mock.timers.tick(499); // random 0.5 of a 1000 ms window
    await flush();
    assert.equal(cluster.calls.length, 1);
    mock.timers.tick(1);
    await flush();
    assert.equal(cluster.calls.length, 2);
    mock.timers.tick(1000); // second retry: half of a 2000 ms window
    await flush();
    assert.equal(cluster.calls.length, 3);
    assert.notEqual(done, 'pending');
    assert.ok(done !== undefined);
    assert.equal(stats.get('ok'), 1);
    assert.equal(stats.get('failed'), 0);
    // out of retries: the fetch fails once and is counted once
    n = -100;
    const t = source(cluster, { retry: { num_retries: 1, base_ms: 10, max_ms: 10 } }, stats);
    let failed: unknown = 'pending';
    void (t.keys() as Promise<unknown>).then((v) => (failed = v));
    await flush();
    mock.timers.tick(5);
    await flush();
    assert.equal(failed, undefined);
    assert.equal(stats.get('failed'), 1);
    // a 4xx or an unknown cluster is not retried
    for (const reply of [() => ({ err: null, res: { status: 404, headers: {}, body: Buffer.alloc(0), trailers: undefined } }), () => ({ err: 'no-cluster' as const })]) {
      const c = new FakeCluster(reply);
      const u = source(c, { retry: { num_retries: 3, base_ms: 10, max_ms: 10 } }, stats);
      assert.equal(await u.keys(), undefined);
      assert.equal(c.calls.length, 1);
    }
  } finally {
    mock.timers.reset();
  }
});

test('remote jwks (fake timers): async_fetch fetches up front and refreshes before expiry, or soon after a failure', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
  try {
    let fail = false;
    const cluster = new FakeCluster(() => (fail ? { err: 'reset' } : ok(jwksOf(key))()));
    const s = source(cluster, { async_fetch: { fast_listener: false, failed_refetch_ms: 2000 } });
    mock.timers.tick(0);
    await flush();
    assert.equal(cluster.calls.length, 1);
    assert.ok(!(s.keys() instanceof Promise), 'keys are ready without waiting');
    mock.timers.tick(54_999); // cache 60 s, refreshed 5 s early
    await flush();
    assert.equal(cluster.calls.length, 1);
    fail = true;
    mock.timers.tick(1);
    await flush();
    assert.equal(cluster.calls.length, 2);
    assert.ok(!(s.keys() instanceof Promise), 'the old set stays in use after a failed refresh');
    fail = false;
    mock.timers.tick(2000);
    await flush();
    assert.equal(cluster.calls.length, 3);
  } finally {
    mock.timers.reset();
  }
});
