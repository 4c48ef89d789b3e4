// Tests: the DFP DNS cache with fake timers — shared lookups, host_ttl expiry at refresh, max_hosts, failures, timeouts.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { DnsCacheConfig } from '../../../../src/proxy/config/types.js';
import { DnsCache, type DnsHostInfo } from '../../../../src/proxy/upstream/dfp/dns-cache.js';
import { DnsCacheManager } from '../../../../src/proxy/upstream/dfp/dns-cache-manager.js';
import { FakeStats } from '../fake-stats.js';

function config(over: Partial<DnsCacheConfig> = {}): DnsCacheConfig {
  return {
    name: 'dfp',
    dns_lookup_family: 'V4_ONLY',
    dns_refresh_rate: 1000,
    host_ttl: 2500,
    max_hosts: 1024,
    max_pending_requests: 1024,
    dns_query_timeout: 0,
    preresolve_hostnames: [],
    ...over,
  };
}

/** A resolver answering from a table; a name mapped to an Error fails with it, to null never answers. */
class FakeResolver {
  readonly calls: string[] = [];
  constructor(readonly table: Record<string, string[] | Error | null>) {}
  readonly lookup = (name: string): Promise<string[]> => {
    this.calls.push(name);
    const a = this.table[name];
    if (a === null) return new Promise(() => {});
    if (a === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    return a instanceof Error ? Promise.reject(a) : Promise.resolve([...a]);
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(over: Partial<DnsCacheConfig>, table: Record<string, string[] | Error | null>) {
  let clock = 0;
  const stats = new FakeStats();
  const resolver = new FakeResolver(table);
  const cache = new DnsCache(config(over), { stats, lookup: resolver.lookup, now: () => clock });
  const events: string[] = [];
  cache.subscribe({ onHostAddOrUpdate: (i) => events.push(`add ${i.key}=${i.address}`), onHostRemove: (k) => events.push(`remove ${k}`) });
  const tick = async (ms: number): Promise<void> => {
    clock += ms;
    mock.timers.tick(ms);
    await flush();
  };
  return { cache, stats, resolver, events, tick, stat: (n: string) => stats.get(`dns_cache.dfp.${n}`) };
}

function withTimers(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      await fn();
    } finally {
      mock.timers.reset();
    }
  };
}

test('DNS cache: concurrent loads share one lookup; then the host is in the cache with its port (default or given)', withTimers(async () => {
  const { cache, resolver, events, stat } = setup({}, { 'api.example': ['10.0.0.7', '10.0.0.8'] });
  const done: DnsHostInfo[] = [];
  const a = cache.load('API.example', 80, (i) => done.push(i));
  const b = cache.load('api.example:80', 443, (i) => done.push(i));
  assert.equal(a.status, 'loading');
  assert.equal(b.status, 'loading');
  await flush();
  assert.deepEqual(resolver.calls, ['api.example'], 'one lookup for both, the name lower-cased');
  assert.equal(done.length, 2);
  assert.equal(done[0]!.address, '10.0.0.7');
  assert.deepEqual(events, ['add api.example:80=10.0.0.7']);
  const c = cache.load('api.example', 80, () => assert.fail('no callback for a cached host'));
  assert.equal(c.status, 'in-cache');
  assert.equal(c.status === 'in-cache' && c.info.key, 'api.example:80');
  assert.equal(cache.load('api.example:8443', 80, () => {}).status, 'loading', 'another port is another entry');
  assert.equal(cache.size, 2);
  assert.equal(stat('host_added'), 2);
  assert.equal(stat('num_hosts'), 2);
  assert.equal(stat('dns_query_attempt'), 2);
  assert.equal(cache.load('bad host', 80, () => {}).status, 'invalid');
  cache.close();
}));

test('DNS cache: a host unused for host_ttl is purged at its next refresh; a use keeps it (fake timers)', withTimers(async () => {
  const { cache, resolver, events, tick, stat } = setup({ dns_refresh_rate: 1000, host_ttl: 2500 }, { a: ['10.0.0.1'], b: ['10.0.0.2'] });
  cache.load('a', 80, () => {});
  cache.load('b', 80, () => {});
  await flush();
  await tick(1000); // refresh: both used 1000 ms ago
  await tick(1000); // 2000 ms
  assert.deepEqual(resolver.calls, ['a', 'b', 'a', 'b', 'a', 'b'], 'refreshed every dns_refresh_rate');
  assert.equal(cache.load('b', 80, () => {}).status, 'in-cache'); // b used at 2000
  await tick(999);
  assert.equal(cache.size, 2);
  await tick(1); // 3000: a unused for 3000 > 2500 goes; b (1000) is resolved again
  assert.equal(cache.find('a:80'), undefined);
  assert.ok(cache.find('b:80'));
  assert.deepEqual(events, ['add a:80=10.0.0.1', 'add b:80=10.0.0.2', 'remove a:80']);
  assert.equal(stat('host_removed'), 1);
  assert.equal(stat('num_hosts'), 1);
  await tick(2000); // 5000: b unused since 2000 -> 3000 > 2500
  assert.equal(cache.size, 0);
  assert.deepEqual(events.slice(3), ['remove b:80']);
  const calls = resolver.calls.length;
  await tick(10_000);
  assert.equal(resolver.calls.length, calls, 'no timers left for purged hosts');
  cache.close();
}));

test('DNS cache: max_hosts bounds the entries; known hosts still load and room frees up when one expires', withTimers(async () => {
  const { cache, tick, stat } = setup({ max_hosts: 2, dns_refresh_rate: 1000, host_ttl: 500 }, { a: ['10.0.0.1'], b: ['10.0.0.2'], c: ['10.0.0.3'] });
  cache.load('a', 80, () => {});
  cache.load('b', 80, () => {});
  assert.equal(cache.load('c', 80, () => assert.fail()).status, 'overflow', 'pending lookups count too');
  await flush();
  assert.equal(cache.load('c', 80, () => assert.fail()).status, 'overflow');
  assert.equal(stat('host_overflow'), 2);
  assert.equal(cache.load('a', 80, () => {}).status, 'in-cache');
  await tick(1000); // both unused for 1000 > 500
  assert.equal(cache.size, 0);
  assert.equal(cache.load('c', 80, () => {}).status, 'loading');
  cache.close();
}));

test('DNS cache: a failed lookup reports its reason and is retried on the next use; a resolved host keeps its address when a refresh fails', withTimers(async () => {
  const table: Record<string, string[] | Error | null> = { up: ['10.0.0.1'] };
  const { cache, resolver, tick, stat, events } = setup({ dns_refresh_rate: 1000, dns_failure_refresh_rate: 200 }, table);
  const got: DnsHostInfo[] = [];
  assert.equal(cache.load('nope.invalid', 80, (i) => got.push(i)).status, 'loading');
  await flush();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.address, undefined);
  assert.equal(got[0]!.details, 'ENOTFOUND');
  assert.equal(stat('dns_query_failure'), 1);
  assert.equal(cache.load('nope.invalid', 80, () => {}).status, 'loading', 'looked up again, not answered from the failure');
  await flush();
  assert.equal(resolver.calls.filter((n) => n === 'nope.invalid').length, 2);
  cache.load('up', 80, () => {});
  await flush();
  table.up = Object.assign(new Error('temporary'), { code: 'EAI_AGAIN' });
  await tick(1000);
  assert.equal(cache.find('up:80')?.address, '10.0.0.1', 'kept through the failed refresh');
  table.up = ['10.0.0.9'];
  await tick(200); // retried after dns_failure_refresh_rate
  assert.equal(cache.find('up:80')?.address, '10.0.0.9');
  assert.deepEqual(events, ['add up:80=10.0.0.1', 'add up:80=10.0.0.9']);
  assert.equal(stat('host_address_changed'), 2);
  cache.close();
}));

