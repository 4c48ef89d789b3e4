// HTTP filters (Lua): the Lua 5.4 WebAssembly module (wasmoon's build), loaded once per process on first use only.
// Only its raw C exports are used: trellis drives lua_State itself, so bytes cross exactly and nothing is converted for it.

/** A pointer into the module's linear memory (wasm32). */
export type Ptr = number;

/** The Lua C API as exported by the emscripten module; lua_Integer is 64-bit, so integers cross as bigint. */
export interface LuaModule {
  readonly HEAPU8: Uint8Array;
  readonly HEAP32: Int32Array;
  readonly HEAPU32: Uint32Array;
  addFunction(fn: (...args: number[]) => number | void, sig: string): number;
  removeFunction(fn: number): void;
  _malloc(n: number): Ptr;
  _free(p: Ptr): void;
  _realloc(p: Ptr, n: number): Ptr;
  _lua_newstate(alloc: number, ud: number): Ptr;
  _lua_close(L: Ptr): void;
  _luaL_openlibs(L: Ptr): void;
  _lua_newthread(L: Ptr): Ptr;
  _lua_resume(L: Ptr, from: Ptr, nargs: number, nresults: Ptr): number;
  _lua_gettop(L: Ptr): number;
  _lua_settop(L: Ptr, idx: number): void;
  _lua_pushvalue(L: Ptr, idx: number): void;
  _lua_absindex(L: Ptr, idx: number): number;
  _lua_checkstack(L: Ptr, n: number): number;
  _lua_type(L: Ptr, idx: number): number;
  _lua_tolstring(L: Ptr, idx: number, len: Ptr): Ptr;
  _lua_tonumberx(L: Ptr, idx: number, isnum: Ptr): number;
  _lua_tointegerx(L: Ptr, idx: number, isnum: Ptr): bigint;
  _lua_isinteger(L: Ptr, idx: number): number;
  _lua_toboolean(L: Ptr, idx: number): number;
  _lua_touserdata(L: Ptr, idx: number): Ptr;
  _lua_pushnil(L: Ptr): void;
  _lua_pushnumber(L: Ptr, n: number): void;
  _lua_pushinteger(L: Ptr, n: bigint): void;
  _lua_pushlstring(L: Ptr, s: Ptr, len: number): Ptr;
  _lua_pushboolean(L: Ptr, b: number): void;
  _lua_pushlightuserdata(L: Ptr, p: Ptr): void;
  _lua_pushcclosure(L: Ptr, fn: number, n: number): void;
  _lua_createtable(L: Ptr, narr: number, nrec: number): void;
  _lua_rawset(L: Ptr, idx: number): void;
  _lua_rawseti(L: Ptr, idx: number, n: bigint): void;
  _lua_rawgeti(L: Ptr, idx: number, n: bigint): number;
  _lua_rawlen(L: Ptr, idx: number): number;
  _lua_setfield(L: Ptr, idx: number, k: Ptr): void;
  _lua_getfield(L: Ptr, idx: number, k: Ptr): number;
  _lua_getglobal(L: Ptr, name: Ptr): number;
  _lua_setglobal(L: Ptr, name: Ptr): void;
  _lua_next(L: Ptr, idx: number): number;
  _lua_newuserdatauv(L: Ptr, size: number, nuvalue: number): Ptr;
  _luaL_setmetatable(L: Ptr, name: Ptr): void;
  _luaL_testudata(L: Ptr, idx: number, name: Ptr): Ptr;
  _luaL_ref(L: Ptr, t: number): number;
  _luaL_unref(L: Ptr, t: number, ref: number): void;
  _luaL_loadbufferx(L: Ptr, buf: Ptr, size: number, name: Ptr, mode: Ptr): number;
  _luaL_where(L: Ptr, level: number): void;
  _lua_concat(L: Ptr, n: number): void;
  _lua_sethook(L: Ptr, fn: number, mask: number, count: number): void;
  _lua_error(L: Ptr): number;
  _lua_pcallk(L: Ptr, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
}

// Lua 5.4 constants (lua.h / luaconf.h as built by wasmoon: LUAI_MAXSTACK = 1000000).
export const LUA_REGISTRYINDEX = -1000000 - 1000;
export const upvalueIndex = (i: number): number => LUA_REGISTRYINDEX - i;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRMEM = 4;
export const LUA_TNONE = -1;
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;
export const LUA_TUSERDATA = 7;
export const LUA_MASKCOUNT = 8;
export const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

let loading: Promise<LuaModule> | undefined;
let loaded: LuaModule | undefined;

/** Starts loading the module (once per process); later calls share the promise. */
export function loadLuaModule(): Promise<LuaModule> {
  return (loading ??= import('wasmoon').then(async (w) => {
    const wasm = await w.LuaWasm.initialize();
    loaded = wasm.module as unknown as LuaModule;
    return loaded;
  }));
}

/** The module if it has finished loading: lets config validation and filter set-up compile scripts synchronously. */
export function luaModuleIfLoaded(): LuaModule | undefined {
  return loaded;
}

/** Whether anything in this process asked for the Lua module (tests: proxies without Lua never load it). */
export function luaLoadStarted(): boolean {
  return loading !== undefined;
}
