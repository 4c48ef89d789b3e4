// Test: header mutations — append actions, keep_empty_value, remove-then-add, level order, command operators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, compileHeaderMutation, EMPTY_MUTATION } from '../../../src/proxy/router/index.js';
import type { HeaderAppendAction, HeaderValueOption } from '../../../src/proxy/config/types.js';
import type { HeaderFormatContext, HeaderMap, HeaderMutation } from '../../../src/proxy/router/types.js';
import { rc, req, route, vhost } from './fixtures.js';

const ctx: HeaderFormatContext = {
  downstreamRemoteAddress: '10.1.2.3:5555',
  downstreamLocalAddress: '10.0.0.1:15006',
  upstreamHost: '10.9.9.9:8080',
  requestHeaders: { 'x-req': 'from-request', host: 'svc.local', 'x-multi': ['first', 'second'] },
  protocol: 'HTTP/1.1',
};

function opt(key: string, value: string, append_action: HeaderAppendAction = 'APPEND_IF_EXISTS_OR_ADD', keep_empty_value = false): HeaderValueOption {
  return { header: { key, value }, append_action, keep_empty_value };
}

function mutation(add: HeaderValueOption[], remove: string[] = []): HeaderMutation {
  const errs: { path: string; message: string }[] = [];
  const m = compileHeaderMutation(add, remove, 'p', 'request_headers_to_add', errs);
  assert.deepEqual(errs, []);
  return m;
}

function run(m: HeaderMutation, h: HeaderMap): HeaderMap {
  m.apply(h, ctx);
  return h;
}

test('empty lists give the shared frozen EMPTY_MUTATION', () => {
  assert.equal(mutation([], []), EMPTY_MUTATION);
  assert.ok(EMPTY_MUTATION.empty);
  assert.ok(Object.isFrozen(EMPTY_MUTATION));
});

test('append actions', () => {
  const m = (a: HeaderAppendAction) => mutation([opt('x-h', 'new', a)]);
  assert.deepEqual(run(m('APPEND_IF_EXISTS_OR_ADD'), { 'x-h': 'old' }), { 'x-h': ['old', 'new'] });
  assert.deepEqual(run(m('APPEND_IF_EXISTS_OR_ADD'), {}), { 'x-h': 'new' });
  assert.deepEqual(run(m('ADD_IF_ABSENT'), { 'x-h': 'old' }), { 'x-h': 'old' });
  assert.deepEqual(run(m('ADD_IF_ABSENT'), {}), { 'x-h': 'new' });
  assert.deepEqual(run(m('OVERWRITE_IF_EXISTS_OR_ADD'), { 'x-h': ['a', 'b'] }), { 'x-h': 'new' });
  assert.deepEqual(run(m('OVERWRITE_IF_EXISTS_OR_ADD'), {}), { 'x-h': 'new' });
  assert.deepEqual(run(m('OVERWRITE_IF_EXISTS'), { 'x-h': 'old' }), { 'x-h': 'new' });
  assert.deepEqual(run(m('OVERWRITE_IF_EXISTS'), {}), {});
  // Appending to an existing array does not mutate the caller's array.
  const arr = ['a'];
  assert.deepEqual(run(m('APPEND_IF_EXISTS_OR_ADD'), { 'x-h': arr }), { 'x-h': ['a', 'new'] });
  assert.deepEqual(arr, ['a']);
});

test('removals happen before additions; keep_empty_value', () => {
  assert.deepEqual(run(mutation([opt('x-h', 'new')], ['x-h', 'x-gone']), { 'x-h': 'old', 'x-gone': '1', keep: 'k' }), { 'x-h': 'new', keep: 'k' });
  assert.deepEqual(run(mutation([opt('x-e', '')]), {}), {});
  assert.deepEqual(run(mutation([opt('x-e', '', 'APPEND_IF_EXISTS_OR_ADD', true)]), {}), { 'x-e': '' });
  assert.deepEqual(run(mutation([opt('x-e', '%REQ(x-absent)%')]), {}), {});
});

