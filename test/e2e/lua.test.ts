// E2E: envoy.filters.http.lua through a real `trellis proxy` — scripts in the style of Envoy's Lua examples: a request
// header, a body read and answered transformed, httpCall to another cluster feeding a response header, respond() 403,
// envoy_on_response, a body rewritten for the upstream, per-route overrides, and failing scripts (500, proxy serves on).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminGet, httpBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
const LUA_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute';

const SCRIPT = `
local served = 0

function envoy_on_request(request_handle)
  local headers = request_handle:headers()
  local path = headers:get(":path")
  served = served + 1
  if path == "/error" then
    local missing = nil
    return missing.field
  elseif path == "/spin" then
    while true do end
  elseif path:sub(1, 7) == "/secret" and headers:get("x-token") ~= "let-me-in" then
    request_handle:respond({[":status"] = "403", ["x-denied-by"] = "lua"}, "forbidden by lua")
  elseif path == "/upper" then
    local body = request_handle:body()
    request_handle:respond({[":status"] = "200", ["content-type"] = "text/plain"}, string.upper(body:getBytes(0, body:length())))
  elseif path == "/rewrite" then
    local body = request_handle:body()
    body:setBytes("rewritten: " .. body:getBytes(0, body:length()))
  elseif path == "/whois" then
    local answer, who = request_handle:httpCall("directory", {
      [":method"] = "GET", [":path"] = "/user?id=" .. (headers:get("x-user-id") or "0"), [":authority"] = "directory",
    }, nil, 2000)
    request_handle:streamInfo():dynamicMetadata():set("envoy.filters.http.lua", "user", {name = who, status = answer[":status"]})
  end
  headers:add("x-lua-request", "served-" .. served)
end

function envoy_on_response(response_handle)
  response_handle:headers():add("x-lua-response", "yes")
  local md = response_handle:streamInfo():dynamicMetadata():get("envoy.filters.http.lua")
  if md ~= nil and md.user ~= nil then
    response_handle:headers():add("x-user", md.user.name .. " (" .. md.user.status .. ")")
  end
end
`;

let backend: Upstream;
let directory: Upstream;
let proxy: RunningProxy;
const seen: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

before(async () => {
  backend = await startUpstream('backend', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`backend saw ${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
    });
  });
  directory = await startUpstream('directory', (req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
    res.writeHead(id === '7' ? 200 : 404);
    res.end(id === '7' ? 'alice' : 'nobody');
  });
  const routes = [
    { match: { prefix: '/plain' }, route: { cluster: 'backend' }, typed_per_filter_config: { 'envoy.filters.http.lua': { '@type': LUA_PER_ROUTE, disabled: true } } },
    {
      match: { prefix: '/own' },
      route: { cluster: 'backend' },
      typed_per_filter_config: {
        'envoy.filters.http.lua': { '@type': LUA_PER_ROUTE, source_code: { inline_string: 'function envoy_on_request(h) h:headers():add("x-own", "route script") end' } },
      },
    },
    { match: { prefix: '/' }, route: { cluster: 'backend' } },
  ];
  proxy = await startProxy(
    httpBootstrap({
      routeConfig: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes }] },
      clusters: [staticCluster('backend', [backend.port]), staticCluster('directory', [directory.port])],
      httpFilters: [
        { name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, default_source_code: { inline_string: SCRIPT } } },
        { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
      ],
    }),
  );
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
  await directory?.close();
});

const port = (): number => proxy.listeners.get('ingress')!;

test('e2e lua: a request header added on the way in, a response header on the way out', async () => {
  const r = await request(port(), { path: '/hello' });
  assert.equal(r.status, 200);
  assert.match(r.body, /^backend saw GET \/hello/);
  assert.match(String(seen.at(-1)?.headers['x-lua-request']), /^served-\d+$/);
  assert.equal(r.headers['x-lua-response'], 'yes');
});

test('e2e lua: the body is read and answered transformed by respond()', async () => {
  const r = await request(port(), { path: '/upper', method: 'POST', body: 'make me loud' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'MAKE ME LOUD');
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.equal(r.headers['x-lua-response'], undefined, "a filter's own reply skips its envoy_on_response");
});

test('e2e lua: a body rewritten for the upstream arrives whole, framed by its new length', async () => {
  const r = await request(port(), { path: '/rewrite', method: 'POST', body: 'abc' });
  assert.equal(r.status, 200);
  assert.equal(seen.at(-1)?.body, 'rewritten: abc');
  assert.equal(seen.at(-1)?.headers['content-length'], '14');
});

test('e2e lua: httpCall to another cluster; its answer ends up in a response header', async () => {
  const r = await request(port(), { path: '/whois', headers: { 'x-user-id': '7' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-user'], 'alice (200)');
  const nobody = await request(port(), { path: '/whois', headers: { 'x-user-id': '8' } });
  assert.equal(nobody.headers['x-user'], 'nobody (404)');
});

test('e2e lua: respond() short-circuits with 403 before the upstream', async () => {
  const before = seen.length;
  const r = await request(port(), { path: '/secret/file' });
  assert.equal(r.status, 403);
  assert.equal(r.body, 'forbidden by lua');
  assert.equal(r.headers['x-denied-by'], 'lua');
  assert.equal(seen.length, before);
  const ok = await request(port(), { path: '/secret/file', headers: { 'x-token': 'let-me-in' } });
  assert.equal(ok.status, 200);
});

test('e2e lua: LuaPerRoute disables the filter on a route, or runs the route\'s own script', async () => {
  const plain = await request(port(), { path: '/plain' });
  assert.equal(plain.headers['x-lua-response'], undefined);
  assert.equal(seen.at(-1)?.headers['x-lua-request'], undefined);
  await request(port(), { path: '/own' });
  assert.equal(seen.at(-1)?.headers['x-own'], 'route script');
});

test('e2e lua: a script error and an endless loop answer 500; the proxy keeps serving and counts them', async () => {
  const err = await request(port(), { path: '/error' });
  assert.equal(err.status, 500);
  const spin = await request(port(), { path: '/spin' });
  assert.equal(spin.status, 500);
  const after = await request(port(), { path: '/still-alive' });
  assert.equal(after.status, 200);
  const stats = await adminGet(proxy.adminPort, '/stats');
  assert.match(stats.body, /^http\.ingress_http\.lua\.errors: 2$/m);
  assert.match(proxy.output(), /\[lua\]\[error\] envoy\.filters\.http\.lua default_source_code: script error: default_source_code:\d+: attempt to index a nil value/);
});
