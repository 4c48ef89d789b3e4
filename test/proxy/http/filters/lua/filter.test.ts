// Proxy HTTP: the Lua filter through a real filter chain — headers, bodies (whole and chunked), trailers, respond(),
// httpCall(), envoy_on_response, per-route scripts, metadata, stream info, and script errors failing closed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadLuaModule } from '../../../../../src/proxy/http/filters/lua/vm/module.js';
import { luaStates } from '../../../../../src/proxy/http/filters/lua/vm/vm.js';
import { LUA_PER_ROUTE, luaRig, settle } from './rig.js';
import '../../../../all-filters.js';

before(async () => {
  await loadLuaModule();
});

const inline = (code: string): object => ({ default_source_code: { inline_string: code } });

test('lua: envoy_on_request adds a request header; envoy_on_response adds a response header', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        h:headers():add("x-lua", "on-request")
        h:headers():replace(":path", h:headers():get(":path") .. "?seen=1")
      end
      function envoy_on_response(h)
        h:headers():add("x-lua-status", h:headers():get(":status"))
      end`),
  );
  const c = rig.request({ path: '/a' });
  const up = rig.upstreams[0];
  assert.equal(up.head.headers['x-lua'], 'on-request');
  assert.equal(up.head.path, '/a?seen=1');
  up.respond(201, 'ok');
  assert.equal(c.status, 201);
  assert.equal(c.responseHeaders['x-lua-status'], '201');
  assert.equal(c.body, 'ok');
  assert.equal(rig.stats.get('http.in.lua.executions'), 2);
  assert.equal(rig.stats.get('http.in.lua.errors'), 0);
});

test('lua: headers API — get joins repeats with ",", getAtIndex is 0-based, pairs lists pseudo-headers then each value', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local hd = h:headers()
        local seen = {}
        for k, v in pairs(hd) do seen[#seen + 1] = k .. "=" .. v end
        hd:add("x-pairs", table.concat(seen, ";"))
        hd:add("x-get", hd:get("x-multi"))
        hd:add("x-at", (hd:getAtIndex("x-multi", 1) or "nil") .. "," .. (hd:getAtIndex("x-multi", 2) or "nil"))
        hd:add("x-num", hd:getNumValues("x-multi") .. "," .. hd:getNumValues("x-none"))
        hd:add("x-host", hd:get("host") .. "|" .. hd:get(":authority") .. "|" .. hd:get(":method"))
        hd:remove("x-drop")
        hd:replace("x-multi", "one")
        hd:add("X-Upper", "v")
      end`),
  );
  rig.request({ path: '/p', headers: { 'x-multi': ['a', 'b'], 'x-drop': 'gone' } });
  const h = rig.upstreams[0].head.headers;
  assert.match(String(h['x-pairs']), /^:authority=svc\.local;:path=\/p;:method=GET;:scheme=http;/);
  assert.match(String(h['x-pairs']), /x-multi=a;x-multi=b/);
  assert.doesNotMatch(String(h['x-pairs']), /(^|;)host=/, 'Host is :authority, as in Envoy');
  assert.equal(h['x-get'], 'a,b');
  assert.equal(h['x-at'], 'b,nil');
  assert.equal(h['x-num'], '2,0');
  assert.equal(h['x-host'], 'svc.local|svc.local|GET');
  assert.equal(h['x-drop'], undefined);
  assert.equal(h['x-multi'], 'one');
  assert.equal(h['x-upper'], 'v', 'names are lower-cased');
});

test('lua: body() waits for the whole body; setBytes replaces it and content-length follows it upstream', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local b = h:body()
        local s = b:getBytes(0, b:length())
        b:setBytes(string.upper(s) .. "!")
        h:headers():add("x-seen", tostring(b:length()))
      end`),
  );
  const c = rig.request({ method: 'POST', headers: { 'content-length': '10' }, body: true });
  assert.equal(rig.upstreams.length, 0, 'held until the body is complete');
  c.send('hello');
  assert.equal(rig.upstreams.length, 0);
  c.send(' lua', false);
  c.send('!!', true);
  await settle();
  const up = rig.upstreams[0];
  assert.equal(up.body, 'HELLO LUA!!!');
  assert.equal(up.head.contentLength, 12, 'the replaced body is framed by its own length');
  assert.equal(up.head.headers['x-seen'], '12');
  assert.equal(up.ended, true);
});

test('lua: body(true) on a request without a body gives an empty buffer; setting it sends a body', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local none = h:body()
        local b = h:body(true)
        h:headers():add("x-none", tostring(none == nil) .. "," .. b:length())
        b:setBytes("created")
      end`),
  );
  rig.request({ method: 'POST' });
  await settle();
  const up = rig.upstreams[0];
  assert.equal(up.head.headers['x-none'], 'true,0');
  assert.equal(up.body, 'created');
  assert.equal(up.head.contentLength, 7);
});

