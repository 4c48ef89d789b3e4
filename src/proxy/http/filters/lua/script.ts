// HTTP filters (Lua): one script in its own Lua state (as Envoy has one per script) — API prelude, sandbox, the
// script's top level run once, envoy_on_request / envoy_on_response found. A state that fails is rebuilt from source.
import { LUA_TFUNCTION, type LuaModule } from './vm/module.js';
import { PRELUDE } from './vm/prelude.js';
import { DEFAULT_MEMORY_BYTES, DEFAULT_RUN_LIMITS, LuaVm } from './vm/vm.js';
import { scriptLog, LEVEL_INFO } from './log.js';

/** Where a script came from (for messages) and its text. */
export interface LuaSource {
  /** e.g. `default_source_code`, `source_codes["auth.lua"]`. */
  readonly label: string;
  readonly code: string;
}

/** A loaded script: its state and the registry references of its entry points (absent = not defined). */
export interface LoadedScript {
  readonly vm: LuaVm;
  readonly onRequest: number | undefined;
  readonly onResponse: number | undefined;
}

const preludeCode = Buffer.from(PRELUDE, 'utf8');

/** Creates a state with the prelude run; the caller loads its script into it. */
function newState(m: LuaModule, memoryBytes: number): LuaVm {
  const vm = new LuaVm(m, DEFAULT_RUN_LIMITS, memoryBytes);
  const err = vm.load(preludeCode, '=prelude') ?? (vm.pushPrimitives(), vm.pushWait(vm.L), vm.call(2));
  if (err !== undefined) {
    vm.close();
    throw new Error(`lua: prelude failed: ${err}`);
  }
  return vm;
}

export class LuaScript {
  private loaded: LoadedScript | undefined;
  /** Why the script cannot run (a syntax error, or an error in its top level); requests then fail closed. */
  error: string | undefined;
  private code: Buffer;

  constructor(
    readonly source: LuaSource,
    private readonly memoryBytes = DEFAULT_MEMORY_BYTES,
  ) {
    this.code = Buffer.from(source.code, 'utf8');
  }

  /** Builds the state (once); returns the error that keeps the script from running, if any. */
  build(m: LuaModule): string | undefined {
    if (this.loaded !== undefined && !this.loaded.vm.broken) return undefined;
    if (this.error !== undefined) return this.error;
    if (this.loaded !== undefined) {
      // The previous state failed (a wasm trap or a host bug): start over from the source, as a restart would.
      scriptLog.log(LEVEL_INFO, this.source.label, 'rebuilding the Lua state after a failure');
      this.loaded.vm.close();
      this.loaded = undefined;
    }
    const vm = newState(m, this.memoryBytes);
    vm.label = this.source.label;
    const err = vm.load(this.code, `=${this.source.label}`) ?? vm.call(0);
    if (err !== undefined) {
      vm.close();
      this.error = err;
      return err;
    }
    this.loaded = { vm, onRequest: entryPoint(vm, 'envoy_on_request'), onResponse: entryPoint(vm, 'envoy_on_response') };
    return undefined;
  }

  /** The loaded script, built on first use; undefined when it cannot load (see `error`). */
  get(m: LuaModule): LoadedScript | undefined {
    return this.build(m) === undefined ? this.loaded : undefined;
  }

  close(): void {
    this.loaded?.vm.close();
    this.loaded = undefined;
  }
}

/** A registry reference to global function `name`, or undefined when the script does not define it. */
function entryPoint(vm: LuaVm, name: string): number | undefined {
  const m = vm.m;
  if (m._lua_getglobal(vm.L, vm.cstr(name)) !== LUA_TFUNCTION) {
    m._lua_settop(vm.L, -2);
    return undefined;
  }
  return vm.ref();
}

let checker: LuaVm | undefined;

/** Compiles `code` without running it (config validation); returns the syntax error if any. */
export function checkSyntax(m: LuaModule, code: string, label: string): string | undefined {
  if (checker === undefined || checker.m !== m || checker.broken) checker = new LuaVm(m);
  const err = checker.load(Buffer.from(code, 'utf8'), `=${label}`);
  if (err === undefined) checker.m._lua_settop(checker.L, -2);
  return err;
}
