// Proxy HTTP: CorsPolicy filter_enabled / shadow_enabled — validation, and the enforce / shadow / off choice with runtime overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCorsPolicy } from '../../../../src/proxy/http/filters/cors/config.js';
import { corsMode } from '../../../../src/proxy/http/filters/cors/enablement.js';
import { Ctx } from '../../../../src/proxy/config/reader.js';
import type { CorsPolicy } from '../../../../src/proxy/config/types.js';
import { RuntimeSnapshot, type RuntimeSource } from '../../../../src/proxy/runtime-config/snapshot.js';
import { parseEntry } from '../../../../src/proxy/runtime-config/entry.js';

function policy(raw: object): { p?: CorsPolicy; errors: string[] } {
  const ctx = new Ctx(undefined);
  const p = validateCorsPolicy(ctx, { allow_origin_string_match: [{ exact: 'https://a.example' }], ...raw }, 'p');
  return { p, errors: ctx.errors.map((e) => `${e.path}: ${e.message}`) };
}

function runtimeOf(values: Record<string, string>): RuntimeSource {
  const snap = new RuntimeSnapshot([{ name: 't', values: new Map(Object.entries(values).map(([k, v]) => [k, parseEntry(v)])) }]);
  return { snapshot: () => snap };
}

/** A random source that returns the given draws in turn. */
function draws(...xs: number[]): () => number {
  let i = 0;
  return () => xs[i++ % xs.length]!;
}

test('filter_enabled / shadow_enabled validate as RuntimeFractionalPercent', () => {
  const { p, errors } = policy({
    filter_enabled: { default_value: { numerator: 25, denominator: 'HUNDRED' }, runtime_key: 'cors.www.enabled' },
    shadow_enabled: { default_value: { numerator: 100 } },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(p?.filter_enabled, { fraction: 0.25, runtime_key: 'cors.www.enabled' });
  assert.deepEqual(p?.shadow_enabled, { fraction: 1 });
  const bad = policy({ filter_enabled: { runtime_key: 'x' } });
  assert.ok(bad.errors.some((e) => e.startsWith('p.filter_enabled.default_value: ')), bad.errors.join('; '));
});

test('no filter_enabled: always enforced', () => {
  assert.equal(corsMode(policy({}).p!, undefined, () => 0.99), 'enforce');
});

test('filter_enabled draws against its share; a request left out is shadowed when shadow_enabled draws in', () => {
  const p = policy({ filter_enabled: { default_value: { numerator: 30 } }, shadow_enabled: { default_value: { numerator: 50 } } }).p!;
  assert.equal(corsMode(p, undefined, draws(0.29)), 'enforce');
  assert.equal(corsMode(p, undefined, draws(0.3, 0.49)), 'shadow');
  assert.equal(corsMode(p, undefined, draws(0.3, 0.5)), 'off');
  const noShadow = policy({ filter_enabled: { default_value: { numerator: 0 } } }).p!;
  assert.equal(corsMode(noShadow, undefined, () => 0), 'off');
});

test('runtime keys override the default shares (integer percent or FractionalPercent)', () => {
  const p = policy({
    filter_enabled: { default_value: { numerator: 100 }, runtime_key: 'cors.enabled' },
    shadow_enabled: { default_value: { numerator: 0 }, runtime_key: 'cors.shadow' },
  }).p!;
  assert.equal(corsMode(p, runtimeOf({}), draws(0.5)), 'enforce');
  assert.equal(corsMode(p, runtimeOf({ 'cors.enabled': '0', 'cors.shadow': '100' }), draws(0.5, 0.5)), 'shadow');
  assert.equal(corsMode(p, runtimeOf({ 'cors.enabled': '0' }), draws(0, 0)), 'off');
});
