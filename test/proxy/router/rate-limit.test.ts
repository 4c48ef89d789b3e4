// Router: route and virtual-host rate_limits — validation (unimplemented actions rejected by name, paths) and the
// descriptors each compiled entry makes from a request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../src/proxy/config/reader.js';
import { validateRateLimit } from '../../../src/proxy/config/rate-limit.js';
import { CompiledRateLimit, type RateLimitRequest } from '../../../src/proxy/router/rate-limit.js';
import { validateRouteAction } from '../../../src/proxy/config/route-action.js';
import { validateVirtualHost } from '../../../src/proxy/config/route.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';

function compile(raw: object): CompiledRateLimit {
  const ctx = new Ctx(undefined);
  const p = validateRateLimit(ctx, raw, 'rl');
  assert.deepEqual(ctx.errors, []);
  const errs: { path: string; message: string }[] = [];
  const c = new CompiledRateLimit(p!, 'rl', errs);
  assert.deepEqual(errs, []);
  return c;
}

function errors(raw: object): string[] {
  const ctx = new Ctx(undefined);
  validateRateLimit(ctx, raw, 'rl');
  return ctx.errors.map((e) => `${e.path}: ${e.message}`);
}

function req(headers: HeaderMap = {}, remoteAddress = '10.0.0.7', path = '/p?q=1'): RateLimitRequest {
  return { request: { method: 'GET', path, authority: 'svc', scheme: 'http', headers }, remoteAddress };
}

test('rate_limits: request_headers reads the first value (pseudo-headers from the request line); absent voids the descriptor unless skip_if_absent', () => {
  const rl = compile({ actions: [{ request_headers: { header_name: 'X-User', descriptor_key: 'user' } }, { request_headers: { header_name: ':path', descriptor_key: 'path' } }] });
  assert.deepEqual(rl.descriptor(req({ 'x-user': ['ann', 'bob'] })), [
    { key: 'user', value: 'ann' },
    { key: 'path', value: '/p?q=1' },
  ]);
  assert.equal(rl.descriptor(req()), undefined);
  const skipping = compile({ actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user', skip_if_absent: true } }, { generic_key: { descriptor_value: 'g' } }] });
  assert.deepEqual(skipping.descriptor(req()), [{ key: 'generic_key', value: 'g' }]);
  const onlySkipped = compile({ actions: [{ request_headers: { header_name: 'x-user', descriptor_key: 'user', skip_if_absent: true } }] });
  assert.equal(onlySkipped.descriptor(req()), undefined, 'no entries: no descriptor');
});

test('rate_limits: remote_address, generic_key (default key), header_value_match (expect_match both ways)', () => {
  assert.deepEqual(compile({ actions: [{ remote_address: {} }] }).descriptor(req()), [{ key: 'remote_address', value: '10.0.0.7' }]);
  assert.deepEqual(compile({ actions: [{ generic_key: { descriptor_value: 'v', descriptor_key: 'k' } }] }).descriptor(req()), [{ key: 'k', value: 'v' }]);
  const match = compile({ actions: [{ header_value_match: { descriptor_value: 'admin', headers: [{ name: ':path', string_match: { prefix: '/admin' } }] } }] });
  assert.deepEqual(match.descriptor(req({}, '1.1.1.1', '/admin/x')), [{ key: 'header_match', value: 'admin' }]);
  assert.equal(match.descriptor(req({}, '1.1.1.1', '/public')), undefined);
  const notMatch = compile({ actions: [{ header_value_match: { descriptor_key: 'anon', descriptor_value: 'yes', expect_match: false, headers: [{ name: 'authorization', present_match: true }] } }] });
  assert.deepEqual(notMatch.descriptor(req()), [{ key: 'anon', value: 'yes' }]);
  assert.equal(notMatch.descriptor(req({ authorization: 'Bearer x' })), undefined);
});

test('rate_limits: stage and disable_key are kept for the filter to choose entries', () => {
  const rl = compile({ stage: 3, disable_key: 'off', actions: [{ generic_key: { descriptor_value: 'v' } }] });
  assert.equal(rl.stage, 3);
  assert.equal(rl.hasDisableKey, true);
});

test('rate_limits: actions trellis does not implement, and limit overrides, are rejected by name; other errors by path', () => {
  assert.deepEqual(errors({ actions: [{ destination_cluster: {} }] }), ['rl.actions[0].destination_cluster: destination_cluster is not supported by trellis', 'rl.actions[0]: one of request_headers, remote_address, generic_key, header_value_match is required']);
  assert.deepEqual(errors({ actions: [{ generic_key: { descriptor_value: 'v' } }], limit: { dynamic_metadata: {} } }), ['rl.limit: limit is not supported by trellis']);
  assert.deepEqual(errors({ actions: [] }), ['rl.actions: must list at least one action']);
  assert.deepEqual(errors({ stage: 11, actions: [{ remote_address: {} }] }), ['rl.stage: 11 is out of range; must be in 0–10']);
  assert.deepEqual(errors({ actions: [{ request_headers: { header_name: 'bad name', descriptor_key: 'k' } }] }), ['rl.actions[0].request_headers.header_name: "bad name" is not a valid header name']);
  assert.deepEqual(errors({ actions: [{ header_value_match: { descriptor_value: 'v', headers: [] } }] }), ['rl.actions[0].header_value_match.headers: must list at least one header matcher']);
});

test('rate_limits: accepted on route actions and virtual hosts (include_vh_rate_limits stays rejected by name)', () => {
  const ctx = new Ctx(undefined);
  const a = validateRouteAction(ctx, { cluster: 'c', rate_limits: [{ actions: [{ remote_address: {} }] }] }, 'route', []);
  assert.deepEqual(ctx.errors, []);
  assert.equal(a?.rate_limits?.length, 1);
  const vh = validateVirtualHost(ctx, { name: 'v', domains: ['*'], rate_limits: [{ actions: [{ remote_address: {} }] }] }, 'vh', []);
  assert.deepEqual(ctx.errors, []);
  assert.equal(vh?.rate_limits?.length, 1);
  const ctx2 = new Ctx(undefined);
  validateRouteAction(ctx2, { cluster: 'c', include_vh_rate_limits: true }, 'route', []);
  assert.deepEqual(ctx2.errors.map((e) => e.message), ['include_vh_rate_limits is not supported by trellis']);
});
