// HTTP filters (Lua): reading host-function arguments (with Lua's "bad argument" errors), the userdata that stand for
// host objects, and JSON-like values (metadata) and header tables converted between Lua and JS, with bounded depth.
import type { HeaderMap } from '../../../../router/types.js';
import { LUA_TBOOLEAN, LUA_TNIL, LUA_TNONE, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, TYPE_NAMES, type Ptr } from './module.js';
import { LuaScriptError, type LuaVm } from './vm.js';
import { setKey } from '../../../../../common/set-key.js';

/** Deepest table nesting converted either way (metadata is small; this also bounds the host's recursion). */
const MAX_DEPTH = 16;
/** Most entries read out of one Lua table tree. */
const MAX_ENTRIES = 10_000;

function typeName(vm: LuaVm, L: Ptr, i: number): string {
  const t = vm.type(L, i);
  return t === LUA_TNONE ? 'no value' : TYPE_NAMES[t];
}

/** Argument `i` of the Lua call (1 is self); errors are numbered as the script sees them (self not counted). */
export function argError(fname: string, i: number, msg: string): LuaScriptError {
  return new LuaScriptError(`bad argument #${i - 1} to '${fname}' (${msg})`);
}

export function checkString(vm: LuaVm, L: Ptr, i: number, fname: string): string {
  const t = vm.type(L, i);
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) throw argError(fname, i, `string expected, got ${typeName(vm, L, i)}`);
  return vm.readLatin1(L, i) ?? '';
}

/** A string argument decoded as UTF-8 (log messages); `shown` is the number the script's error names. */
export function checkUtf8(vm: LuaVm, L: Ptr, i: number, fname: string, shown = i - 1): string {
  const t = vm.type(L, i);
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) throw argError(fname, shown + 1, `string expected, got ${typeName(vm, L, i)}`);
  return vm.readUtf8(L, i) ?? '';
}

export function checkBytes(vm: LuaVm, L: Ptr, i: number, fname: string): Buffer {
  const t = vm.type(L, i);
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) throw argError(fname, i, `string expected, got ${typeName(vm, L, i)}`);
  return vm.readBytes(L, i) ?? Buffer.alloc(0);
}

export function optBytes(vm: LuaVm, L: Ptr, i: number, fname: string): Buffer | undefined {
  return vm.isNoneOrNil(L, i) ? undefined : checkBytes(vm, L, i, fname);
}

export function optString(vm: LuaVm, L: Ptr, i: number, fname: string): string | undefined {
  return vm.isNoneOrNil(L, i) ? undefined : checkString(vm, L, i, fname);
}

export function checkNumber(vm: LuaVm, L: Ptr, i: number, fname: string): number {
  const n = vm.type(L, i) === LUA_TNUMBER || vm.type(L, i) === LUA_TSTRING ? vm.readNumber(L, i) : undefined;
  if (n === undefined) throw argError(fname, i, `number expected, got ${typeName(vm, L, i)}`);
  return n;
}

export function checkInteger(vm: LuaVm, L: Ptr, i: number, fname: string): number {
  const n = vm.type(L, i) === LUA_TNUMBER || vm.type(L, i) === LUA_TSTRING ? vm.readNumber(L, i) : undefined;
  if (n === undefined) throw argError(fname, i, `number expected, got ${typeName(vm, L, i)}`);
  if (!Number.isInteger(n)) throw argError(fname, i, 'number has no integer representation');
  return n;
}

export function optBoolean(vm: LuaVm, L: Ptr, i: number, fname: string): boolean | undefined {
  const t = vm.type(L, i);
  if (t === LUA_TNONE || t === LUA_TNIL) return undefined;
  if (t !== LUA_TBOOLEAN) throw argError(fname, i, `boolean expected, got ${typeName(vm, L, i)}`);
  return vm.m._lua_toboolean(L, i) !== 0;
}

export function checkTable(vm: LuaVm, L: Ptr, i: number, fname: string): void {
  if (vm.type(L, i) !== LUA_TTABLE) throw argError(fname, i, `table expected, got ${typeName(vm, L, i)}`);
}

/** A host object as Lua sees it: a userdata of metatable `mt` holding (handle id, which part of it). */
export function pushObject(vm: LuaVm, L: Ptr, mt: string, id: number, aux: number): void {
  const p = vm.m._lua_newuserdatauv(L, 8, 0);
  const heap = vm.m.HEAP32;
  heap[p >> 2] = id;
  heap[(p >> 2) + 1] = aux;
  vm.m._luaL_setmetatable(L, vm.cstr(mt));
}

/** Reads self (argument 1) of a method on host objects of metatable `mt`: its (handle id, part). */
export function selfObject(vm: LuaVm, L: Ptr, mt: string, fname: string): { id: number; aux: number } {
  const p = vm.m._luaL_testudata(L, 1, vm.cstr(mt));
  if (p === 0) throw new LuaScriptError(`calling '${fname}' on bad self (${mt} expected, got ${typeName(vm, L, 1)})`);
  const heap = vm.m.HEAP32;
  return { id: heap[p >> 2], aux: heap[(p >> 2) + 1] };
}

