// Tests: priority levels — overprovisioned failover, degraded hosts, panic threshold (Envoy semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import { computePriorityLoad } from '../../../../src/proxy/upstream/lb/priority-load.js';
import type { Host } from '../../../../src/proxy/upstream/types.js';
import { hostSet, mkCluster, mkHost, seeded, sequence, tally } from './helpers.js';

const N = 60_000;

function level(prefix: string, priority: number, healthy: number, total: number, extra: Partial<Host> = {}): Host[] {
  return Array.from({ length: total }, (_, i) =>
    mkHost(`${prefix}${i}`, { priority, health: i < healthy ? 'healthy' : 'unhealthy', ...extra }),
  );
}

function shareOf(counts: Map<string, number>, prefix: string, n: number): number {
  let s = 0;
  for (const [k, v] of counts) if (k.startsWith(prefix)) s += v;
  return s / n;
}

test('P0 3/4 healthy with overprovisioning 1.4 keeps 100% on P0', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(1) });
  const picker = lb.update([hostSet(0, level('p0-', 0, 3, 4)), hostSet(1, level('p1-', 1, 4, 4))]);
  const counts = tally(sequence(picker, 3000));
  assert.equal(shareOf(counts, 'p0-', 3000), 1);
  assert.equal(counts.get('p0-3'), undefined); // the unhealthy one
});

test('P0 1/2 healthy sends 70% to P0 and 30% to P1', () => {
  assert.deepEqual(
    computePriorityLoad(
      [
        { total: 4, healthy: 2, degraded: 0, overprovisioningFactor: 140 },
        { total: 4, healthy: 4, degraded: 0, overprovisioningFactor: 140 },
      ],
      50,
    ),
    { healthy: [70, 30], degraded: [0, 0], panic: [false, false] },
  );
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(2) });
  const picker = lb.update([hostSet(0, level('p0-', 0, 2, 4)), hostSet(1, level('p1-', 1, 4, 4))]);
  const counts = tally(sequence(picker, N));
  assert.ok(Math.abs(shareOf(counts, 'p0-', N) - 0.7) < 0.01, `${shareOf(counts, 'p0-', N)}`);
  assert.equal(counts.get('p0-2'), undefined);
});

test('P0 all down fails over entirely to P1', () => {
  const lb = createLoadBalancer(mkCluster('RANDOM'), { random: seeded(3) });
  const picker = lb.update([hostSet(0, level('p0-', 0, 0, 4)), hostSet(1, level('p1-', 1, 4, 4))]);
  assert.equal(shareOf(tally(sequence(picker, 2000)), 'p1-', 2000), 1);
});

test('degraded hosts take only what healthy ones cannot', () => {
  const hosts = [
    ...level('h', 0, 2, 2),
    ...Array.from({ length: 2 }, (_, i) => mkHost(`d${i}`, { health: 'degraded' })),
  ];
  // healthy 2/4 -> 70 %, degraded 2/4 -> the remaining 30 %
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(4) });
  const counts = tally(sequence(lb.update([hostSet(0, hosts)]), N));
  assert.ok(Math.abs(shareOf(counts, 'h', N) - 0.7) < 0.01);
  // With enough healthy hosts, degraded ones get nothing.
  const more = [...level('h', 0, 3, 3), mkHost('d0', { health: 'degraded' })];
  assert.equal(shareOf(tally(sequence(lb.update([hostSet(0, more)]), 1000)), 'h', 1000), 1);
});

test('panic: below the threshold traffic goes to all hosts regardless of health', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'));
  const hosts = level('p0-', 0, 1, 4); // 25 % healthy < 50 %
  const counts = tally(sequence(lb.update([hostSet(0, hosts)]), 400));
  assert.deepEqual([...counts.values()], [100, 100, 100, 100]);
  // Threshold 0 disables panic: only the healthy host serves.
  const noPanic = createLoadBalancer(
    mkCluster('ROUND_ROBIN', { common_lb_config: { healthy_panic_threshold: 0, locality_weighted_lb_config: false, ignore_new_hosts_until_first_hc: false } }),
  );
  assert.deepEqual(Object.fromEntries(tally(sequence(noPanic.update([hostSet(0, hosts)]), 40))), { 'p0-0': 40 });
  // ... and with no healthy host at all the picker fails.
  assert.deepEqual(noPanic.update([hostSet(0, level('x', 0, 0, 2))]).pick({ attempt: 0 }), { kind: 'fail' });
});

test('panic is per priority and only when the priorities together are short', () => {
  // P0 25 % raw healthy (in panic), P1 factor 1.0 at 50 % (not in panic); total availability 35 + 50 = 85.
  const load = computePriorityLoad(
    [
      { total: 4, healthy: 1, degraded: 0, overprovisioningFactor: 140 },
      { total: 4, healthy: 2, degraded: 0, overprovisioningFactor: 100 },
    ],
    50,
  );
  assert.deepEqual(load, { healthy: [42, 58], degraded: [0, 0], panic: [true, false] });
  // When lower priorities make up the difference, nobody panics.
  const ok = computePriorityLoad(
    [
      { total: 4, healthy: 1, degraded: 0, overprovisioningFactor: 140 },
      { total: 4, healthy: 4, degraded: 0, overprovisioningFactor: 140 },
    ],
    50,
  );
  assert.deepEqual(ok, { healthy: [35, 65], degraded: [0, 0], panic: [false, false] });
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'), { random: seeded(5) });
  const picker = lb.update([hostSet(0, level('p0-', 0, 1, 4)), hostSet(1, level('p1-', 1, 2, 4), {}, 100)]);
  const counts = tally(sequence(picker, N));
  assert.ok((counts.get('p0-3') ?? 0) > 0, 'P0 in panic uses its unhealthy hosts');
  assert.equal(counts.get('p1-3'), undefined, 'P1 not in panic keeps to healthy hosts');
  assert.ok(Math.abs(shareOf(counts, 'p0-', N) - 0.42) < 0.01);
});

test('total panic spreads by host count across priorities', () => {
  const load = computePriorityLoad(
    [
      { total: 2, healthy: 0, degraded: 0, overprovisioningFactor: 140 },
      { total: 6, healthy: 0, degraded: 0, overprovisioningFactor: 140 },
    ],
    50,
  );
  assert.deepEqual(load, { healthy: [25, 75], degraded: [0, 0], panic: [true, true] });
});

test('no hosts at all fails', () => {
  const lb = createLoadBalancer(mkCluster('MAGLEV'));
  assert.deepEqual(lb.update([]).pick({ attempt: 0 }), { kind: 'fail' });
  assert.deepEqual(lb.update([hostSet(0, [])]).pick({ attempt: 0, hashKey: 1n }), { kind: 'fail' });
});