test('lua: bodyChunks() sees each chunk as it passes and may rewrite it', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local n = 0
        for chunk in h:bodyChunks() do
          n = n + 1
          chunk:setBytes("[" .. chunk:getBytes(0, chunk:length()) .. "]")
        end
        h:logInfo("chunks: " .. n)
      end`),
  );
  const c = rig.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: true });
  const up = rig.upstreams[0];
  assert.ok(up !== undefined, 'headers go on at once: the script streams');
  c.send('ab');
  assert.equal(up.body, '[ab]');
  c.send('cd', true);
  await settle();
  assert.equal(up.body, '[ab][cd]');
  assert.equal(up.ended, true);
});

test('lua: trailers() waits for the trailers, which the script may change', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        for _ in h:bodyChunks() do end
        local t = h:trailers()
        t:add("x-trailer-seen", t:get("grpc-status") or "none")
      end`),
  );
  const c = rig.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: true });
  c.send('x', true, { 'grpc-status': '0' });
  await settle();
  const up = rig.upstreams[0];
  assert.equal(up.body, 'x');
  assert.deepEqual(up.endTrailers, { 'grpc-status': '0', 'x-trailer-seen': '0' });
});

test('lua: respond() answers directly (403 with headers and body); the upstream never sees the request', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        if h:headers():get("authorization") == nil then
          h:respond({[":status"] = "403", ["x-reason"] = {"no", "credentials"}}, "denied")
        end
        h:headers():add("x-after", "never")
      end`),
  );
  const c = rig.request();
  assert.equal(rig.upstreams.length, 0);
  assert.equal(c.status, 403);
  assert.deepEqual(c.responseHeaders['x-reason'], ['no', 'credentials']);
  assert.equal(c.responseHeaders['content-length'], '6');
  assert.equal(c.body, 'denied');
  const ok = rig.request({ headers: { authorization: 'Bearer x' } });
  assert.equal(rig.upstreams.length, 1);
  assert.equal(ok.status, 0);
});

test('lua: respond() after reading the body answers with a transformed body', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local body = h:body():getBytes(0, h:body():length())
        h:respond({[":status"] = "200", ["content-type"] = "text/plain"}, string.reverse(body))
      end`),
  );
  const c = rig.request({ method: 'POST', headers: { 'content-length': '5' }, body: true });
  c.send('hello', true);
  await settle();
  assert.equal(c.status, 200);
  assert.equal(c.body, 'olleh');
  assert.equal(c.responseHeaders['content-type'], 'text/plain');
  assert.equal(rig.upstreams.length, 0);
});

test('lua: httpCall() to another cluster; its answer becomes a request header, then the request goes on', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local headers, body = h:httpCall("svc", {[":method"] = "POST", [":path"] = "/check", [":authority"] = "svc", ["x-q"] = "1"}, "question", 5000)
        h:headers():add("x-answer", body)
        h:headers():add("x-answer-status", headers[":status"])
        h:headers():add("x-answer-header", headers["x-a"])
      end`),
  );
  const c = rig.request({ path: '/real' });
  await settle();
  const call = rig.upstream('svc')[0];
  assert.equal(call.head.method, 'POST');
  assert.equal(call.head.path, '/check');
  assert.equal(call.head.authority, 'svc');
  assert.equal(call.head.headers['x-q'], '1');
  assert.equal(call.body, 'question');
  assert.equal(rig.upstream('backend').length, 0, 'the request waits for the call');
  call.respond(200, 'forty-two', { 'x-a': 'A' });
  await settle();
  const up = rig.upstream('backend')[0];
  assert.equal(up.head.headers['x-answer'], 'forty-two');
  assert.equal(up.head.headers['x-answer-status'], '200');
  assert.equal(up.head.headers['x-answer-header'], 'A');
  assert.equal(up.head.path, '/real');
  up.respond(200, 'done');
  assert.equal(c.body, 'done');
});

test('lua: a failed httpCall answers the script with 503 "upstream failure" (as Envoy); asynchronous calls do not wait', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        h:httpCall("svc", {[":method"] = "GET", [":path"] = "/log", [":authority"] = "svc"}, nil, 0, true)
        local headers, body = h:httpCall("svc", {[":method"] = "GET", [":path"] = "/x", [":authority"] = "svc"}, nil, 1000)
        h:headers():add("x-failed", headers[":status"] .. " " .. body)
      end`),
  );
  rig.request();
  await settle();
  const calls = rig.upstream('svc');
  assert.equal(calls.length, 2);
  assert.equal(calls[0].head.path, '/log');
  assert.equal(rig.upstream('backend').length, 0);
  calls[1].handler.onError('reset', 'test');
  await settle();
  assert.equal(rig.upstream('backend')[0].head.headers['x-failed'], '503 upstream failure');
});

