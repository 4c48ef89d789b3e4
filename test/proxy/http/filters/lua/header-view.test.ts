// Proxy HTTP (Lua): the header object over trellis header maps — pseudo-headers bound to the request/response, Host as
// :authority, refused names and values, and add/replace/remove/get/list against a model (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HeaderView } from '../../../../../src/proxy/http/filters/lua/header-view.js';
import type { RequestHead, ResponseHead } from '../../../../../src/proxy/http/filter/api.js';

function req(): RequestHead {
  return { method: 'GET', path: '/a?b', authority: 'svc', scheme: 'https', headers: { host: 'svc', accept: ['a', 'b'] } };
}

test('lua headers: request pseudo-headers read and write the request; Host is :authority; :scheme is fixed', () => {
  const r = req();
  const h = HeaderView.request(r);
  assert.deepEqual(h.list(), [[':authority', 'svc'], [':path', '/a?b'], [':method', 'GET'], [':scheme', 'https'], ['accept', 'a'], ['accept', 'b']]);
  assert.equal(h.get('HOST'), 'svc');
  assert.equal(h.replace(':path', '/new'), undefined);
  assert.equal(h.replace('host', 'other:8080'), undefined);
  assert.equal(h.add(':method', 'POST'), undefined);
  assert.deepEqual([r.path, r.authority, r.method], ['/new', 'other:8080', 'POST']);
  assert.match(h.replace(':scheme', 'http') ?? '', /cannot be changed/);
  assert.match(h.replace(':path', 'no-slash') ?? '', /invalid :path/);
  assert.match(h.replace(':method', 'GE T') ?? '', /invalid :method/);
  assert.match(h.remove(':path') ?? '', /cannot be removed/);
  assert.match(h.add(':bogus', 'x') ?? '', /invalid header name/);
  assert.equal(h.get(':bogus'), undefined);
});

test('lua headers: :status on responses; names and values that could split a message are refused', () => {
  const res: ResponseHead = { status: 200, headers: {} };
  const h = HeaderView.response(res);
  assert.equal(h.get(':status'), '200');
  assert.equal(h.replace(':status', '404'), undefined);
  assert.equal(res.status, 404);
  assert.match(h.replace(':status', '4040') ?? '', /invalid :status/);
  for (const bad of ['a\r\nb: c', 'nul\0', 'bell\x07', 'wide\u0100']) assert.match(h.add('x', bad) ?? '', /invalid value/, JSON.stringify(bad));
  for (const bad of ['', 'a b', 'a:b', 'é']) assert.match(h.add(bad, 'v') ?? '', /invalid header name/, JSON.stringify(bad));
  assert.equal(h.add('x-ok', 'tab\tand latin1 \xe9'), undefined);
});

type Op = { op: 'add' | 'replace'; k: string; v: string } | { op: 'remove'; k: string };

test('lua headers: add / replace / remove / get / list agree with a model of repeated headers (property)', () => {
  const name = fc.constantFrom('x-a', 'X-A', 'x-b', 'set-cookie', 'accept');
  const value = fc.string({ unit: fc.constantFrom('a', 'b', ',', ' ', '='), maxLength: 5 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('add' as const), k: name, v: value }),
    fc.record({ op: fc.constant('replace' as const), k: name, v: value }),
    fc.record({ op: fc.constant('remove' as const), k: name }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
      const map = {};
      const h = new HeaderView(map);
      const model = new Map<string, string[]>();
      for (const o of ops) {
        const k = o.k.toLowerCase();
        if (o.op === 'add') {
          assert.equal(h.add(o.k, o.v), undefined);
          model.set(k, [...(model.get(k) ?? []), o.v]);
        } else if (o.op === 'replace') {
          assert.equal(h.replace(o.k, o.v), undefined);
          model.set(k, [o.v]);
        } else {
          assert.equal(h.remove(o.k), undefined);
          model.delete(k);
        }
      }
      for (const k of ['x-a', 'x-b', 'set-cookie', 'accept']) {
        const want = model.get(k) ?? [];
        assert.deepEqual(h.values(k), want);
        assert.equal(h.get(k), want.length === 0 ? undefined : want.join(','));
      }
      assert.deepEqual(h.list(), [...model].flatMap(([k, vs]) => vs.map((v) => [k, v])));
    }),
  );
});