test('command operators', () => {
  const h = run(
    mutation([
      opt('a', '%DOWNSTREAM_REMOTE_ADDRESS%'),
      opt('b', '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%'),
      opt('c', '%DOWNSTREAM_LOCAL_ADDRESS%'),
      opt('d', '%UPSTREAM_REMOTE_ADDRESS%'),
      opt('e', 'proto=%PROTOCOL%;'),
      opt('f', '%REQ(X-Req)%'),
      opt('g', '%REQ(x-absent?x-req)%'),
      opt('h', '%REQ(x-req):4%'),
      opt('i', '100%% of %REQ(:authority)%'),
      opt('j', '%REQ(x-multi)%'),
    ]),
    {},
  );
  assert.deepEqual(h, {
    a: '10.1.2.3:5555',
    b: '10.1.2.3',
    c: '10.0.0.1:15006',
    d: '10.9.9.9:8080',
    e: 'proto=HTTP/1.1;',
    f: 'from-request',
    g: 'from-request',
    h: 'from',
    i: '100% of svc.local',
    j: 'first',
  });
  const v6 = mutation([opt('a', '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%')]);
  const out: HeaderMap = {};
  v6.apply(out, { ...ctx, downstreamRemoteAddress: '[::1]:443' });
  assert.equal(out['a'], '::1');
});

test('%HOSTNAME% and %START_TIME%', async () => {
  const { hostname } = await import('node:os');
  const h = run(mutation([opt('host', '%HOSTNAME%'), opt('t', '%START_TIME%'), opt('s', '%START_TIME(%s.%3f)%')]), {});
  assert.equal(h['host'], hostname());
  assert.match(String(h['t']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(String(h['s']), /^\d{10}\.\d{3}$/);
});

test('unknown or malformed operators are compile errors', () => {
  for (const bad of ['%NOPE%', '%REQ(x', '50% off', '%START_TIME(%Q)%']) {
    const errs: { path: string; message: string }[] = [];
    compileHeaderMutation([opt('x', bad)], [], 'vh', 'request_headers_to_add', errs);
    assert.equal(errs.length, 1, bad);
    assert.equal(errs[0]!.path, 'vh.request_headers_to_add[0].header.value');
  }
});

test('levels apply route, then virtual host, then route configuration (least specific wins an overwrite)', () => {
  const lvl = (v: string) => ({
    request_headers_to_add: [opt('x-level', v, 'OVERWRITE_IF_EXISTS_OR_ADD'), opt('x-trail', v)],
    response_headers_to_add: [opt('x-resp', v)],
  });
  const t = compileRouteTable(
    rc({
      ...lvl('config'),
      virtual_hosts: [
        vhost({
          ...lvl('vhost'),
          routes: [
            route({ name: 'full', m: { path_specifier: { kind: 'prefix', value: '/full' } }, ...lvl('route') }),
            route({ name: 'bare', m: { path_specifier: { kind: 'prefix', value: '/bare' } } }),
          ],
        }),
      ],
    }),
  );
  const full = t.match(req({ path: '/full' }))!.route;
  const h = run(full.requestHeaders, {});
  assert.deepEqual(h, { 'x-level': 'config', 'x-trail': ['route', 'vhost', 'config'] });
  assert.deepEqual(run(full.responseHeaders, {}), { 'x-resp': ['route', 'vhost', 'config'] });
  const bare = t.match(req({ path: '/bare' }))!.route;
  assert.deepEqual(run(bare.requestHeaders, {}), { 'x-level': 'config', 'x-trail': ['vhost', 'config'] });
  const none = compileRouteTable(rc({ virtual_hosts: [vhost({ routes: [route()] })] })).match(req())!.route;
  assert.equal(none.requestHeaders, EMPTY_MUTATION);
  assert.equal(none.responseHeaders, EMPTY_MUTATION);
});