test('lua: envoy_on_response reads and rewrites the response body', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_response(h)
        local b = h:body()
        b:setBytes("<html>" .. b:getBytes(0, b:length()) .. "</html>")
        h:headers():replace("content-type", "text/html")
      end`),
  );
  const c = rig.request();
  const up = rig.upstreams[0];
  up.head_(404, { 'content-type': 'application/json', 'content-length': '2' });
  up.data('{}');
  assert.equal(c.status, 0, 'the response is held until its body is complete');
  up.finish();
  await settle();
  assert.equal(c.status, 404);
  assert.equal(c.body, '<html>{}</html>');
  assert.equal(c.responseHeaders['content-type'], 'text/html');
  assert.equal(c.responseHeaders['content-length'], '15');
});

test('lua: a runtime error answers 500 (fail closed), counts lua.errors, and the next request is served', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        if h:headers():get("x-boom") then
          local t = nil
          return t.field
        end
      end`),
  );
  const bad = rig.request({ headers: { 'x-boom': '1' } });
  assert.equal(bad.status, 500);
  assert.equal(rig.upstreams.length, 0);
  assert.equal(rig.stats.get('http.in.lua.errors'), 1);
  rig.request();
  assert.equal(rig.upstreams.length, 1);
});

test('lua: an error in envoy_on_response before the headers went on answers 500 instead of the upstream response', () => {
  const rig = luaRig(inline('function envoy_on_response(h) error("no thanks") end'));
  const c = rig.request();
  rig.upstreams[0].respond(200, 'secret');
  assert.equal(c.status, 500);
  assert.equal(c.body, '');
  assert.equal(rig.stats.get('http.in.lua.errors'), 1);
});

