// Tests: LEAST_REQUEST — P2C prefers idle hosts; weighted form divides weight by (active+1)^bias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import { hostSet, mkCluster, mkHost, seeded, sequence, tally } from './helpers.js';

test('P2C over 2 hosts never picks the busier one', () => {
  const lb = createLoadBalancer(mkCluster('LEAST_REQUEST'), { random: seeded(7) });
  const picker = lb.update([hostSet(0, [mkHost('idle', { active: 0 }), mkHost('busy', { active: 5 })])]);
  assert.deepEqual(Object.fromEntries(tally(sequence(picker, 1000))), { idle: 1000 });
});

test('P2C prefers idle hosts among many', () => {
  const lb = createLoadBalancer(mkCluster('LEAST_REQUEST'), { random: seeded(8) });
  const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n, i) => mkHost(n, { active: i === 0 ? 0 : 10 }));
  const counts = tally(sequence(lb.update([hostSet(0, hosts)]), 8000));
  // The idle host wins whenever it is one of the 2 distinct samples: 1 - C(7,2)/C(8,2) = 1/4.
  const share = (counts.get('a') ?? 0) / 8000;
  assert.ok(share > 0.22 && share < 0.28, `idle share ${share}`);
});

test('host load is read live, without rebuilding the picker', () => {
  const lb = createLoadBalancer(mkCluster('LEAST_REQUEST'), { random: seeded(9) });
  const a = mkHost('a');
  const b = mkHost('b');
  const picker = lb.update([hostSet(0, [a, b])]);
  a.activeRequests = 3;
  assert.deepEqual(Object.fromEntries(tally(sequence(picker, 50))), { b: 50 });
});

test('unequal weights: effective weight = weight / (active + 1)', () => {
  const lb = createLoadBalancer(mkCluster('LEAST_REQUEST'));
  // a: 2/(1+1) = 1, b: 1/(0+1) = 1 -> equal shares once a's load is taken into account.
  const picker = lb.update([hostSet(0, [mkHost('a', { weight: 2, active: 1 }), mkHost('b', { weight: 1 })])]);
  const counts = tally(sequence(picker, 1000));
  assert.ok(Math.abs((counts.get('a') ?? 0) - 500) <= 5, JSON.stringify([...counts]));
});

test('unequal weights with bias 0 behave as weighted round robin', () => {
  const lb = createLoadBalancer(mkCluster('LEAST_REQUEST', { least_request_lb_config: { choice_count: 2, active_request_bias: 0 } }));
  const picker = lb.update([hostSet(0, [mkHost('a', { weight: 3, active: 100 }), mkHost('b', { weight: 1 })])]);
  const counts = tally(sequence(picker, 1000));
  assert.ok(Math.abs((counts.get('a') ?? 0) - 750) <= 5, JSON.stringify([...counts]));
});
