import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { internedSubscriptions, Subscription } from '../../../src/control/xds/subscription.js';

test('streams subscribing to the same names share one subscription, whatever the order', () => {
  const a = Subscription.of(['b', 'a', 'c', 'a']);
  const b = Subscription.of(['c', 'b', 'a']);
  assert.equal(a, b);
  assert.deepEqual(a.list, ['a', 'b', 'c']);
  assert.equal(a.size, 3);
  assert.equal(Subscription.of([]), Subscription.NONE);
});

test('a key belongs to one list of names, whatever characters the names hold', () => {
  assert.notEqual(Subscription.of(['a,b']).key, Subscription.of(['a', 'b']).key);
  assert.notEqual(Subscription.of(['["a']).key, Subscription.of(['[', 'a']).key);
  assert.notEqual(Subscription.of(['a,b']), Subscription.of(['a', 'b']));
});

test('with() returns the same subscription when nothing changes, and removal wins over a subscribe in one request', () => {
  const s = Subscription.of(['a', 'b']);
  assert.equal(s.with(['a'], ['x']), s);
  assert.deepEqual(s.with(['c'], ['a', 'c']).list, ['b']);
  assert.equal(s.with(['c'], []), Subscription.of(['a', 'b', 'c']));
  assert.equal(s.with([], ['a', 'b']), Subscription.NONE);
});

test('property: with() is set union then difference, and equal results are one object', () => {
  const names = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e,f', 'outbound|80||x'), { maxLength: 8 });
  fc.assert(
    fc.property(names, names, names, (start, add, remove) => {
      const got = Subscription.of(start).with(add, remove);
      const want = new Set(start);
      for (const n of add) want.add(n);
      for (const n of remove) want.delete(n);
      assert.deepEqual(got.list, [...want].sort());
      assert.equal(got, Subscription.of(want));
    }),
  );
});

test('a subscription no stream holds any more leaves the table', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const before = internedSubscriptions();
  (() => {
    for (let i = 0; i < 100; i++) Subscription.of([`gone-${i}`]);
  })();
  assert.ok(internedSubscriptions() >= before + 100);
  const deadline = Date.now() + 10_000;
  while (internedSubscriptions() >= before + 100) {
    assert.ok(Date.now() < deadline, `still ${internedSubscriptions()} interned`);
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
});
