// Tests: ROUND_ROBIN — strict rotation and exact, interleaved weighted proportions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import { hostSet, mkCluster, mkHost, seeded, sequence, tally } from './helpers.js';

test('equal weights rotate strictly', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(1) });
  const picker = lb.update([hostSet(0, [mkHost('a'), mkHost('b'), mkHost('c')])]);
  const seq = sequence(picker, 30);
  for (let i = 3; i < seq.length; i++) assert.equal(seq[i], seq[i - 3]);
  assert.equal(new Set(seq.slice(0, 3)).size, 3);
});

test('weights 1,2,3 give exactly 1/6, 1/3, 1/2 in every window of 6, interleaved', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'));
  const picker = lb.update([hostSet(0, [mkHost('a', { weight: 1 }), mkHost('b', { weight: 2 }), mkHost('c', { weight: 3 })])]);
  const seq = sequence(picker, 600);
  assert.deepEqual(Object.fromEntries(tally(seq)), { a: 100, b: 200, c: 300 });
  for (let i = 0; i + 6 <= seq.length; i++) {
    assert.deepEqual(Object.fromEntries(tally(seq.slice(i, i + 6))), { a: 1, b: 2, c: 3 }, `window at ${i}`);
  }
  // Interleaved, not bursts: the heaviest host never gets 3 picks in a row.
  for (let i = 2; i < seq.length; i++) assert.ok(!(seq[i] === seq[i - 1] && seq[i] === seq[i - 2]), `burst at ${i}`);
});

test('unhealthy and ejected hosts are skipped', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'));
  const hosts = [mkHost('a'), mkHost('b', { health: 'unhealthy' }), mkHost('c', { ejected: true }), mkHost('d'), mkHost('e'), mkHost('f')];
  const seq = sequence(lb.update([hostSet(0, hosts)]), 40);
  assert.deepEqual([...new Set(seq)].sort(), ['a', 'd', 'e', 'f']);
});

test('the pick result object is reused per host', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'));
  const picker = lb.update([hostSet(0, [mkHost('a')])]);
  assert.equal(picker.pick({ attempt: 0 }), picker.pick({ attempt: 0 }));
});
