// HTTP filters (Lua): one lua_State — its memory counted and capped, every run bounded in instructions and wall time,
// host functions ("primitives") callable from Lua, and coroutines resumed from JS. Values cross byte-exactly.
import {
  LUA_ERRMEM,
  LUA_MASKCOUNT,
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_TLIGHTUSERDATA,
  LUA_TNIL,
  LUA_TNONE,
  LUA_TSTRING,
  LUA_TNUMBER,
  LUA_YIELD,
  TYPE_NAMES,
  upvalueIndex,
  type LuaModule,
  type Ptr,
} from './module.js';

/** Bounds of one run: a resume of a coroutine (or a call) until it yields or ends. */
export interface RunLimits {
  /** Lua VM instructions per run. */
  readonly instructions: number;
  /** Wall-clock milliseconds per run (also catches slow library calls between instruction checks). */
  readonly wallMs: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { instructions: 10_000_000, wallMs: 1000 };
/** Bytes one state may hold; past this, allocations fail and the script gets "not enough memory". */
export const DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024;

/** Instructions between two checks of the run's budget (the count hook's period). */
const HOOK_PERIOD = 1000;

/** An error raised into the running script (a Lua error with the script's position), never a crash. */
export class LuaScriptError extends Error {}

/** A host function: reads its arguments from the stack of L, pushes its results, returns how many. */
export type Primitive = (vm: LuaVm, L: Ptr) => number;

const primitives: { name: string; fn: Primitive }[] = [];

/** Registers a host function under `name`; every state gets all of them in the table its prelude receives. */
export function definePrimitive(name: string, fn: Primitive): void {
  primitives.push({ name, fn });
}

/** The one run in progress (runs never nest: primitives only record what the stream should do next). */
interface Run {
  readonly vm: LuaVm;
  remaining: number;
  readonly deadline: number;
  readonly limits: RunLimits;
  killed: string | null;
}

/** Per module: the function-table entries every state shares, and scratch memory. */
class Shared {
  readonly alloc: number;
  readonly hook: number;
  readonly dispatch: number;
  /** 8 bytes for out-parameters (lengths, result counts). */
  readonly out: Ptr;
  private strBuf: Ptr;
  private strCap = 64 * 1024;
  private readonly cstrings = new Map<string, Ptr>();
  readonly states: (LuaVm | undefined)[] = [undefined];
  run: Run | null = null;

  constructor(readonly m: LuaModule) {
    this.out = m._malloc(8);
    this.strBuf = m._malloc(this.strCap);
    this.alloc = m.addFunction(this.onAlloc, 'iiiii');
    this.hook = m.addFunction(this.onHook, 'vii');
    this.dispatch = m.addFunction(this.onCall, 'ii');
  }

  /** lua_Alloc: every allocation of state `ud` is counted against its cap. */
  private readonly onAlloc = (ud: number, ptr: Ptr, osize: number, nsize: number): Ptr => {
    const vm = this.states[ud];
    const m = this.m;
    if (nsize === 0) {
      if (ptr !== 0) {
        m._free(ptr);
        if (vm !== undefined) vm.memoryUsed -= osize;
      }
      return 0;
    }
    // With ptr NULL, osize encodes the kind of object, not a size.
    const delta = ptr === 0 ? nsize : nsize - osize;
    if (vm !== undefined && delta > 0 && vm.memoryUsed + delta > vm.memoryMax) return 0;
    const p = m._realloc(ptr, nsize);
    if (p !== 0 && vm !== undefined) vm.memoryUsed += delta;
    return p;
  };

  /**
   * The count hook: past the run's budget every later instruction raises too, so no pcall in the script can
   * swallow the error and keep going — it unwinds to the resume.
   */
  private readonly onHook = (L: Ptr): void => {
    const run = this.run;
    if (run === null) return;
    if (run.killed === null) {
      run.remaining -= HOOK_PERIOD;
      if (run.remaining > 0 && performance.now() <= run.deadline) return;
      run.killed =
        run.remaining <= 0
          ? `script exceeded its budget of ${run.limits.instructions} instructions`
          : `script ran for more than ${run.limits.wallMs} ms`;
    }
    this.m._lua_sethook(L, this.hook, LUA_MASKCOUNT, 1);
    this.pushLatin1(L, run.killed);
    this.m._lua_error(L);
  };