test('lua: an endless loop is stopped by the instruction budget, even when it catches errors', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        if h:headers():get("x-spin") then
          while true do pcall(function() while true do end end) end
        end
      end`),
  );
  const c = rig.request({ headers: { 'x-spin': '1' } });
  assert.equal(c.status, 500);
  rig.request();
  assert.equal(rig.upstreams.length, 1, 'the same state keeps serving');
});

test('lua: a script that eats memory fails with "not enough memory" and the state recovers', () => {
  const rig = luaRig(
    inline(`
      local keep = {}
      function envoy_on_request(h)
        if h:headers():get("x-eat") then
          local t = {}
          for i = 1, 1e9 do t[i] = string.rep("x", 1024) .. i end
        end
        keep[#keep + 1] = 1
        h:headers():add("x-count", tostring(#keep))
      end`),
  );
  const c = rig.request({ headers: { 'x-eat': '1' } });
  assert.equal(c.status, 500);
  rig.request();
  assert.equal(rig.upstreams[0].head.headers['x-count'], '1', 'globals persist across requests, as in Envoy');
  rig.request();
  assert.equal(rig.upstreams[1].head.headers['x-count'], '2');
});

test('lua: LuaPerRoute disables the filter, names a source_codes script, or brings its own; filter_context per route', () => {
  const perRoute = (cfg: object): object => ({ 'envoy.filters.http.lua': { '@type': LUA_PER_ROUTE, ...cfg } });
  const tag = (v: string): string => `function envoy_on_request(h) h:headers():add("x-script", "${v}") h:headers():add("x-ctx", tostring(h:filterContext():get("tier"))) end`;
  const route = (prefix: string, cfg?: object): object => ({
    match: { prefix },
    route: { cluster: 'backend', timeout: '0s' },
    ...(cfg === undefined ? {} : { typed_per_filter_config: perRoute(cfg) }),
  });
  const rig = luaRig(
    { default_source_code: { inline_string: tag('default') }, source_codes: { 'named.lua': { inline_string: tag('named') } }, filter_context: { tier: 'base' } },
    {
      routes: [
        route('/off', { disabled: true }),
        route('/named', { name: 'named.lua', filter_context: { tier: 'gold' } }),
        route('/missing', { name: 'nope.lua' }),
        route('/own', { source_code: { inline_string: tag('own') } }),
        route('/'),
      ],
    },
  );
  for (const p of ['/off', '/named', '/missing', '/own', '/x']) rig.request({ path: p });
  const got = rig.upstreams.map((u) => `${u.head.path}:${u.head.headers['x-script'] ?? '-'}:${u.head.headers['x-ctx'] ?? '-'}`);
  assert.deepEqual(got, ['/off:-:-', '/named:named:gold', '/missing:-:-', '/own:own:base', '/x:default:base']);
});

test('lua: metadata() reads the route metadata under the filter name (or envoy.filters.http.lua)', () => {
  const code = `function envoy_on_request(h)
    local md = h:metadata()
    local keys = {}
    for k, v in pairs(md) do keys[#keys + 1] = k end
    table.sort(keys)
    h:headers():add("x-md", tostring(md:get("foo")) .. "," .. tostring(md:get("n")) .. "," .. md:get("list")[2] .. "," .. table.concat(keys, "+"))
  end`;
  const rig = luaRig(inline(code), {
    routes: [
      { match: { prefix: '/' }, route: { cluster: 'backend', timeout: '0s' }, metadata: { filter_metadata: { 'envoy.filters.http.lua': { foo: 'bar', n: 3, list: ['a', 'b'] } } } },
    ],
  });
  rig.request();
  assert.equal(rig.upstreams[0].head.headers['x-md'], 'bar,3,b,foo+list+n');
});

test('lua: streamInfo() — protocol, addresses (the remote one from x-forwarded-for), SNI, route name; dynamicMetadata set in the request is read in the response', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local si = h:streamInfo()
        h:headers():add("x-si", table.concat({si:protocol(), si:downstreamLocalAddress(), si:downstreamDirectRemoteAddress(),
          si:downstreamRemoteAddress(), si:requestedServerName(), si:routeName(), tostring(h:connection():ssl() == nil)}, "|"))
        si:dynamicMetadata():set("envoy.filters.http.lua", "request.info", {user = "alice", ids = {1, 2}})
      end
      function envoy_on_response(h)
        local info = h:streamInfo():dynamicMetadata():get("envoy.filters.http.lua")["request.info"]
        h:headers():add("x-user", info.user .. ":" .. info.ids[2])
      end`),
    { routes: [{ name: 'main', match: { prefix: '/' }, route: { cluster: 'backend', timeout: '0s' } }] },
  );
  const c = rig.request({ headers: { 'x-forwarded-for': '192.0.2.7' } });
  assert.equal(rig.upstreams[0].head.headers['x-si'], 'HTTP/1.1|127.0.0.1:10000|10.1.2.3:5000|192.0.2.7:0||main|true');
  rig.upstreams[0].respond(200);
  assert.equal(c.responseHeaders['x-user'], 'alice:2');
});

test('lua: connection():ssl() and the SNI on a TLS connection', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local ssl = h:connection():ssl()
        h:headers():add("x-tls", h:streamInfo():requestedServerName() .. "|" .. tostring(ssl:peerCertificatePresented()) .. "|" ..
          table.concat(ssl:uriSanPeerCertificate(), ",") .. "|" .. ssl:subjectPeerCertificate())
      end`),
  );
  rig.request({ conn: { tls: { sni: 'api.example.com', peerUriSans: ['spiffe://td/ns/a/sa/b'], peerSubject: 'CN=b' } } });
  assert.equal(rig.upstreams[0].head.headers['x-tls'], 'api.example.com|true|spiffe://td/ns/a/sa/b|CN=b');
});

test('lua: base64Escape, timestamp, timestampString; LuaJIT names (unpack, bit) work', () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local ms = h:timestamp()
        local us = h:timestampString(EnvoyTimestampResolution.MICROSECOND)
        h:headers():add("x-b64", h:base64Escape("\\0\\255hi"))
        h:headers():add("x-ts", tostring(math.type(ms)) .. "," .. tostring(#us - #tostring(ms)))
        h:headers():add("x-compat", tostring(select(2, unpack({1, 2}))) .. "," .. bit.band(0xf0, 0x3c) .. "," .. bit.tohex(-1))
      end`),
  );
  rig.request();
  const h = rig.upstreams[0].head.headers;
  assert.equal(h['x-b64'], Buffer.from([0, 255, 0x68, 0x69]).toString('base64'));
  assert.equal(h['x-ts'], 'integer,3');
  assert.equal(h['x-compat'], '2,48,ffffffff');
});

