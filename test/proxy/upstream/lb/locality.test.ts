// Tests: locality weighted LB — locality weight × overprovisioned locality health, then the policy inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { LbPolicy } from '../../../../src/proxy/config/types.js';
import { hostSet, keys, mkCluster, mkHost, pickHost, seeded, sequence, tally } from './helpers.js';

const weighted = (policy: LbPolicy) =>
  mkCluster(policy, { common_lb_config: { healthy_panic_threshold: 50, locality_weighted_lb_config: true, ignore_new_hosts_until_first_hc: false } });

function zoneShare(names: string[], zone: string): number {
  return names.filter((n) => n.startsWith(zone)).length / names.length;
}

test('localities get traffic by weight', () => {
  const lb = createLoadBalancer(weighted('ROUND_ROBIN'), { random: seeded(1) });
  const hosts = [mkHost('A1', { zone: 'A' }), mkHost('A2', { zone: 'A' }), mkHost('B1', { zone: 'B' }), mkHost('B2', { zone: 'B' })];
  const seq = sequence(lb.update([hostSet(0, hosts, { A: 1, B: 3 })]), 4000);
  assert.equal(zoneShare(seq, 'A'), 0.25);
  // Without locality weighting the same hosts split evenly.
  const plain = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(1) });
  assert.equal(zoneShare(sequence(plain.update([hostSet(0, hosts, { A: 1, B: 3 })]), 4000), 'A'), 0.5);
});

test('locality weight is scaled by its overprovisioned health', () => {
  const lb = createLoadBalancer(weighted('RANDOM'), { random: seeded(2) });
  const hosts = [
    mkHost('A1', { zone: 'A' }),
    mkHost('A2', { zone: 'A' }),
    mkHost('B1', { zone: 'B' }),
    mkHost('B2', { zone: 'B', health: 'unhealthy' }),
    mkHost('B3', { zone: 'B' }),
    mkHost('B4', { zone: 'B' }),
  ];
  // B: 3 × min(1, 1.4 × 3/4) = 3; then take B down to 2/4: 3 × 0.7 = 2.1 -> A gets 1 / 3.1.
  assert.ok(Math.abs(zoneShare(sequence(lb.update([hostSet(0, hosts, { A: 1, B: 3 })]), 8000), 'A') - 0.25) < 0.002);
  hosts[4]!.health = 'unhealthy';
  const seq = sequence(lb.update([hostSet(0, hosts, { A: 1, B: 3 })]), 31_000);
  assert.ok(Math.abs(zoneShare(seq, 'A') - 1 / 3.1) < 0.002, `${zoneShare(seq, 'A')}`);
});

test('a locality without weight takes no traffic', () => {
  const lb = createLoadBalancer(weighted('ROUND_ROBIN'));
  const hosts = [mkHost('A1', { zone: 'A' }), mkHost('B1', { zone: 'B' })];
  assert.equal(zoneShare(sequence(lb.update([hostSet(0, hosts, { B: 5 })]), 100), 'B'), 1);
});

test('ring hash folds locality weights into the ring', () => {
  const lb = createLoadBalancer(weighted('RING_HASH'));
  const hosts = [mkHost('A1', { zone: 'A' }), mkHost('B1', { zone: 'B' }), mkHost('B2', { zone: 'B' })];
  const picker = lb.update([hostSet(0, hosts, { A: 3, B: 1 })]);
  const seq = keys(20_000, 9).map((hashKey) => pickHost(picker, { attempt: 0, hashKey }));
  assert.ok(Math.abs(zoneShare(seq, 'A') - 0.75) < 0.04, `${zoneShare(seq, 'A')}`);
  assert.equal(tally(seq).size, 3);
});