  /** The C function behind every primitive (its index is upvalue 1); JS errors become Lua errors. */
  private readonly onCall = (L: Ptr): number => {
    const m = this.m;
    const index = Number(m._lua_tointegerx(L, upvalueIndex(1), 0));
    const vm = this.run?.vm;
    let message: string;
    try {
      if (vm === undefined) throw new LuaScriptError('host function called outside of a run');
      return primitives[index].fn(vm, L);
    } catch (e) {
      // A number is Lua's own error unwinding (emscripten longjmp) through this frame: let it pass.
      if (typeof e === 'number') throw e;
      message = e instanceof LuaScriptError ? e.message : `internal error in ${primitives[index]?.name ?? 'host function'}: ${(e as Error)?.message ?? String(e)}`;
    }
    // Point at the script's line: past the prelude wrapper when a handle method went through one.
    m._luaL_where(L, 1);
    const where = this.view(L, -1);
    if (where !== undefined && Buffer.from(where.buffer, where.byteOffset, where.length).toString('latin1').startsWith('prelude:')) {
      m._lua_settop(L, -2);
      m._luaL_where(L, 2);
    }
    this.pushLatin1(L, message);
    m._lua_concat(L, 2);
    return m._lua_error(L);
  };

  /** A NUL-terminated copy of `s` that lives as long as the module (names of fields, metatables, chunks). */
  cstr(s: string): Ptr {
    let p = this.cstrings.get(s);
    if (p === undefined) {
      const b = Buffer.from(s, 'utf8');
      p = this.m._malloc(b.length + 1);
      this.m.HEAPU8.set(b, p);
      this.m.HEAPU8[p + b.length] = 0;
      this.cstrings.set(s, p);
    }
    return p;
  }

  /** Room for `n` bytes of a string on its way into Lua (lua_pushlstring copies it). */
  private scratch(n: number): Ptr {
    if (n > this.strCap) {
      this.m._free(this.strBuf);
      this.strCap = Math.max(n, this.strCap * 2);
      this.strBuf = this.m._malloc(this.strCap);
    }
    return this.strBuf;
  }

  pushBytes(L: Ptr, b: Uint8Array): void {
    const p = this.scratch(b.length);
    this.m.HEAPU8.set(b, p);
    this.m._lua_pushlstring(L, p, b.length);
  }

  /** One byte per char (header values are latin1 strings in trellis, so bytes survive the round trip). */
  pushLatin1(L: Ptr, s: string): void {
    const n = s.length;
    const p = this.scratch(n);
    const heap = this.m.HEAPU8;
    for (let i = 0; i < n; i++) heap[p + i] = s.charCodeAt(i);
    this.m._lua_pushlstring(L, p, n);
  }

  pushUtf8(L: Ptr, s: string): void {
    this.pushBytes(L, Buffer.from(s, 'utf8'));
  }

  /** The string at `i` (numbers converted) as a view of module memory: valid until Lua runs again. */
  view(L: Ptr, i: number): Uint8Array | undefined {
    const m = this.m;
    const p = m._lua_tolstring(L, i, this.out);
    if (p === 0) return undefined;
    const n = m.HEAPU32[this.out >> 2];
    return m.HEAPU8.subarray(p, p + n);
  }
}

let shared: Shared | undefined;

/** Every open state (tests, diagnostics). */
export function luaStates(): LuaVm[] {
  return (shared?.states ?? []).filter((s): s is LuaVm => s !== undefined);
}

function sharedFor(m: LuaModule): Shared {
  if (shared === undefined || shared.m !== m) shared = new Shared(m);
  return shared;
}

/** Outcome of running Lua until it returns, yields or fails. */
export type RunResult = { kind: 'done' } | { kind: 'yield' } | { kind: 'error'; message: string; fault: boolean };

/** A coroutine anchored in the registry. */
export interface LuaThread {
  readonly T: Ptr;
  readonly ref: number;
}

/** One Lua state: the script's globals live here; each request runs in a coroutine of it. */
export class LuaVm {
  readonly L: Ptr;
  readonly id: number;
  memoryUsed = 0;
  memoryMax: number;
  /** A run ended in a wasm trap or a host bug: the state may be inconsistent and is never used again. */
  broken = false;
  private closed = false;
  /** The light userdata the API prelude yields when a call must wait for the host. */
  static readonly WAIT: Ptr = 1;
  readonly sh: Shared;
  /** What the current run's primitives act on (the stream handle whose coroutine is running). */
  current: unknown = undefined;
  /** Names the script in log lines (print() outside of a request). */
  label = 'lua';

