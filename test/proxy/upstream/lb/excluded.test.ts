// Tests: retry_previous_hosts — pickers avoid ctx.excluded hosts when they can, and fall back when they cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { LbPolicy } from '../../../../src/proxy/config/types.js';
import { hostSet, keys, mkCluster, mkHost, pickHost, seeded } from './helpers.js';

// Deterministic policies always find another host; random ones re-pick a few times (1/3 chance each) and may settle.
const POLICIES: [LbPolicy, number][] = [
  ['ROUND_ROBIN', 0],
  ['RING_HASH', 0],
  ['MAGLEV', 0],
  ['LEAST_REQUEST', 0.01],
  ['RANDOM', 0.01],
];

for (const [policy, allowed] of POLICIES) {
  test(`${policy}: excluded hosts are avoided`, () => {
    const lb = createLoadBalancer(mkCluster(policy), { random: seeded(11) });
    const hosts = ['a', 'b', 'c'].map((n) => mkHost(n));
    const picker = lb.update([hostSet(0, hosts)]);
    const excluded = new Set([hosts[0]!]);
    let hits = 0;
    const ks = keys(500, 4);
    for (const hashKey of ks) {
      if (pickHost(picker, { attempt: 1, hashKey, excluded }) === 'a') hits++;
      if (pickHost(picker, { attempt: 1, excluded }) === 'a') hits++;
    }
    assert.ok(hits / (2 * ks.length) <= allowed, `${hits} picks of an excluded host`);
  });
}

test('RING_HASH: the retry goes to the next host on the ring, the same one every time', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const picker = lb.update([hostSet(0, hosts)]);
  for (const hashKey of keys(200, 6)) {
    const first = picker.pick({ attempt: 0, hashKey });
    if (first.kind !== 'complete') throw new Error('fail');
    const excluded = new Set([first.host]);
    const retry = pickHost(picker, { attempt: 1, hashKey, excluded });
    assert.notEqual(retry, first.host.address);
    assert.equal(pickHost(picker, { attempt: 2, hashKey, excluded }), retry);
  }
});

test('when every host is excluded a host is still returned', () => {
  const lb = createLoadBalancer(mkCluster('ROUND_ROBIN'));
  const hosts = ['a', 'b'].map((n) => mkHost(n));
  const picker = lb.update([hostSet(0, hosts)]);
  assert.equal(picker.pick({ attempt: 2, excluded: new Set(hosts) }).kind, 'complete');
});

test('LEAST_REQUEST: a tried host that fails fast (no active requests) still loses to one not tried, with two hosts or many', () => {
  for (const names of [['dead', 'live'], ['dead', 'live', 'x', 'y']]) {
    const lb = createLoadBalancer(mkCluster('LEAST_REQUEST'), { random: seeded(5) });
    const hosts = names.map((n) => mkHost(n));
    for (const h of hosts.slice(1)) h.activeRequests = 7; // busy, while the dead one refuses at once and holds none
    const picker = lb.update([hostSet(0, hosts)]);
    const excluded = new Set([hosts[0]!]);
    for (let i = 0; i < 200; i++) assert.notEqual(pickHost(picker, { attempt: 1, excluded }), 'dead', `${names.length} hosts`);
    if (names.length === 2) assert.equal(pickHost(picker, { attempt: 0 }), 'dead', 'without exclusions the fewest active requests still win');
  }
});
