// Tests: RING_HASH — stable key->host mapping, minimal remapping on host removal, weighted ring share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { Picker } from '../../../../src/proxy/upstream/types.js';
import { hostSet, keys, mkCluster, mkHost, pickHost, seeded, tally } from './helpers.js';

const KEYS = keys(20_000, 5);
const map = (p: Picker): string[] => KEYS.map((hashKey) => pickHost(p, { attempt: 0, hashKey }));

test('same key goes to the same host, also across rebuilds', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const first = map(lb.update([hostSet(0, hosts)]));
  // Host order in the update must not matter.
  const again = map(lb.update([hostSet(0, [...hosts].reverse())]));
  assert.deepEqual(again, first);
  assert.equal(new Set(first).size, 4);
});

// Envoy's ring gives each host scale × normalized weight entries with scale set by minimum_ring_size, so
// survivors gain entries when a host leaves (256 -> 342 each here): a little more than the removed share moves.
test('removing 1 of 4 hosts remaps its keys plus a small rescaling share', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const before = map(lb.update([hostSet(0, hosts)]));
  const after = map(lb.update([hostSet(0, hosts.slice(0, 3))]));
  let moved = 0;
  let movedOthers = 0;
  before.forEach((h, i) => {
    if (h !== after[i]) {
      moved++;
      if (h !== 'd') movedOthers++;
    }
  });
  const frac = moved / KEYS.length;
  assert.ok(frac > 0.2 && frac < 0.4, `moved ${frac}`);
  assert.ok(before.every((h, i) => h !== 'd' || after[i] !== 'd'));
  assert.ok(movedOthers / KEYS.length < 0.15, `others moved ${movedOthers / KEYS.length}`);
});

test('ring share follows weights', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'));
  const picker = lb.update([hostSet(0, [mkHost('a', { weight: 1 }), mkHost('b', { weight: 2 }), mkHost('c', { weight: 3 })])]);
  const counts = tally(map(picker));
  const expect: Record<string, number> = { a: 1 / 6, b: 1 / 3, c: 1 / 2 };
  for (const [n, p] of Object.entries(expect)) {
    const got = (counts.get(n) ?? 0) / KEYS.length;
    assert.ok(Math.abs(got - p) < 0.04, `${n}: ${got} vs ${p}`);
  }
});

test('no hash key spreads randomly over hosts', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'), { random: seeded(3) });
  const picker = lb.update([hostSet(0, ['a', 'b', 'c'].map((n) => mkHost(n)))]);
  const counts = tally(Array.from({ length: 3000 }, () => pickHost(picker)));
  assert.equal(counts.size, 3);
});

test('retry with the key host excluded moves to another host', () => {
  const lb = createLoadBalancer(mkCluster('RING_HASH'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const picker = lb.update([hostSet(0, hosts)]);
  for (const hashKey of KEYS.slice(0, 200)) {
    const first = picker.pick({ attempt: 0, hashKey });
    assert.equal(first.kind, 'complete');
    if (first.kind !== 'complete') continue;
    const retry = picker.pick({ attempt: 1, hashKey, excluded: new Set([first.host]) });
    assert.ok(retry.kind === 'complete' && retry.host !== first.host);
  }
});
