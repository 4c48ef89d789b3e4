// Proxy HTTP (Lua VM): the sandbox (no files, processes, native code, bytecode or __gc), run limits that pcall cannot
// dodge, the memory cap, and values crossing between JS and Lua byte-exactly (fast-check round trips).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadLuaModule, type LuaModule } from '../../../../../src/proxy/http/filters/lua/vm/module.js';
import { LuaVm } from '../../../../../src/proxy/http/filters/lua/vm/vm.js';
import { LuaScript } from '../../../../../src/proxy/http/filters/lua/script.js';
import { pushJson, readHeaderTable, readJson } from '../../../../../src/proxy/http/filters/lua/vm/values.js';
import '../../../../../src/proxy/http/filters/lua/prims/handle.js';
import '../../../../../src/proxy/http/filters/lua/prims/objects.js';

let m: LuaModule;
before(async () => {
  m = await loadLuaModule();
});

/** Runs `code` at the top level of a fresh script state; returns the error, if any. */
function run(code: string): string | undefined {
  const s = new LuaScript({ label: 't', code });
  const err = s.build(m);
  s.close();
  return err;
}

test('lua sandbox: no io, no process exit, no files, no native modules, no bytecode, no __gc, no hooks', () => {
  assert.equal(run(`assert(io == nil and dofile == nil and loadfile == nil)
    assert(os.exit == nil and os.execute == nil and os.getenv == nil and os.remove == nil and type(os.time()) == "number")
    assert(debug.sethook == nil and debug.getregistry == nil and debug.setmetatable == nil and type(debug.traceback) == "function")
    assert(package.loadlib == nil and package.loaded.io == nil)
    assert(not pcall(require, "io"))
    assert(getmetatable("").__index == string)`), undefined);
  assert.match(run('load(string.dump(function() return 1 end))()') ?? '', /attempt to load a binary chunk|attempt to call a nil value/);
  assert.match(run('setmetatable({}, {__gc = function() while true do end end})') ?? '', /__gc metamethods are not supported/);
  assert.equal(run('assert(load("return 1 + 1")() == 2); assert(loadstring("return 3")() == 3)'), undefined);
});

test('lua limits: the instruction budget stops loops a pcall would otherwise keep alive; the time bound stops slow runs', () => {
  const vm = new LuaVm(m, { instructions: 100_000, wallMs: 60_000 });
  const loop = (code: string): string | undefined => {
    assert.equal(vm.load(Buffer.from(code), '=t'), undefined);
    return vm.call(0);
  };
  assert.equal(loop('for i = 1, 1000 do end'), undefined);
  assert.match(loop('while true do end') ?? '', /exceeded its budget of 100000 instructions/);
  assert.match(loop('while true do pcall(function() while true do end end) end') ?? '', /exceeded its budget/);
  assert.match(loop('local ok = true while ok do ok = not pcall(error, "x") or true end') ?? '', /exceeded its budget/);
  assert.equal(loop('for i = 1, 1000 do end'), undefined, 'the state runs again after a kill');
  const slow = new LuaVm(m, { instructions: 1e12, wallMs: 20 });
  assert.equal(slow.load(Buffer.from('while true do end'), '=t'), undefined);
  assert.match(slow.call(0) ?? '', /ran for more than 20 ms/);
  vm.close();
  slow.close();
});

test('lua limits: a state past its memory cap gets "not enough memory" and frees what it let go', () => {
  const vm = new LuaVm(m, undefined, 4 * 1024 * 1024);
  assert.equal(vm.load(Buffer.from('big = string.rep("x", 8 * 1024 * 1024)'), '=t'), undefined);
  assert.equal(vm.call(0), 'not enough memory');
  assert.ok(vm.memoryUsed < 1024 * 1024, `used ${vm.memoryUsed}`);
  assert.equal(vm.load(Buffer.from('t = {} for i = 1, 1000 do t[i] = i end'), '=t'), undefined);
  assert.equal(vm.call(0), undefined);
  vm.close();
});

test('lua values: bytes and latin1 strings cross unchanged (property)', () => {
  const vm = new LuaVm(m);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 100 }), (bytes, s) => {
      vm.pushBytes(vm.L, bytes);
      assert.deepEqual(new Uint8Array(vm.readBytes(vm.L, -1)!), bytes);
      vm.pushLatin1(vm.L, s);
      assert.equal(vm.readLatin1(vm.L, -1), s);
      vm.m._lua_settop(vm.L, 0);
    }),
  );
  vm.close();
});

/** JSON without nulls or empty containers: exactly what round-trips (Lua has no null, and {} is both [] and {}). */
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), tie('array'), tie('object')),
  array: fc.array(tie('value'), { minLength: 1, maxLength: 4 }),
  object: fc.dictionary(fc.string().filter((k) => !/^[0-9]+$/.test(k)), tie('value'), { minKeys: 1, maxKeys: 4 }),
})).value;

test('lua values: metadata (JSON) converts to Lua tables and back unchanged (property)', () => {
  const vm = new LuaVm(m);
  fc.assert(
    fc.property(json, (v) => {
      pushJson(vm, vm.L, v);
      const back = readJson(vm, vm.L, -1, 'set');
      vm.m._lua_settop(vm.L, 0);
      assert.deepEqual(back, JSON.parse(JSON.stringify(v)));
    }),
  );
  vm.close();
});

test('lua values: a "__proto__" key stays an own key, never a prototype', () => {
  const vm = new LuaVm(m);
  pushJson(vm, vm.L, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
  const back = readJson(vm, vm.L, -1, 'set') as Record<string, unknown>;
  vm.close();
  assert.ok(Object.prototype.hasOwnProperty.call(back, '__proto__'));
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.equal((back as { polluted?: boolean }).polluted, undefined);
});

test('lua values: header tables — names lower-cased, lists become repeated values (property)', () => {
  const vm = new LuaVm(m);
  const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,8}$/);
  const value = fc.string({ maxLength: 12 });
  fc.assert(
    fc.property(fc.dictionary(name, fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })), { maxKeys: 6 }), (table) => {
      const lower = new Map<string, string[]>();
      for (const [k, v] of Object.entries(table)) lower.set(k.toLowerCase(), [...(lower.get(k.toLowerCase()) ?? []), ...(typeof v === 'string' ? [v] : v)]);
      pushJson(vm, vm.L, table);
      const got = readHeaderTable(vm, vm.L, -1, 'respond');
      vm.m._lua_settop(vm.L, 0);
      for (const [k, vals] of lower) {
        const g = got[k];
        assert.deepEqual(typeof g === 'string' ? [g] : [...(g ?? [])].sort(), vals.length === 1 ? vals : [...vals].sort());
      }
      assert.equal(Object.keys(got).length, lower.size);
    }),
  );
  vm.close();
});
