// Test: retry policy classification (HTTP and gRPC conditions, resets) and Envoy's jittered exponential backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRetryPolicy } from '../../../src/proxy/router/index.js';
import type { RetryPolicy } from '../../../src/proxy/config/types.js';
import type { CompiledRetryPolicy } from '../../../src/proxy/router/types.js';
import { retryPolicy } from './fixtures.js';

function compile(p: Partial<RetryPolicy>, random: () => number = Math.random): CompiledRetryPolicy {
  const errs: { path: string; message: string }[] = [];
  const c = compileRetryPolicy(retryPolicy(p), random, 'retry_policy', errs);
  assert.deepEqual(errs, []);
  return c;
}

const statuses = (c: CompiledRetryPolicy) => [200, 404, 409, 500, 501, 502, 503, 504, 429].filter((s) => c.retriableResponse(s, {}, undefined));
const failures = (c: CompiledRetryPolicy) =>
  (['connect-failure', 'reset', 'refused-stream', 'timeout'] as const).filter((k) => c.retriableFailure(k));

test('5xx: any 5xx status, and every reset/connect failure/timeout', () => {
  const c = compile({ retry_on: ['5xx'] });
  assert.deepEqual(statuses(c), [500, 501, 502, 503, 504]);
  assert.deepEqual(failures(c), ['connect-failure', 'reset', 'refused-stream', 'timeout']);
});

test('gateway-error: 502/503/504 and failures', () => {
  const c = compile({ retry_on: ['gateway-error'] });
  assert.deepEqual(statuses(c), [502, 503, 504]);
  assert.deepEqual(failures(c), ['connect-failure', 'reset', 'refused-stream', 'timeout']);
});

test('connect-failure, refused-stream, reset only cover their failures', () => {
  assert.deepEqual(statuses(compile({ retry_on: ['connect-failure', 'refused-stream'] })), []);
  assert.deepEqual(failures(compile({ retry_on: ['connect-failure'] })), ['connect-failure']);
  assert.deepEqual(failures(compile({ retry_on: ['refused-stream'] })), ['refused-stream']);
  assert.deepEqual(failures(compile({ retry_on: ['reset'] })), ['connect-failure', 'reset', 'refused-stream', 'timeout']);
  assert.deepEqual(failures(compile({ retry_on: ['retriable-4xx'] })), []);
});

test('retriable-4xx is 409 only; retriable-status-codes uses the list', () => {
  assert.deepEqual(statuses(compile({ retry_on: ['retriable-4xx'] })), [409]);
  assert.deepEqual(statuses(compile({ retry_on: ['retriable-status-codes'], retriable_status_codes: [404, 429] })), [404, 429]);
  // The list alone does nothing without the condition.
  assert.deepEqual(statuses(compile({ retry_on: ['5xx'], retriable_status_codes: [404] })), [500, 501, 502, 503, 504]);
});

test('retriable-headers matches response headers (and :status)', () => {
  const c = compile({
    retry_on: ['retriable-headers'],
    retriable_headers: [
      { name: 'x-upstream-retry', string_match: { kind: 'exact', value: 'yes', ignore_case: false }, invert_match: false, treat_missing_header_as_empty: false },
      { name: ':status', range_match: { start: 420, end: 430 }, invert_match: false, treat_missing_header_as_empty: false },
    ],
  });
  assert.ok(c.retriableResponse(200, { 'x-upstream-retry': 'yes' }, undefined));
  assert.ok(!c.retriableResponse(200, { 'x-upstream-retry': 'no' }, undefined));
  assert.ok(c.retriableResponse(425, {}, undefined));
  assert.ok(!c.retriableResponse(500, {}, undefined));
});

test('gRPC conditions read grpc-status (argument or header)', () => {
  const c = compile({ retry_on: ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] });
  const hit = [0, 1, 2, 4, 8, 13, 14, 16].filter((g) => c.retriableResponse(200, {}, g));
  assert.deepEqual(hit, [1, 4, 8, 13, 14]);
  assert.ok(c.retriableResponse(200, { 'grpc-status': '14' }, undefined));
  assert.ok(!c.retriableResponse(200, { 'grpc-status': '5' }, undefined));
  assert.ok(!c.retriableResponse(200, {}, undefined));
  const only = compile({ retry_on: ['unavailable'] });
  assert.ok(only.retriableResponse(200, {}, 14));
  assert.ok(!only.retriableResponse(200, {}, 13));
});

test('overloaded / rate-limited responses', () => {
  const c = compile({ retry_on: ['5xx'] });
  assert.ok(!c.retriableResponse(503, { 'x-envoy-overloaded': 'true' }, undefined));
  assert.ok(!c.retriableResponse(503, { 'x-envoy-ratelimited': 'true' }, undefined));
  assert.ok(compile({ retry_on: ['envoy-ratelimited'] }).retriableResponse(429, { 'x-envoy-ratelimited': 'true' }, undefined));
});

test('unknown conditions are compile errors', () => {
  const errs: { path: string; message: string }[] = [];
  compileRetryPolicy(retryPolicy({ retry_on: ['5xx', 'bogus'] }), Math.random, 'r', errs);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.path, 'r.retry_on');
});

test('backoff: full jitter over [0, (2^n-1)·25ms) capped at 250ms by default', () => {
  const hi = compile({ retry_on: ['5xx'] }, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5, 10].map((n) => hi.backoff(n)), [24, 74, 174, 249, 249, 249]);
  const lo = compile({ retry_on: ['5xx'] }, () => 0);
  assert.equal(lo.backoff(3), 0);
  const custom = compile({ retry_on: ['5xx'], retry_back_off: { base_interval: 100, max_interval: 1000 } }, () => 0.5);
  assert.deepEqual([1, 2, 3, 4].map((n) => custom.backoff(n)), [50, 150, 350, 500]);
});