  constructor(
    readonly m: LuaModule,
    readonly limits: RunLimits = DEFAULT_RUN_LIMITS,
    memoryBytes: number = DEFAULT_MEMORY_BYTES,
  ) {
    const sh = sharedFor(m);
    this.sh = sh;
    this.memoryMax = memoryBytes;
    let id = sh.states.indexOf(undefined, 1);
    if (id < 0) id = sh.states.push(undefined) - 1;
    this.id = id;
    sh.states[id] = this;
    const L = m._lua_newstate(sh.alloc, id);
    if (L === 0) {
      sh.states[id] = undefined;
      throw new Error('lua: cannot create a state (out of memory)');
    }
    this.L = L;
    m._luaL_openlibs(L);
    m._lua_sethook(L, sh.hook, LUA_MASKCOUNT, HOOK_PERIOD);
  }

  /** Compiles `code` (text only, never bytecode) and leaves the chunk on the main stack; returns the syntax error if any. */
  load(code: Buffer, chunkName: string): string | undefined {
    const m = this.m;
    const p = m._malloc(code.length + 1);
    m.HEAPU8.set(code, p);
    const st = m._luaL_loadbufferx(this.L, p, code.length, this.sh.cstr(chunkName), this.sh.cstr('t'));
    m._free(p);
    if (st === LUA_OK) return undefined;
    const msg = this.errorMessage(this.L, st);
    m._lua_settop(this.L, -2);
    return msg;
  }

  /** Calls the function below `nargs` arguments on the main stack under the run limits; results are dropped. */
  call(nargs: number, limits: RunLimits = this.limits): string | undefined {
    const r = this.guarded(limits, undefined, this.L, () => this.m._lua_pcallk(this.L, nargs, 0, 0, 0, 0));
    if (r.kind === 'error') return r.message;
    return undefined;
  }

  /** A new coroutine, anchored in the registry until released. */
  newThread(): LuaThread {
    const T = this.m._lua_newthread(this.L);
    const ref = this.m._luaL_ref(this.L, LUA_REGISTRYINDEX);
    return { T, ref };
  }

  releaseThread(t: LuaThread): void {
    if (!this.closed && !this.broken) this.m._luaL_unref(this.L, LUA_REGISTRYINDEX, t.ref);
  }

  /** Anchors the value on top of the main stack (popping it); returns its registry reference. */
  ref(): number {
    return this.m._luaL_ref(this.L, LUA_REGISTRYINDEX);
  }

  /** Pushes a registry value onto the stack of `T`. */
  pushRef(T: Ptr, ref: number): void {
    this.m._lua_rawgeti(T, LUA_REGISTRYINDEX, BigInt(ref));
  }

  /**
   * Resumes coroutine `T` with the `nargs` values on its stack. A yield counts only if it passes the WAIT token
   * (the API prelude's); anything the coroutine returns or yields is dropped.
   */
  resume(T: Ptr, nargs: number, current: unknown, limits: RunLimits = this.limits): RunResult {
    const m = this.m;
    const r = this.guarded(limits, current, T, () => m._lua_resume(T, 0, nargs, this.sh.out));
    if (r.kind === 'error') return r;
    const nres = m.HEAP32[this.sh.out >> 2];
    const token = r.kind === 'yield' && nres === 1 && m._lua_type(T, -1) === LUA_TLIGHTUSERDATA && m._lua_touserdata(T, -1) === LuaVm.WAIT;
    m._lua_settop(T, -nres - 1);
    if (r.kind === 'yield' && !token) return { kind: 'error', message: 'script performed an unexpected yield', fault: false };
    return r;
  }

