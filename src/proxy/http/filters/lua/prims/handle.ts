// HTTP filters (Lua): host functions behind the stream handle — headers(), body(), bodyChunks(), trailers(), httpCall(),
// respond(), the log*() methods and helpers. Each checks its arguments as Envoy does and acts on the running stream.
import type { AsyncRequest } from '../../../../upstream/async-client.js';
import { LuaStream, HEADERS } from '../stream.js';
import { LEVEL_INFO, scriptLog, type LogLevel } from '../log.js';
import { LUA_TTABLE, type Ptr } from '../vm/module.js';
import { checkBytes, checkInteger, checkString, checkTable, checkUtf8, optBoolean, optBytes, optString, pushObject, readHeaderTable, selfObject } from '../vm/values.js';
import { LuaScriptError, definePrimitive, type LuaVm } from '../vm/vm.js';

const HANDLE = 'envoy.handle';

function self(vm: LuaVm, L: Ptr, fname: string): LuaStream {
  return LuaStream.current(vm, selfObject(vm, L, HANDLE, fname).id);
}

/** A host function that may have to wait: -1 from `fn` yields (the prelude yields WAIT), else n results. */
function waitable(vm: LuaVm, L: Ptr, n: number): number {
  if (n >= 0) return n;
  vm.pushWait(L);
  return 1;
}

definePrimitive('h_headers', (vm, L) => {
  self(vm, L, 'headers').pushHeaders(L, HEADERS);
  return 1;
});

definePrimitive('h_body', (vm, L) => {
  const s = self(vm, L, 'body');
  const wrap = optBoolean(vm, L, 2, 'body') ?? false;
  return waitable(vm, L, s.body(L, wrap));
});

definePrimitive('h_bodyChunks', (vm, L) => {
  self(vm, L, 'bodyChunks').bodyChunks();
  return 0;
});

definePrimitive('h_chunk', (vm, L) => waitable(vm, L, self(vm, L, 'bodyChunks').nextChunk(L)));

definePrimitive('h_trailers', (vm, L) => waitable(vm, L, self(vm, L, 'trailers').trailersNow(L)));

definePrimitive('h_metadata', (vm, L) => {
  const s = self(vm, L, 'metadata');
  pushObject(vm, L, 'envoy.metadata', s.id, 0);
  return 1;
});

definePrimitive('h_filterContext', (vm, L) => {
  const s = self(vm, L, 'filterContext');
  pushObject(vm, L, 'envoy.metadata', s.id, 1);
  return 1;
});

definePrimitive('h_streamInfo', (vm, L) => {
  pushObject(vm, L, 'envoy.streaminfo', self(vm, L, 'streamInfo').id, 0);
  return 1;
});

definePrimitive('h_connection', (vm, L) => {
  pushObject(vm, L, 'envoy.connection', self(vm, L, 'connection').id, 0);
  return 1;
});

/** Keys httpCall's options table may have (Envoy rejects others). */
const CALL_OPTIONS = new Set(['asynchronous', 'timeout_ms', 'trace_sampled', 'return_duplicate_headers', 'send_xff']);

