// HTTP filters (Lua): the Lua code every state runs before its script — the stream handle API as metatables over the
// host primitives, then a trimmed standard library (nothing that reaches files, processes, native code or bytecode).

/**
 * Runs with (P, WAIT): P maps primitive names to host functions, WAIT is the token a call yields when the host must
 * answer later (the body, a chunk, trailers, an HTTP call). Both stay in upvalues; scripts cannot reach P.
 */
export const PRELUDE = String.raw`
local P, WAIT = ...
local yield, reg, select, type, error, rawget = coroutine.yield, debug.getregistry(), select, type, error, rawget

local function class(name, methods, meta)
  local mt = meta or {}
  mt.__index = methods
  mt.__name = name
  mt.__metatable = false
  reg[name] = mt
end

local function waited(r, ...)
  if r == WAIT then return yield(WAIT) end
  return r, ...
end

local function pairsOver(list)
  return function(self)
    local t, i = list(self), -1
    return function()
      i = i + 2
      local k = t[i]
      if k ~= nil then return k, t[i + 1] end
    end, self, nil
  end
end

local function log(level)
  return function(self, message) P.h_log(self, level, message) end
end

class('envoy.handle', {
  headers = P.h_headers,
  body = function(self, always_wrap) return waited(P.h_body(self, always_wrap)) end,
  bodyChunks = function(self)
    P.h_bodyChunks(self)
    return function() return waited(P.h_chunk(self)) end
  end,
  trailers = function(self) return waited(P.h_trailers(self)) end,
  metadata = P.h_metadata,
  filterContext = P.h_filterContext,
  streamInfo = P.h_streamInfo,
  connection = P.h_connection,
  httpCall = function(self, ...) return waited(P.h_httpCall(self, ...)) end,
  respond = function(self, headers, body)
    P.h_respond(self, headers, body)
    return yield(WAIT)
  end,
  clearRouteCache = P.h_clearRouteCache,
  base64Escape = P.h_base64Escape,
  timestamp = P.h_timestamp,
  timestampString = P.h_timestampString,
  logTrace = log(0), logDebug = log(1), logInfo = log(2), logWarn = log(3), logErr = log(4), logCritical = log(5),
})

class('envoy.headers', {
  get = P.hd_get,
  getAtIndex = P.hd_getAtIndex,
  getNumValues = P.hd_getNumValues,
  add = P.hd_add,
  replace = P.hd_replace,
  remove = P.hd_remove,
  setHttp1ReasonPhrase = P.hd_setHttp1ReasonPhrase,
}, { __pairs = pairsOver(P.hd_list) })

class('envoy.buffer', { length = P.b_length, getBytes = P.b_getBytes, setBytes = P.b_setBytes })

class('envoy.metadata', { get = P.md_get }, { __pairs = pairsOver(P.md_list) })

class('envoy.streaminfo', {
  protocol = P.si_protocol,
  routeName = P.si_routeName,
  downstreamLocalAddress = P.si_downstreamLocalAddress,
  downstreamDirectLocalAddress = P.si_downstreamLocalAddress,
  downstreamRemoteAddress = P.si_downstreamRemoteAddress,
  downstreamDirectRemoteAddress = P.si_downstreamDirectRemoteAddress,
  requestedServerName = P.si_requestedServerName,
  dynamicMetadata = P.si_dynamicMetadata,
  downstreamSslConnection = P.si_ssl,
})

class('envoy.dynamicmetadata', { get = P.dm_get, set = P.dm_set }, { __pairs = pairsOver(P.dm_list) })

class('envoy.connection', { ssl = P.c_ssl })

class('envoy.ssl', {
  peerCertificatePresented = P.ssl_peerCertificatePresented,
  peerCertificateValidated = P.ssl_peerCertificatePresented,
  uriSanPeerCertificate = P.ssl_uriSanPeerCertificate,
  subjectPeerCertificate = P.ssl_subjectPeerCertificate,
})

EnvoyTimestampResolution = { MILLISECOND = 0, MICROSECOND = 1 }

-- LuaJIT (Envoy's runtime) names scripts use that Lua 5.4 dropped or never had.
unpack = table.unpack
local function tobit(x)
  x = math.floor(x) % 0x100000000
  if x >= 0x80000000 then x = x - 0x100000000 end
  return math.tointeger(x)
end
local function fold(op)
  return function(a, ...)
    local r = tobit(a)
    for i = 1, select('#', ...) do r = tobit(op(r, tobit((select(i, ...))))) end
    return r
  end
end
bit = {
  tobit = tobit,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  bnot = function(a) return tobit(~tobit(a)) end,
  lshift = function(a, n) return tobit(tobit(a) << (tobit(n) & 31)) end,
  rshift = function(a, n) return tobit((tobit(a) & 0xffffffff) >> (tobit(n) & 31)) end,
  arshift = function(a, n) return tobit(tobit(a) // (1 << (tobit(n) & 31))) end,
  tohex = function(a, n)
    n = n or 8
    local s = string.format(n < 0 and '%08X' or '%08x', tobit(a) & 0xffffffff)
    return s:sub(-math.min(math.abs(n), 8))
  end,
}
package.loaded.bit = bit

-- The sandbox: the host is reached only through the handle.
local rawload, rawsetmetatable = load, setmetatable
load = function(chunk, name, mode, ...)
  if select('#', ...) > 0 then return rawload(chunk, name, 't', ...) end
  return rawload(chunk, name, 't')
end
loadstring = load
-- A __gc metamethod runs with hooks off, where no instruction budget can stop it.
setmetatable = function(t, mt)
  if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then error('__gc metamethods are not supported', 2) end
  return rawsetmetatable(t, mt)
end
print = function(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  P.print(table.concat(parts, '\t'))
end
io, dofile, loadfile = nil, nil, nil
local os0, debug0 = os, debug
os = { time = os0.time, clock = os0.clock, date = os0.date, difftime = os0.difftime }
debug = { traceback = debug0.traceback, getinfo = debug0.getinfo }
package.loadlib, package.path, package.cpath = nil, '', ''
package.searchers = { package.searchers[1] }
package.loaded.io, package.loaded.os, package.loaded.debug = nil, os, debug
`;
