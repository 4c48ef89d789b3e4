// Tests: STRICT_DNS and LOGICAL_DNS resolution, re-resolution and address-family filtering.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterImpl } from '../../../src/proxy/upstream/cluster.js';
import { pickFamily, type DnsLookup } from '../../../src/proxy/upstream/dns.js';
import { clusterConfig, fakeLb, lbEndpoint, locality, waitFor } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

test('STRICT_DNS resolves localhost with the system resolver', async () => {
  const c = new ClusterImpl(clusterConfig('local', { type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY' }, [locality('a', [lbEndpoint('localhost', 8080)])]), {
    stats: new FakeStats(),
    lbFactory: fakeLb(),
  });
  try {
    await c.ready();
    const hosts = c.prioritySet()[0]!.hosts;
    assert.ok(hosts.some((h) => h.key === '127.0.0.1:8080'), hosts.map((h) => h.key).join());
    assert.ok(hosts.every((h) => h.hostname === 'localhost'));
  } finally {
    c.close();
  }
});

test('STRICT_DNS re-resolves every dns_refresh_rate and keeps hosts that stay', async () => {
  const answers = new Map<string, string[]>([
    ['a.test', ['10.0.0.1', '10.0.0.2']],
    ['b.test', ['10.0.1.1']],
  ]);
  let fail = false;
  const lookups: string[] = [];
  const lookup: DnsLookup = async (name, family) => {
    lookups.push(`${name}/${family}`);
    if (fail) throw new Error('SERVFAIL');
    return answers.get(name) ?? [];
  };
  const stats = new FakeStats();
  const c = new ClusterImpl(
    clusterConfig('dns', { type: 'STRICT_DNS', dns_refresh_rate: 15, dns_lookup_family: 'AUTO' }, [
      locality('a', [lbEndpoint('a.test', 80, { load_balancing_weight: 2 })]),
      locality('b', [lbEndpoint('b.test', 81)], { priority: 1 }),
    ]),
    { stats, lbFactory: fakeLb(), lookup },
  );
  const keys = (): string[][] => c.prioritySet().map((s) => s.hosts.map((h) => h.key));
  try {
    await c.ready();
    assert.deepEqual(keys(), [['10.0.0.1:80', '10.0.0.2:80'], ['10.0.1.1:81']]);
    assert.equal(c.prioritySet()[0]!.hosts[1]!.weight, 2);
    assert.ok(lookups.includes('a.test/AUTO'));
    const kept = c.prioritySet()[0]!.hosts[1]!;
    answers.set('a.test', ['10.0.0.2', '10.0.0.3']);
    await waitFor(() => keys()[0]!.includes('10.0.0.3:80'));
    assert.deepEqual(keys(), [['10.0.0.2:80', '10.0.0.3:80'], ['10.0.1.1:81']]);
    assert.equal(c.prioritySet()[0]!.hosts[0], kept, 'host object kept across answers');
    assert.equal(stats.get('cluster.dns.membership_total'), 3);
    fail = true;
    const n = lookups.length;
    await waitFor(() => lookups.length >= n + 4);
    assert.deepEqual(keys(), [['10.0.0.2:80', '10.0.0.3:80'], ['10.0.1.1:81']], 'failed lookups keep the last answer');
  } finally {
    c.close();
  }
  const after = lookups.length;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(lookups.length, after, 'close() stops re-resolution');
});

test('LOGICAL_DNS: one host keyed by name, connecting to the current first address', async () => {
  let first = ['10.0.0.1', '10.0.0.9'];
  const lookup: DnsLookup = async () => first;
  const c = new ClusterImpl(clusterConfig('logical', { type: 'LOGICAL_DNS', dns_refresh_rate: 10 }, [locality('a', [lbEndpoint('svc.test', 443)])]), {
    stats: new FakeStats(),
    lbFactory: fakeLb(),
    lookup,
  });
  try {
    await c.ready();
    const hosts = c.prioritySet()[0]!.hosts;
    assert.equal(hosts.length, 1);
    const h = hosts[0]!;
    assert.deepEqual([h.key, h.address, h.hostname, h.port], ['svc.test:443', '10.0.0.1', 'svc.test', 443]);
    first = ['10.0.0.5'];
    await waitFor(() => h.address === '10.0.0.5');
    assert.equal(c.prioritySet()[0]!.hosts[0], h);
  } finally {
    c.close();
  }
});

test('dns_lookup_family filtering', () => {
  const a = [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];
  assert.deepEqual(pickFamily(a, 'AUTO'), ['::1']);
  assert.deepEqual(pickFamily(a, 'V4_PREFERRED'), ['127.0.0.1']);
  assert.deepEqual(pickFamily(a, 'V4_ONLY'), ['127.0.0.1']);
  assert.deepEqual(pickFamily(a, 'V6_ONLY'), ['::1']);
  assert.deepEqual(pickFamily(a, 'ALL'), ['::1', '127.0.0.1']);
  assert.deepEqual(pickFamily([{ address: '127.0.0.1', family: 4 }], 'AUTO'), ['127.0.0.1']);
});
