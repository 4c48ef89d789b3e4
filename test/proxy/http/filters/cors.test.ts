// Proxy HTTP: the cors filter's decision (Envoy semantics) and the CorsPolicy validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledCorsPolicy, decideCors } from '../../../../src/proxy/http/filters/cors/filter.js';
import { validateCorsPolicy } from '../../../../src/proxy/http/filters/cors/config.js';
import { Ctx } from '../../../../src/proxy/config/reader.js';

function policy(raw: object): CompiledCorsPolicy {
  const ctx = new Ctx(undefined);
  const p = validateCorsPolicy(ctx, raw as Record<string, unknown>, 'p');
  assert.ok(p !== undefined);
  return new CompiledCorsPolicy(p);
}

const P = policy({
  allow_origin_string_match: [{ exact: 'https://a.example' }, { prefix: 'https://dev.', ignore_case: true }],
  allow_methods: 'GET,PUT',
  allow_headers: 'x-h',
  expose_headers: 'x-e',
  max_age: '60',
  allow_credentials: false,
  allow_private_network_access: true,
});

test('cors: preflight from an allowed origin is answered with the policy', () => {
  assert.deepEqual(decideCors(P, 'OPTIONS', 'https://a.example', 'PUT'), {
    kind: 'preflight',
    headers: { 'access-control-allow-origin': 'https://a.example', 'access-control-allow-methods': 'GET,PUT', 'access-control-allow-headers': 'x-h', 'access-control-max-age': '60' },
  });
});

test('cors: simple requests get allow-origin and expose-headers; OPTIONS without request-method is not a preflight', () => {
  assert.deepEqual(decideCors(P, 'GET', 'HTTPS://DEV.x', undefined), {
    kind: 'simple',
    headers: { 'access-control-allow-origin': 'HTTPS://DEV.x', 'access-control-expose-headers': 'x-e' },
  });
  assert.equal(decideCors(P, 'OPTIONS', 'https://a.example', undefined).kind, 'simple');
});

test('cors: no origin, an unmatched origin or no policy → nothing', () => {
  assert.equal(decideCors(P, 'GET', undefined, undefined).kind, 'none');
  assert.equal(decideCors(P, 'OPTIONS', 'https://b.example', 'GET').kind, 'none');
  assert.equal(decideCors(undefined, 'GET', 'https://a.example', undefined).kind, 'none');
});

test('cors: credentials header only when allow_credentials is true', () => {
  const c = policy({ allow_origin_string_match: [{ exact: 'o' }], allow_credentials: true });
  const d = decideCors(c, 'GET', 'o', undefined);
  assert.equal(d.kind === 'simple' ? d.headers['access-control-allow-credentials'] : undefined, 'true');
});

test('cors: validator rejects unknown fields', () => {
  const ctx = new Ctx(undefined);
  validateCorsPolicy(ctx, { allow_origin_string_match: [], allow_origins: 'x' }, 'p');
  assert.ok(ctx.errors.length > 0);
});

test('cors: forward_not_matching_preflights false answers an unmatched preflight locally without allow-origin (Envoy)', () => {
  const strict = policy({ allow_origin_string_match: [{ exact: 'https://a.example' }], allow_methods: 'GET', max_age: '60', forward_not_matching_preflights: false });
  assert.deepEqual(decideCors(strict, 'OPTIONS', 'https://evil.example', 'GET'), {
    kind: 'preflight',
    headers: { 'access-control-allow-methods': 'GET', 'access-control-max-age': '60' },
  });
  // only preflights: other requests from the unmatched origin still go upstream untouched
  assert.equal(decideCors(strict, 'GET', 'https://evil.example', undefined).kind, 'none');
  assert.equal(decideCors(strict, 'OPTIONS', 'https://evil.example', undefined).kind, 'none');
  assert.equal(decideCors(strict, 'OPTIONS', 'https://a.example', 'GET').kind, 'preflight');
  const explicitForward = policy({ allow_origin_string_match: [{ exact: 'https://a.example' }], forward_not_matching_preflights: true });
  assert.equal(decideCors(explicitForward, 'OPTIONS', 'https://evil.example', 'GET').kind, 'none');
});

test('cors: validator keeps forward_not_matching_preflights and type-checks it', () => {
  const ctx = new Ctx(undefined);
  const p = validateCorsPolicy(ctx, { allow_origin_string_match: [], forward_not_matching_preflights: false }, 'p');
  assert.equal(p?.forward_not_matching_preflights, false);
  const bad = new Ctx(undefined);
  validateCorsPolicy(bad, { allow_origin_string_match: [], forward_not_matching_preflights: 'no' }, 'p');
  assert.ok(bad.errors.some((e) => e.path.includes('forward_not_matching_preflights')), JSON.stringify(bad.errors));
});