definePrimitive('h_httpCall', (vm, L) => {
  const s = self(vm, L, 'httpCall');
  const m = vm.m;
  const cluster = checkString(vm, L, 2, 'httpCall');
  checkTable(vm, L, 3, 'httpCall');
  const body = optBytes(vm, L, 4, 'httpCall');
  let timeoutMs = 0;
  let async = false;
  let duplicates = false;
  if (vm.type(L, 5) === LUA_TTABLE) {
    // httpCall(cluster, headers, body, {timeout_ms = …, asynchronous = …, …})
    m._lua_pushnil(L);
    while (m._lua_next(L, 5) !== 0) {
      const k = checkString(vm, L, -2, 'httpCall');
      if (!CALL_OPTIONS.has(k)) throw new LuaScriptError(`"${k}" is not valid key for httpCall() options`);
      if (k === 'timeout_ms') {
        timeoutMs = checkInteger(vm, L, -1, 'httpCall');
        if (timeoutMs < 0) throw new LuaScriptError('http call timeout must be >= 0');
      } else if (k === 'asynchronous') async = m._lua_toboolean(L, -1) !== 0;
      else if (k === 'return_duplicate_headers') duplicates = m._lua_toboolean(L, -1) !== 0;
      // trace_sampled and send_xff: trellis traces nothing and adds no x-forwarded-for to its own calls.
      m._lua_settop(L, -2);
    }
  } else {
    timeoutMs = checkInteger(vm, L, 5, 'httpCall');
    if (timeoutMs < 0) throw new LuaScriptError('http call timeout must be >= 0');
    const a = vm.type(L, 6);
    if (a !== -1 && a !== 1) throw new LuaScriptError("http call asynchronous flag must be 'true', 'false', or empty");
    async = a === 1 && m._lua_toboolean(L, 6) !== 0;
  }
  if (s.owner.ctx.clusters.get(cluster) === undefined) throw new LuaScriptError('http call cluster invalid. Must be configured');
  const headers = readHeaderTable(vm, L, 3, 'httpCall');
  const first = (k: string): string | undefined => {
    const v = headers[k];
    delete headers[k];
    return typeof v === 'string' ? v : v?.[0];
  };
  const method = first(':method');
  const path = first(':path');
  const authority = first(':authority');
  delete headers[':scheme'];
  if (method === undefined || path === undefined || authority === undefined) {
    throw new LuaScriptError("http call headers must include ':path', ':method', and ':authority'");
  }
  for (const k in headers) if (k.charCodeAt(0) === 58) delete headers[k];
  const request: AsyncRequest = { method, path, authority, headers };
  if (body !== undefined) request.body = body;
  return waitable(vm, L, s.httpCall({ cluster, request, timeoutMs, async, duplicates }));
});

definePrimitive('h_respond', (vm, L) => {
  const s = self(vm, L, 'respond');
  checkTable(vm, L, 2, 'respond');
  const body = optBytes(vm, L, 3, 'respond');
  const headers = readHeaderTable(vm, L, 2, 'respond');
  const st = headers[':status'];
  const code = typeof st === 'string' && /^[0-9]{3}$/.test(st) ? Number(st) : NaN;
  if (!(code >= 200 && code < 600)) throw new LuaScriptError(':status must be between 200-599');
  for (const k in headers) if (k.charCodeAt(0) === 58) delete headers[k];
  s.respond(code, headers, body);
  return 0;
});

definePrimitive('h_clearRouteCache', (vm, L) => {
  self(vm, L, 'clearRouteCache').clearRouteCache();
  return 0;
});

definePrimitive('h_log', (vm, L) => {
  const s = self(vm, L, 'log');
  const level = checkInteger(vm, L, 2, 'log') as LogLevel;
  // The prelude calls h_log(self, level, message): the script's own argument is the message.
  s.log(level, checkUtf8(vm, L, 3, 'log', 1));
  return 0;
});

definePrimitive('h_base64Escape', (vm, L) => {
  self(vm, L, 'base64Escape');
  vm.pushLatin1(L, checkBytes(vm, L, 2, 'base64Escape').toString('base64'));
  return 1;
});

/** Envoy's EnvoyTimestampResolution values. */
const MILLISECOND = '0';
const MICROSECOND = '1';

definePrimitive('h_timestamp', (vm, L) => {
  self(vm, L, 'timestamp');
  const unit = optString(vm, L, 2, 'timestamp');
  if (unit !== undefined && unit !== MILLISECOND) throw new LuaScriptError('timestamp format must be MILLISECOND.');
  vm.pushInt(L, Date.now());
  return 1;
});

definePrimitive('h_timestampString', (vm, L) => {
  self(vm, L, 'timestampString');
  const unit = optString(vm, L, 2, 'timestampString') ?? MILLISECOND;
  if (unit === MILLISECOND) vm.pushLatin1(L, String(Date.now()));
  else if (unit === MICROSECOND) vm.pushLatin1(L, String(Math.floor((performance.timeOrigin + performance.now()) * 1000)));
  else throw new LuaScriptError('timestamp format must be MILLISECOND or MICROSECOND.');
  return 1;
});

definePrimitive('print', (vm, L) => {
  const msg = vm.readUtf8(L, 1) ?? '';
  if (vm.current instanceof LuaStream) vm.current.log(LEVEL_INFO, msg);
  else scriptLog.log(LEVEL_INFO, vm.label, msg);
  return 0;
});