/** Pushes a JSON-like value (metadata): objects become tables with string keys, arrays become sequences. */
export function pushJson(vm: LuaVm, L: Ptr, v: unknown, depth = 0): void {
  const m = vm.m;
  if (v === null || v === undefined) m._lua_pushnil(L);
  else if (typeof v === 'boolean') m._lua_pushboolean(L, v ? 1 : 0);
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) m._lua_pushinteger(L, BigInt(v));
    else m._lua_pushnumber(L, v);
  } else if (typeof v === 'string') vm.pushUtf8(L, v);
  else if (typeof v === 'object' && depth < MAX_DEPTH) {
    if (m._lua_checkstack(L, 4) === 0) throw new LuaScriptError('value nested too deeply');
    if (Array.isArray(v)) {
      m._lua_createtable(L, v.length, 0);
      for (let i = 0; i < v.length; i++) {
        pushJson(vm, L, v[i], depth + 1);
        m._lua_rawseti(L, -2, BigInt(i + 1));
      }
    } else {
      const entries = Object.entries(v as Record<string, unknown>);
      m._lua_createtable(L, 0, entries.length);
      for (const [k, x] of entries) {
        vm.pushUtf8(L, k);
        pushJson(vm, L, x, depth + 1);
        m._lua_rawset(L, -3);
      }
    }
  } else m._lua_pushnil(L);
}

/**
 * Reads a Lua value as JSON-like data (dynamicMetadata:set): tables whose keys are exactly 1..n become arrays,
 * other tables objects with string or number keys; functions, userdata and threads are refused.
 */
export function readJson(vm: LuaVm, L: Ptr, i: number, fname: string): unknown {
  const budget = { entries: MAX_ENTRIES };
  return readValue(vm, L, vm.m._lua_absindex(L, i), fname, 0, budget);
}

function readValue(vm: LuaVm, L: Ptr, i: number, fname: string, depth: number, budget: { entries: number }): unknown {
  const m = vm.m;
  switch (vm.type(L, i)) {
    case LUA_TNONE:
    case LUA_TNIL:
      return null;
    case LUA_TBOOLEAN:
      return m._lua_toboolean(L, i) !== 0;
    case LUA_TNUMBER:
      return vm.readNumber(L, i);
    case LUA_TSTRING:
      return vm.readUtf8(L, i);
    case LUA_TTABLE: {
      if (depth >= MAX_DEPTH) throw new LuaScriptError(`${fname}: table nested too deeply`);
      if (m._lua_checkstack(L, 4) === 0) throw new LuaScriptError(`${fname}: table nested too deeply`);
      const obj: Record<string, unknown> = {};
      const keys: (string | number)[] = [];
      m._lua_pushnil(L);
      while (m._lua_next(L, i) !== 0) {
        // Errors need no stack clean-up: the host function's frame is dropped by the Lua error they become.
        if (--budget.entries < 0) throw new LuaScriptError(`${fname}: table has too many entries`);
        const kt = vm.type(L, -2);
        let key: string | number;
        if (kt === LUA_TSTRING) key = vm.readUtf8(L, -2) ?? '';
        else if (kt === LUA_TNUMBER) key = vm.readNumber(L, -2) ?? 0; // tonumber never converts the key in place
        else throw new LuaScriptError(`${fname}: table keys must be strings or numbers, got ${typeName(vm, L, -2)}`);
        const value = readValue(vm, L, m._lua_absindex(L, -1), fname, depth + 1, budget);
        keys.push(key);
        setKey(obj, String(key), value);
        m._lua_settop(L, -2);
      }
      const n = keys.length;
      if (n > 0 && keys.every((k) => typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= n)) {
        const arr: unknown[] = new Array(n);
        for (let k = 1; k <= n; k++) arr[k - 1] = obj[String(k)];
        return arr;
      }
      return obj;
    }
    default:
      throw new LuaScriptError(`${fname}: cannot store a ${typeName(vm, L, i)} value`);
  }
}

/**
 * Reads a header table (httpCall, respond): keys are names (lower-cased), values strings or lists of strings.
 * Numbers are accepted as values, as Lua converts them.
 */
export function readHeaderTable(vm: LuaVm, L: Ptr, i: number, fname: string): HeaderMap {
  const m = vm.m;
  const t = m._lua_absindex(L, i);
  const out: HeaderMap = {};
  let count = 0;
  const add = (k: string, v: string): void => {
    const cur = out[k];
    out[k] = cur === undefined ? v : typeof cur === 'string' ? [cur, v] : [...cur, v];
  };
  const value = (idx: number): string => {
    const vt = vm.type(L, idx);
    if (vt !== LUA_TSTRING && vt !== LUA_TNUMBER) throw new LuaScriptError(`${fname}: header values must be strings, got ${typeName(vm, L, idx)}`);
    return vm.readLatin1(L, idx) ?? '';
  };
  m._lua_pushnil(L);
  while (m._lua_next(L, t) !== 0) {
    if (++count > MAX_ENTRIES) throw new LuaScriptError(`${fname}: too many headers`);
    if (vm.type(L, -2) !== LUA_TSTRING) throw new LuaScriptError(`${fname}: header names must be strings, got ${typeName(vm, L, -2)}`);
    const k = (vm.readLatin1(L, -2) ?? '').toLowerCase();
    if (vm.type(L, -1) === LUA_TTABLE) {
      const inner = m._lua_absindex(L, -1);
      m._lua_pushnil(L);
      while (m._lua_next(L, inner) !== 0) {
        if (++count > MAX_ENTRIES) throw new LuaScriptError(`${fname}: too many headers`);
        add(k, value(-1));
        m._lua_settop(L, -2);
      }
    } else add(k, value(-1));
    m._lua_settop(L, -2);
  }
  return out;
}

/** Pushes a sequence of strings {s1, s2, ...}. */
export function pushStringList(vm: LuaVm, L: Ptr, items: readonly string[]): void {
  const m = vm.m;
  m._lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    vm.pushLatin1(L, items[i]);
    m._lua_rawseti(L, -2, BigInt(i + 1));
  }
}
