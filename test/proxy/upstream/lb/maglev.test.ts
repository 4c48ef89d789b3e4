// Tests: MAGLEV — stable key->host mapping, limited disruption on host removal, table share follows weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import { isPrime, MaglevLeaf } from '../../../../src/proxy/upstream/lb/maglev.js';
import { makeSlot } from '../../../../src/proxy/upstream/lb/slot.js';
import { xxhash64 } from '../../../../src/common/hash.js';
import type { Picker } from '../../../../src/proxy/upstream/types.js';
import { hostSet, keys, mkCluster, mkHost, pickHost, seeded, tally } from './helpers.js';

const KEYS = keys(20_000, 11);
const map = (p: Picker): string[] => KEYS.map((hashKey) => pickHost(p, { attempt: 0, hashKey }));

test('same key goes to the same host, independent of host order', () => {
  const lb = createLoadBalancer(mkCluster('MAGLEV'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const first = map(lb.update([hostSet(0, hosts)]));
  assert.deepEqual(map(lb.update([hostSet(0, [...hosts].reverse())])), first);
  assert.equal(new Set(first).size, 4);
});

test('removing 1 of 4 hosts remaps little more than its own keys', () => {
  const lb = createLoadBalancer(mkCluster('MAGLEV'));
  const hosts = ['a', 'b', 'c', 'd'].map((n) => mkHost(n));
  const before = map(lb.update([hostSet(0, hosts)]));
  const after = map(lb.update([hostSet(0, hosts.slice(0, 3))]));
  let moved = 0;
  before.forEach((h, i) => {
    if (h !== after[i]) moved++;
  });
  const frac = moved / KEYS.length;
  assert.ok(frac > 0.2 && frac < 0.35, `moved ${frac}`);
  assert.ok(before.every((h, i) => h !== 'd' || after[i] !== 'd'));
});

test('table entries and key shares follow weights 1,2,3', () => {
  const hosts = [mkHost('a', { weight: 1 }), mkHost('b', { weight: 2 }), mkHost('c', { weight: 3 })];
  const leaf = new MaglevLeaf(hosts.map(makeSlot), [1, 2, 3], 65537, xxhash64, seeded(1));
  const cells = tally(leaf.table.map((s) => s.host.address));
  assert.ok(Math.abs((cells.get('a') ?? 0) - 65537 / 6) <= 2, `a cells ${cells.get('a')}`);
  assert.ok(Math.abs((cells.get('c') ?? 0) - 65537 / 2) <= 2, `c cells ${cells.get('c')}`);
  const lb = createLoadBalancer(mkCluster('MAGLEV'));
  const counts = tally(map(lb.update([hostSet(0, hosts)])));
  const expect: Record<string, number> = { a: 1 / 6, b: 1 / 3, c: 1 / 2 };
  for (const [n, p] of Object.entries(expect)) {
    const got = (counts.get(n) ?? 0) / KEYS.length;
    assert.ok(Math.abs(got - p) < 0.015, `${n}: ${got} vs ${p}`);
  }
});

test('small prime table size is honoured', () => {
  assert.ok(isPrime(65537) && isPrime(251) && !isPrime(65536));
  const lb = createLoadBalancer(mkCluster('MAGLEV', { maglev_lb_config: { table_size: 251 } }));
  const picker = lb.update([hostSet(0, ['a', 'b'].map((n) => mkHost(n)))]);
  assert.equal(new Set(map(picker)).size, 2);
});