test('DNS cache: dns_query_timeout fails a lookup that does not answer (fake timers)', withTimers(async () => {
  const { cache, tick, stat } = setup({ dns_query_timeout: 500 }, { slow: null });
  const got: DnsHostInfo[] = [];
  cache.load('slow', 80, (i) => got.push(i));
  await tick(499);
  assert.equal(got.length, 0);
  await tick(1);
  assert.equal(got[0]?.details, 'resolve_timeout');
  assert.equal(stat('dns_query_timeout'), 1);
  cache.close();
}));

test('DNS cache: IP literals need no lookup; a cancelled load is not called back', withTimers(async () => {
  const { cache, resolver } = setup({}, {});
  const got: string[] = [];
  cache.load('[::1]:8080', 80, (i) => got.push(i.key));
  const r = cache.load('127.0.0.1', 80, () => got.push('cancelled'));
  assert.equal(r.status, 'loading');
  if (r.status === 'loading') r.cancel();
  await flush();
  assert.deepEqual(resolver.calls, []);
  assert.deepEqual(got, ['[::1]:8080']);
  assert.equal(cache.find('127.0.0.1:80')?.address, '127.0.0.1');
  cache.close();
}));

test('DNS cache: dns_cache_circuit_breaker max_pending_requests', () => {
  const stats = new FakeStats();
  const cache = new DnsCache(config({ max_pending_requests: 1 }), { stats, lookup: async () => [] });
  assert.equal(cache.tryStartPending(), true);
  assert.equal(cache.tryStartPending(), false);
  assert.equal(stats.get('dns_cache.dfp.dns_rq_pending_overflow'), 1);
  cache.endPending();
  assert.equal(cache.tryStartPending(), true);
  cache.close();
});

test('DNS cache manager: one cache per name; a changed config under the same name gets a new cache', () => {
  const m = new DnsCacheManager({ stats: new FakeStats(), lookup: async () => [] });
  const a = m.get(config());
  assert.equal(m.get(config()), a);
  const b = m.get(config({ host_ttl: 1 }));
  assert.notEqual(b, a);
  assert.equal(m.get(config({ host_ttl: 1 })), b);
  m.close();
});