test('lua: changing :path re-matches the route (clear_route_cache defaults to true); false keeps the first match', () => {
  const routes = [
    { match: { prefix: '/v2' }, route: { cluster: 'svc', timeout: '0s' } },
    { match: { prefix: '/' }, route: { cluster: 'backend', timeout: '0s' } },
  ];
  const code = 'function envoy_on_request(h) h:headers():replace(":path", "/v2" .. h:headers():get(":path")) end';
  const rig = luaRig(inline(code), { routes });
  rig.request({ path: '/a' });
  assert.equal(rig.upstreams[0].cluster, 'svc');
  assert.equal(rig.upstreams[0].head.path, '/v2/a');
  const kept = luaRig({ ...inline(code), clear_route_cache: false }, { routes });
  kept.request({ path: '/a' });
  assert.equal(kept.upstreams[0].cluster, 'backend');
});

test('lua: misuse is a script error — changing headers after they went on, respond() in the response, a stray yield', async () => {
  const cases: [string, string][] = [
    ['function envoy_on_request(h) for c in h:bodyChunks() do h:headers():add("x", "late") end end', 'header map can no longer be modified'],
    ['function envoy_on_request(h) coroutine.yield() end', 'unexpected yield'],
    ['function envoy_on_request(h) h:headers():add("bad name", "v") end', 'invalid header name'],
    ['function envoy_on_request(h) h:headers():add("x-inject", "a\\r\\nb: c") end', 'invalid value'],
    ['function envoy_on_request(h) h:respond({[":status"] = "99"}) end', ':status must be between 200-599'],
    ['function envoy_on_request(h) h:httpCall("nowhere", {[":method"] = "GET", [":path"] = "/", [":authority"] = "x"}, nil, 10) end', 'cluster invalid'],
    ['function envoy_on_request(h) h:httpCall("svc", {[":method"] = "GET"}, nil, 10) end', "must include ':path'"],
    ['function envoy_on_request(h) h:headers():get() end', "bad argument #1 to 'get' (string expected, got no value)"],
    ['function envoy_on_request(h) h.headers(nil) end', "calling 'headers' on bad self"],
  ];
  for (const [code, why] of cases) {
    const rig = luaRig(inline(code));
    const c = rig.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: true });
    c.send('x', true);
    await settle();
    assert.equal(c.status, 500, `${why}: ${code}`);
    assert.equal(rig.stats.get('http.in.lua.errors'), 1, why);
  }
  const res = luaRig(inline('function envoy_on_response(h) h:respond({[":status"] = "200"}, "x") end'));
  const c = res.request();
  res.upstreams[0].respond(200, 'real');
  assert.equal(c.status, 500, 'respond() is for the request path only');
});

test('lua: a handle kept in a global cannot reach into a later request', () => {
  const rig = luaRig(
    inline(`
      local saved
      function envoy_on_request(h)
        if saved ~= nil then
          local ok, err = pcall(function() return saved:headers():get(":path") end)
          h:headers():add("x-old", tostring(ok) .. ":" .. tostring(err):gsub("^.-: ", ""))
        end
        saved = h
      end`),
  );
  rig.request({ path: '/first' });
  rig.request({ path: '/second' });
  assert.equal(rig.upstreams[1].head.headers['x-old'], 'false:object used outside of the request it belongs to');
});

