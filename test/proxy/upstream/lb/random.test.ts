// Tests: RANDOM — uniform and weighted proportions with a seeded source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import { hostSet, mkCluster, mkHost, seeded, sequence, tally } from './helpers.js';

const N = 60_000;

test('uniform over equal weights', () => {
  const lb = createLoadBalancer(mkCluster('RANDOM'), { random: seeded(42) });
  const counts = tally(sequence(lb.update([hostSet(0, [mkHost('a'), mkHost('b'), mkHost('c')])]), N));
  for (const n of ['a', 'b', 'c']) assert.ok(Math.abs((counts.get(n) ?? 0) / N - 1 / 3) < 0.01, n);
});

test('weighted 1,2,3 gives 1/6, 1/3, 1/2', () => {
  const lb = createLoadBalancer(mkCluster('RANDOM'), { random: seeded(43) });
  const picker = lb.update([hostSet(0, [mkHost('a', { weight: 1 }), mkHost('b', { weight: 2 }), mkHost('c', { weight: 3 })])]);
  const counts = tally(sequence(picker, N));
  const expect: Record<string, number> = { a: 1 / 6, b: 1 / 3, c: 1 / 2 };
  for (const [n, p] of Object.entries(expect)) {
    const got = (counts.get(n) ?? 0) / N;
    assert.ok(Math.abs(got - p) < 0.01, `${n}: ${got} vs ${p}`);
  }
});
