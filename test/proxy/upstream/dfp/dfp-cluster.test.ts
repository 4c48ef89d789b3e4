// Tests: a dynamic_forward_proxy cluster picks the host its DNS cache resolved for the request authority.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { DfpClusterType } from '../../../../src/proxy/config/types.js';
import { ClusterImpl } from '../../../../src/proxy/upstream/cluster.js';
import { DnsCacheManager } from '../../../../src/proxy/upstream/dfp/dns-cache-manager.js';
import { clusterConfig, fakeLb } from '../fixtures.js';
import { FakeStats } from '../fake-stats.js';

function dfpType(over: Partial<DfpClusterType['dns_cache_config']> = {}): DfpClusterType {
  return {
    name: 'envoy.clusters.dynamic_forward_proxy',
    allow_insecure_cluster_options: true,
    allow_coalesced_connections: false,
    dns_cache_config: {
      name: 'cache',
      dns_lookup_family: 'V4_ONLY',
      dns_refresh_rate: 1000,
      host_ttl: 1500,
      max_hosts: 10,
      max_pending_requests: 10,
      dns_query_timeout: 0,
      preresolve_hostnames: [],
      ...over,
    },
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

test('DFP cluster: hosts appear as the shared cache resolves authorities and go when it purges them (fake timers)', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  let clock = 0;
  try {
    const stats = new FakeStats();
    const addrs: Record<string, string> = { 'svc.local': '10.1.0.1', other: '10.1.0.2' };
    const caches = new DnsCacheManager({ stats, lookup: async (n) => [addrs[n]!], now: () => clock });
    const cfg = clusterConfig('dfp', { lb_policy: 'CLUSTER_PROVIDED', cluster_type: dfpType() });
    delete cfg.load_assignment;
    const c = new ClusterImpl(cfg, { stats, lbFactory: fakeLb(), dnsCaches: caches });
    await c.ready();
    const cache = caches.get(cfg.cluster_type!.dns_cache_config);
    assert.equal(c.chooseHost({ attempt: 0, authority: 'svc.local' }), null, 'not resolved yet');
    cache.load('svc.local', 80, () => {});
    cache.load('other:8080', 80, () => {});
    await flush();
    const h = c.chooseHost({ attempt: 0, authority: 'SVC.local:80' });
    assert.equal(h?.key, 'svc.local:80');
    assert.equal(h?.address, '10.1.0.1');
    assert.equal(h?.hostname, 'svc.local');
    assert.equal(c.chooseHost({ attempt: 0, authority: 'other:8080' })?.address, '10.1.0.2');
    assert.equal(c.chooseHost({ attempt: 0, authority: 'other' }), null, 'default port 80 is another host');
    assert.equal(c.chooseHost({ attempt: 0 }), null, 'no authority, no host');
    assert.equal(stats.get('cluster.dfp.membership_total'), 2);
    // the address follows a re-resolution in place
    addrs['svc.local'] = '10.1.0.9';
    clock += 1000;
    mock.timers.tick(1000);
    await flush();
    assert.equal(c.chooseHost({ attempt: 0, authority: 'svc.local' }), h);
    assert.equal(h?.address, '10.1.0.9');
    // picking a host counts as using it: svc.local (picked at 1000) outlives other (last used at 0)
    clock += 1000;
    mock.timers.tick(1000);
    await flush();
    assert.equal(c.chooseHost({ attempt: 0, authority: 'other:8080' }), null);
    assert.ok(c.chooseHost({ attempt: 0, authority: 'svc.local' }));
    assert.equal(stats.get('cluster.dfp.membership_total'), 1);
    c.close();
    caches.close();
  } finally {
    mock.timers.reset();
  }
});

test('DFP cluster: default port 443 with a TLS transport socket; EDS pushes are ignored', async () => {
  const stats = new FakeStats();
  const caches = new DnsCacheManager({ stats, lookup: async () => ['10.2.0.1'] });
  const cfg = clusterConfig('dfp', { lb_policy: 'CLUSTER_PROVIDED', cluster_type: dfpType() });
  delete cfg.load_assignment;
  cfg.transport_socket = { name: 'envoy.transport_sockets.tls', typed_config: {} as never };
  const c = new ClusterImpl(cfg, { stats, lbFactory: fakeLb(), dnsCaches: caches });
  caches.get(cfg.cluster_type!.dns_cache_config).load('secure.example', 443, () => {});
  await flush();
  assert.equal(c.chooseHost({ attempt: 0, authority: 'secure.example' })?.key, 'secure.example:443');
  c.setLoadAssignment({ cluster_name: 'dfp', endpoints: [], policy: { overprovisioning_factor: 140, drop_overloads: [] } });
  assert.ok(c.chooseHost({ attempt: 0, authority: 'secure.example:443' }));
  c.close();
  caches.close();
});