test('lua: the client leaving during an httpCall cancels the call', async () => {
  const rig = luaRig(inline('function envoy_on_request(h) h:httpCall("svc", {[":method"] = "GET", [":path"] = "/", [":authority"] = "svc"}, nil, 0) end'));
  const c = rig.request();
  await settle();
  const call = rig.upstream('svc')[0];
  assert.ok(call !== undefined);
  c.abort();
  assert.equal(call.aborted, true);
});

test('lua: runtime keys trellis.lua.max_instructions_per_run and trellis.lua.max_run_ms bound each run', () => {
  const code = 'function envoy_on_request(h) local n = 0 for i = 1, 100000 do n = n + i end h:headers():add("x-n", tostring(n)) end';
  const tight = luaRig(inline(code), { runtime: { 'trellis.lua.max_instructions_per_run': 50_000 } });
  assert.equal(tight.request().status, 500);
  const roomy = luaRig(inline(code));
  roomy.request();
  assert.equal(roomy.upstreams[0].head.headers['x-n'], '5000050000');
});

test('lua: a state that failed (a wasm trap) is rebuilt from the script for the next request; in-flight ones fail', async () => {
  const rig = luaRig(
    inline(`
      calls = (calls or 0) + 1
      function envoy_on_request(h)
        h:headers():add("x-gen", tostring(calls))
        if h:headers():get("x-wait") then h:httpCall("svc", {[":method"] = "GET", [":path"] = "/", [":authority"] = "svc"}, nil, 0) end
      end`),
  );
  const waiting = rig.request({ headers: { 'x-wait': '1' } });
  await settle();
  const state = [...luaStates()].find((vm) => !vm.broken);
  assert.ok(state !== undefined);
  for (const vm of luaStates()) vm.broken = true; // what a trap in the middle of Lua leaves behind
  rig.upstream('svc')[0].respond(200, 'late');
  await settle();
  assert.equal(waiting.status, 500, 'a coroutine of the failed state cannot resume');
  rig.request();
  assert.equal(rig.upstream('backend')[0].head.headers['x-gen'], '1', 'a new state ran the script again');
});

test('lua: an httpCall between chunks holds the body until it answers; the script then sees what arrived meanwhile', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_request(h)
        local tag
        for chunk in h:bodyChunks() do
          if tag == nil then
            local _, answer = h:httpCall("svc", {[":method"] = "GET", [":path"] = "/tag", [":authority"] = "svc"}, nil, 0)
            tag = answer
          else
            chunk:setBytes(tag .. ":" .. chunk:getBytes(0, chunk:length()))
          end
        end
      end`),
  );
  const c = rig.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: true });
  c.send('one,');
  await settle();
  const up = rig.upstream('backend')[0];
  c.send('two,');
  c.send('three', true);
  assert.equal(up.body, '', 'the first chunk waits for the call; the next ones are held');
  rig.upstream('svc')[0].respond(200, 'T');
  await settle();
  assert.equal(up.body, 'one,T:two,three', 'the chunks held during the call are one chunk to the script, seen once');
  assert.equal(up.ended, true);
});

test('lua: an error in envoy_on_response once the headers went downstream cannot turn into a 500: the response goes on', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_response(h)
        for chunk in h:bodyChunks() do
          if chunk:getBytes(0, 1) == "x" then error("bad chunk") end
        end
      end`),
  );
  const c = rig.request();
  const up = rig.upstreams[0];
  up.head_(200, { 'transfer-encoding': 'chunked' });
  assert.equal(c.status, 200, 'streaming: the headers go on at once');
  up.data('ab');
  up.data('xy');
  up.data('cd');
  up.finish({ 'x-t': '1' });
  await settle();
  assert.equal(c.body, 'abxycd');
  assert.deepEqual(c.trailers, { 'x-t': '1' });
  assert.equal(rig.stats.get('http.in.lua.errors'), 1);
});

test('lua: response trailers are readable and writable in envoy_on_response', async () => {
  const rig = luaRig(
    inline(`
      function envoy_on_response(h)
        h:body()
        local t = h:trailers()
        t:replace("grpc-message", "seen " .. t:get("grpc-status"))
      end`),
  );
  const c = rig.request();
  rig.upstreams[0].respond(200, 'data', { 'content-type': 'application/grpc' }, { 'grpc-status': '0' });
  await settle();
  assert.equal(c.body, 'data');
  assert.deepEqual(c.trailers, { 'grpc-status': '0', 'grpc-message': 'seen 0' });
});
