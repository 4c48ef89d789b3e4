// Proxy HTTP: ext_authz query_parameters_to_set / _to_remove applied to the request path (examples and properties).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { editQuery } from '../../../../../src/proxy/http/filters/ext_authz/query.js';

test('editQuery: set replaces every value of a key in place, appends new keys, remove drops all; the path stays', () => {
  assert.equal(editQuery('/p?a=1&b=2&a=3', [['a', 'x']], []), '/p?a=x&b=2');
  assert.equal(editQuery('/p?a=1', [['c', 'z']], []), '/p?a=1&c=z');
  assert.equal(editQuery('/p', [['c', 'z']], []), '/p?c=z');
  assert.equal(editQuery('/p?a=1&flag&b=2', [], ['a']), '/p?flag&b=2');
  assert.equal(editQuery('/p?a=1', [], ['a']), '/p', 'no parameters left: no "?"');
  assert.equal(editQuery('/p?a=1', [], []), '/p?a=1');
});

const part = fc.stringMatching(/^[a-z0-9%]{1,5}$/);

test('editQuery: properties — the path before "?" is kept; a set key has exactly its value once; a removed key is gone', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\/[a-z/]{0,8}$/), fc.array(fc.tuple(part, part), { maxLength: 5 }), fc.array(fc.tuple(part, part), { maxLength: 3 }), fc.array(part, { maxLength: 3 }), (base, existing, set, remove) => {
      const path = existing.length === 0 ? base : `${base}?${existing.map(([k, v]) => `${k}=${v}`).join('&')}`;
      const out = editQuery(path, set, remove);
      const q = out.indexOf('?');
      assert.equal(q < 0 ? out : out.slice(0, q), base);
      const pairs = q < 0 ? [] : out.slice(q + 1).split('&').map((p) => p.split('='));
      for (const k of remove) assert.ok(!pairs.some((p) => p[0] === k));
      const lastSet = new Map(set);
      for (const [k, v] of lastSet) {
        if (remove.includes(k)) continue;
        const hits = pairs.filter((p) => p[0] === k);
        assert.equal(hits.length, 1);
        assert.equal(hits[0][1], v);
      }
    }),
  );
});
