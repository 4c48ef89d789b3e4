// Proxy rate limiting: the token bucket starts full, refills per interval up to its maximum, and reports what is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/proxy/ratelimit/token-bucket.js';

test('token bucket: full at start, refills tokens_per_fill per interval, never above max', () => {
  let now = 1000;
  const b = new TokenBucket({ max_tokens: 3, tokens_per_fill: 2, fill_interval: 100 }, () => now);
  assert.equal(b.consume(), true);
  assert.equal(b.consume(), true);
  assert.equal(b.consume(), true);
  assert.equal(b.consume(), false);
  now += 99;
  assert.equal(b.consume(), false, 'no refill before the interval');
  assert.equal(b.msUntilFill(), 1);
  now += 1;
  assert.equal(b.remaining(), 2);
  now += 1000;
  assert.equal(b.remaining(), 3, 'capped at max_tokens');
  assert.equal(b.consume(3), true);
  assert.equal(b.remaining(), 0);
});

test('token bucket: partial intervals carry over (fills are counted from the last fill, not the last use)', () => {
  let now = 0;
  const b = new TokenBucket({ max_tokens: 1, tokens_per_fill: 1, fill_interval: 100 }, () => now);
  assert.equal(b.consume(), true);
  now = 150;
  assert.equal(b.consume(), true);
  now = 199;
  assert.equal(b.consume(), false);
  now = 200;
  assert.equal(b.consume(), true);
});