  /**
   * Runs `fn` (a pcall on L or a resume of T) as the one run in progress, with its budget. Errors are returned,
   * never thrown; the error value is popped from `errL`.
   */
  private guarded(limits: RunLimits, current: unknown, errL: Ptr, fn: () => number): RunResult {
    const sh = this.sh;
    if (this.broken || this.closed) return { kind: 'error', message: 'the Lua state is no longer usable', fault: true };
    if (sh.run !== null) return { kind: 'error', message: 'internal error: Lua re-entered while running', fault: false };
    const run: Run = { vm: this, remaining: limits.instructions, deadline: performance.now() + limits.wallMs, limits, killed: null };
    sh.run = run;
    this.current = current;
    let st: number;
    try {
      st = fn();
    } catch (e) {
      // A wasm trap or a host bug in the middle of Lua: this state cannot be trusted any more.
      this.broken = true;
      return { kind: 'error', message: `Lua state failed: ${(e as Error)?.message ?? String(e)}`, fault: true };
    } finally {
      sh.run = null;
      this.current = undefined;
      // The kill switched the running thread's hook to every instruction; the main thread may run again.
      if (run.killed !== null) this.m._lua_sethook(this.L, sh.hook, LUA_MASKCOUNT, HOOK_PERIOD);
    }
    if (st === LUA_OK) return { kind: 'done' };
    if (st === LUA_YIELD) return { kind: 'yield' };
    const message = run.killed ?? this.errorMessage(errL, st);
    this.m._lua_settop(errL, -2);
    return { kind: 'error', message, fault: false };
  }

  private errorMessage(L: Ptr, status: number): string {
    if (status === LUA_ERRMEM) return 'not enough memory';
    const t = this.m._lua_type(L, -1);
    if (t === LUA_TSTRING || t === LUA_TNUMBER) return this.readUtf8(L, -1) ?? '';
    return `(error object is a ${t === LUA_TNONE ? 'missing' : TYPE_NAMES[t]} value)`;
  }

  /** Closes the state (its memory goes back to the module). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.broken) this.m._lua_close(this.L);
    this.sh.states[this.id] = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------------ values crossing the boundary
  cstr(s: string): Ptr {
    return this.sh.cstr(s);
  }
  pushLatin1(L: Ptr, s: string): void {
    this.sh.pushLatin1(L, s);
  }
  pushUtf8(L: Ptr, s: string): void {
    this.sh.pushUtf8(L, s);
  }
  pushBytes(L: Ptr, b: Uint8Array): void {
    this.sh.pushBytes(L, b);
  }
  /** Pushes a table of every registered primitive, by name (what the prelude receives as P). */
  pushPrimitives(): void {
    const m = this.m;
    const L = this.L;
    m._lua_createtable(L, 0, primitives.length);
    for (let i = 0; i < primitives.length; i++) {
      m._lua_pushinteger(L, BigInt(i));
      m._lua_pushcclosure(L, this.sh.dispatch, 1);
      m._lua_setfield(L, -2, this.sh.cstr(primitives[i].name));
    }
  }
  pushWait(L: Ptr): void {
    this.m._lua_pushlightuserdata(L, LuaVm.WAIT);
  }
  pushInt(L: Ptr, n: number): void {
    this.m._lua_pushinteger(L, BigInt(Math.trunc(n)));
  }
  type(L: Ptr, i: number): number {
    return this.m._lua_type(L, i);
  }
  isNoneOrNil(L: Ptr, i: number): boolean {
    const t = this.m._lua_type(L, i);
    return t === LUA_TNONE || t === LUA_TNIL;
  }
  readLatin1(L: Ptr, i: number): string | undefined {
    const v = this.sh.view(L, i);
    return v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.length).toString('latin1');
  }
  readUtf8(L: Ptr, i: number): string | undefined {
    const v = this.sh.view(L, i);
    return v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
  }
  /** A copy of the string at `i` (numbers converted). */
  readBytes(L: Ptr, i: number): Buffer | undefined {
    const v = this.sh.view(L, i);
    return v === undefined ? undefined : Buffer.from(v);
  }
  /** The number at `i` if it is one (or a string that converts), else undefined. */
  readNumber(L: Ptr, i: number): number | undefined {
    const m = this.m;
    const n = m._lua_tonumberx(L, i, this.sh.out);
    return m.HEAP32[this.sh.out >> 2] === 0 ? undefined : n;
  }
}
