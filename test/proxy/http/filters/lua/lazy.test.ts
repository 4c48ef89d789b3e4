// Proxy HTTP (Lua): the Lua module loads only when a Lua filter is built; requests that arrive while it loads wait,
// their bodies held, and run once it is there (a streaming script sees the held data as its first chunk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLuaModule, luaLoadStarted, luaModuleIfLoaded } from '../../../../../src/proxy/http/filters/lua/vm/module.js';
import { luaRig, settle } from './rig.js';
import '../../../../all-filters.js';

test('lua: a proxy without a Lua filter does not load the Lua module', () => {
  const rig = luaRig({}, { filters: [] });
  rig.request();
  assert.equal(rig.upstreams.length, 1);
  assert.equal(luaLoadStarted(), false);
});

test('lua: requests that arrive while the module loads wait for it, then run (bodies held meanwhile)', async () => {
  const whole = luaRig({
    default_source_code: { inline_string: 'function envoy_on_request(h) h:headers():add("x-len", tostring(h:body():length())) end' },
  });
  const streaming = luaRig({
    default_source_code: {
      inline_string: 'function envoy_on_request(h) for c in h:bodyChunks() do c:setBytes(c:getBytes(0, c:length()):upper()) end end',
    },
  });
  assert.equal(luaLoadStarted(), true);
  assert.equal(luaModuleIfLoaded(), undefined, 'still loading: these requests must wait');
  const a = whole.request({ method: 'POST', headers: { 'content-length': '3' }, body: true });
  a.send('abc', true);
  const b = streaming.request({ method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: true });
  b.send('early ');
  assert.equal(whole.upstreams.length + streaming.upstreams.length, 0);
  await loadLuaModule();
  await settle();
  assert.equal(whole.upstreams[0].head.headers['x-len'], '3');
  assert.equal(whole.upstreams[0].body, 'abc');
  const up = streaming.upstreams[0];
  assert.equal(up.body, 'EARLY ', 'the data held during the load is the first chunk');
  b.send('late', true);
  await settle();
  assert.equal(up.body, 'EARLY LATE');
  assert.equal(up.ended, true);
});
