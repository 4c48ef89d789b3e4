// Proxy HTTP filters: local_ratelimit's limiter — default and descriptor buckets, strictest-first consumption,
// always_consume_default_token_bucket, and refills over (fake) time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalRateLimiter } from '../../../../../src/proxy/http/filters/local_ratelimit/limiter.js';
import type { Descriptor } from '../../../../../src/proxy/router/rate-limit.js';

const d = (...kv: [string, string][]): Descriptor => kv.map(([key, value]) => ({ key, value }));
const bucket = (max: number, perFill: number, ms: number) => ({ max_tokens: max, tokens_per_fill: perFill, fill_interval: ms });

test('limiter: the default bucket alone; it refills tokens_per_fill every fill_interval up to max_tokens', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const l = new LocalRateLimiter(bucket(2, 1, 1000), [], true);
  assert.deepEqual([l.requestAllowed([]).allowed, l.requestAllowed([]).allowed, l.requestAllowed([]).allowed], [true, true, false]);
  t.mock.timers.tick(999);
  assert.equal(l.requestAllowed([]).allowed, false);
  t.mock.timers.tick(1);
  assert.equal(l.requestAllowed([]).allowed, true);
  assert.equal(l.requestAllowed([]).allowed, false);
  t.mock.timers.tick(10_000); // refills stop at max_tokens
  assert.deepEqual([l.requestAllowed([]).allowed, l.requestAllowed([]).allowed, l.requestAllowed([]).allowed], [true, true, false]);
});

test('limiter: no default bucket means no default limit; an unmatched descriptor is not limited', () => {
  const l = new LocalRateLimiter(undefined, [{ entries: d(['k', 'v']), token_bucket: bucket(1, 1, 60_000) }], true);
  for (let i = 0; i < 5; i++) assert.equal(l.requestAllowed([d(['k', 'other'])]).allowed, true);
  assert.equal(l.requestAllowed([d(['k', 'v'])]).allowed, true);
  assert.equal(l.requestAllowed([d(['k', 'v'])]).allowed, false);
});

test('limiter: descriptors match whole and in order; each matched bucket gives a token, then the default one', () => {
  const l = new LocalRateLimiter(bucket(3, 1, 1000), [{ entries: d(['a', '1'], ['b', '2']), token_bucket: bucket(5, 1, 1000) }], true);
  const r = l.requestAllowed([d(['b', '2'], ['a', '1'])]); // order matters: no match, default only
  assert.equal(r.allowed, true);
  assert.equal(r.bucket?.config.max_tokens, 3);
  const m = l.requestAllowed([d(['a', '1'], ['b', '2'])]);
  assert.equal(m.bucket?.config.max_tokens, 5, 'headers describe the matched descriptor');
  l.requestAllowed([d(['a', '1'], ['b', '2'])]);
  const refused = l.requestAllowed([d(['a', '1'], ['b', '2'])]);
  assert.equal(refused.allowed, false);
  assert.equal(refused.bucket?.config.max_tokens, 3, 'the default bucket refused');
});

test('limiter: always_consume_default_token_bucket false keeps the default bucket for requests no descriptor matched', () => {
  const l = new LocalRateLimiter(bucket(1, 1, 1000), [{ entries: d(['user', 'alice']), token_bucket: bucket(3, 1, 1000) }], false);
  assert.equal(l.requestAllowed([d(['user', 'alice'])]).allowed, true);
  assert.equal(l.requestAllowed([d(['user', 'alice'])]).allowed, true);
  assert.equal(l.requestAllowed([]).allowed, true);
  assert.equal(l.requestAllowed([]).allowed, false);
  assert.equal(l.requestAllowed([d(['user', 'alice'])]).allowed, true, 'alice is not charged to the spent default bucket');
});

test('limiter: several matched descriptors are consumed strictest first; the one that refuses stops the rest', () => {
  const strict = { entries: d(['k', 'strict']), token_bucket: bucket(1, 1, 60_000) };
  const loose = { entries: d(['k', 'loose']), token_bucket: bucket(10, 10, 1000) };
  const l = new LocalRateLimiter(undefined, [loose, strict], true);
  const req = [d(['k', 'loose']), d(['k', 'strict']), d(['k', 'strict'])];
  const first = l.requestAllowed(req);
  assert.equal(first.allowed, true);
  assert.equal(first.bucket?.config.max_tokens, 1, 'the strictest matched bucket');
  const second = l.requestAllowed(req);
  assert.equal(second.allowed, false);
  assert.equal(second.bucket?.config.max_tokens, 1);
  // the loose bucket gave one token only (the refused request did not reach it; the duplicate descriptor counted once)
  assert.equal(l.requestAllowed([d(['k', 'loose'])]).bucket?.remaining(), 8);
});
