// Proxy HTTP: Lua filter config — default/inline/named scripts from DataSources, per-route overrides, Envoy fields
// trellis rejects by name, syntax errors at validation once the Lua module is loaded, and a broken script failing set-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import { validateLua, validateLuaPerRoute } from '../../../../../src/proxy/http/filters/lua/config.js';
import { luaFilterFactory } from '../../../../../src/proxy/http/filters/lua/filter.js';
import type { LuaConfig } from '../../../../../src/proxy/http/filters/lua/types.js';
import { loadLuaModule } from '../../../../../src/proxy/http/filters/lua/vm/module.js';
import { PoolManager } from '../../../../../src/proxy/upstream/pool/pool-manager.js';
import { FakeClusterManager } from '../../../tcp/fakes.js';
import { FakeStats } from '../../../upstream/fake-stats.js';

function check(raw: object, baseDir?: string): { config: LuaConfig | undefined; errors: string[] } {
  const ctx = new Ctx(baseDir);
  const config = validateLua(ctx, raw as Record<string, unknown>, 'f');
  return { config, errors: ctx.errors.map((e) => `${e.path}: ${e.message}`) };
}

function checkRoute(raw: object): { errors: string[]; config: ReturnType<typeof validateLuaPerRoute> } {
  const ctx = new Ctx(undefined);
  const config = validateLuaPerRoute(ctx, raw as Record<string, unknown>, 'r');
  return { config, errors: ctx.errors.map((e) => `${e.path}: ${e.message}`) };
}

test('lua config: default_source_code (inline or file), the deprecated inline_code, named source_codes, defaults', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-config-'));
  fs.writeFileSync(path.join(dir, 'world.lua'), 'function envoy_on_response(h) end');
  const a = check({ default_source_code: { inline_string: 'x = 1' }, source_codes: { 'world.lua': { filename: 'world.lua' } } }, dir);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(a.config?.default_source, { label: 'default_source_code', code: 'x = 1' });
  assert.deepEqual(a.config?.source_codes['world.lua'], { label: 'source_codes["world.lua"]', code: 'function envoy_on_response(h) end' });
  assert.equal(a.config?.clear_route_cache, true);
  assert.equal(a.config?.stat_prefix, '');
  assert.deepEqual(a.config?.filter_context, {});
  const b = check({ inline_code: 'y = 2', clear_route_cache: false, stat_prefix: 'edge', filter_context: { k: 'v' } });
  assert.deepEqual(b.errors, []);
  assert.deepEqual(b.config?.default_source, { label: 'inline_code', code: 'y = 2' });
  assert.equal(b.config?.clear_route_cache, false);
  assert.deepEqual(b.config?.filter_context, { k: 'v' });
  assert.equal(check({}).config?.default_source, undefined, 'no default script: only routes that name one run Lua');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('lua config: errors with their paths — both default forms, unreadable files, fields trellis lacks, typos', () => {
  const cases: [object, RegExp][] = [
    [{ inline_code: 'a = 1', default_source_code: { inline_string: 'b = 1' } }, /^f\.default_source_code: only one of `inline_code` or `default_source_code`/m],
    [{ default_source_code: { filename: '/nonexistent/x.lua' } }, /^f\.default_source_code\.filename: cannot read/m],
    [{ source_codes: { 'a.lua': { filename: '/nonexistent/a.lua' } } }, /^f\.source_codes\["a\.lua"\]\.filename: cannot read/m],
    [{ package_paths: ['/x/?.lua'] }, /^f\.package_paths: package_paths is not supported by trellis$/m],
    [{ package_cpaths: ['/x/?.so'] }, /^f\.package_cpaths: .*not supported/m],
    [{ inline_cod: 'x' }, /^f\.inline_cod: unknown field "inline_cod"; did you mean "inline_code"\?$/m],
  ];
  for (const [raw, want] of cases) assert.match(check(raw).errors.join('\n'), want, JSON.stringify(raw));
});

test('lua per-route config: exactly one of disabled (true), name, source_code; filter_context', () => {
  assert.deepEqual(checkRoute({ disabled: true }).config, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute', disabled: true });
  assert.equal(checkRoute({ name: 'a.lua', filter_context: { t: 1 } }).config?.name, 'a.lua');
  assert.deepEqual(checkRoute({ name: 'a.lua', filter_context: { t: 1 } }).config?.filter_context, { t: 1 });
  assert.deepEqual(checkRoute({ source_code: { inline_string: 'x = 1' } }).config?.source, { label: 'LuaPerRoute source_code', code: 'x = 1' });
  assert.match(checkRoute({}).errors.join('\n'), /^r: one of disabled, name, source_code is required$/m);
  assert.match(checkRoute({ disabled: false }).errors.join('\n'), /^r\.disabled: must be true/m);
  assert.match(checkRoute({ name: '' }).errors.join('\n'), /^r\.name: must not be empty$/m);
  assert.match(checkRoute({ name: 'a', disabled: true }).errors.join('\n'), /only one of disabled, name may be set/);
});

test('lua config: once the Lua module is loaded, syntax errors are found at validation (as Envoy rejects them)', async () => {
  await loadLuaModule();
  assert.match(check({ default_source_code: { inline_string: 'function envoy_on_request(h' } }).errors.join('\n'), /^f\.default_source_code: Lua syntax error: default_source_code:1: .*expected/m);
  assert.match(check({ source_codes: { 'b.lua': { inline_string: 'end end' } } }).errors.join('\n'), /^f\.source_codes\["b\.lua"\]: Lua syntax error: source_codes\["b\.lua"\]:1:/m);
  assert.match(checkRoute({ source_code: { inline_string: 'x = = 1' } }).errors.join('\n'), /^r\.source_code: Lua syntax error:/m);
  assert.deepEqual(check({ default_source_code: { inline_string: 'function envoy_on_request(h) end' } }).errors, []);
});

test('lua filter set-up: a script whose top level fails rejects the filter; stats go under lua.<stat_prefix>', async () => {
  await loadLuaModule();
  const stats = new FakeStats();
  const ctx = { stats, clusters: new FakeClusterManager(), pools: new PoolManager(() => undefined), random: Math.random, name: 'my-lua' };
  const cfg = (code: string, over: Partial<LuaConfig> = {}): LuaConfig => ({
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
    default_source: { label: 'default_source_code', code },
    source_codes: {},
    stat_prefix: '',
    clear_route_cache: true,
    filter_context: {},
    ...over,
  });
  assert.throws(() => luaFilterFactory(cfg('error("top level")'), ctx), /lua filter my-lua: default_source_code:1: top level/);
  // the instruction budget, or the time bound first on a busy machine
  assert.throws(() => luaFilterFactory(cfg('while true do end'), ctx), /exceeded its budget of \d+ instructions|ran for more than \d+ ms/);
  luaFilterFactory(cfg('x = 1', { stat_prefix: 'edge.' }), ctx);
  assert.equal(stats.get('lua.edge.errors'), 0);
  assert.equal(stats.get('lua.edge.executions'), 0);
});
