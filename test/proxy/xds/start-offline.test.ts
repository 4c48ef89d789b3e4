// Tests: the ADS client when the control plane is down at start — static listeners go live after initial_fetch_timeout, config follows on connect.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdsClient } from '../../../src/proxy/xds/ads-client.js';
import { grpcTransport } from '../../../src/proxy/xds/grpc-transport.js';
import { RouteRegistry } from '../../../src/proxy/xds/route-registry.js';
import { ClusterManagerImpl } from '../../../src/proxy/upstream/cluster-manager.js';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { freePort } from '../../../src/common/free-port.js';
import type { Listener } from '../../../src/proxy/config/types.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/xds/type-urls.js';
import { FakeAds } from './fake-ads.js';
import { cla, edsCluster, listener, routes } from './resources.js';

describe('ADS client with the control plane down at start', () => {
  it('goes live with static config after initial_fetch_timeout, then applies what the control plane sends once it is up', async () => {
    const port = await freePort();
    const applied: string[][] = [];
    const stats = new StatsStore();
    const clusters = new ClusterManagerImpl({ stats });
    const logs: string[] = [];
    const client = new AdsClient({
      node: { id: 'n1' },
      targets: [`127.0.0.1:${port}`],
      grpc: grpcTransport,
      target: {
        clusters,
        listeners: {
          update: async (ls: Listener[]) => {
            applied.push(ls.map((l) => l.name));
          },
          addresses: () => (applied.at(-1) ?? []).map((name) => ({ name, address: '127.0.0.1', port: 1 })),
        },
        routes: new RouteRegistry(),
        staticClusters: [],
        staticListeners: [],
      },
      stats,
      initialFetchTimeoutMs: 300,
      backoff: { baseMs: 50, maxMs: 200 },
      connectTimeoutMs: 200,
      log: (m) => logs.push(m),
    });
    const t0 = Date.now();
    client.start();
    await client.initialized();
    assert.ok(Date.now() - t0 >= 250, 'waited for the initial fetch');
    assert.deepEqual(applied, [[]], 'static listeners (none here) applied after the timeout');
    assert.equal(client.connected, false);

    const ads = new FakeAds();
    ads.set(CLUSTER_TYPE, [edsCluster('c')]);
    ads.set(ENDPOINT_TYPE, [cla('c', [1])]);
    ads.set(LISTENER_TYPE, [listener('late', 0, 'r')]);
    ads.set(ROUTE_TYPE, [routes('r', 'c')]);
    await ads.listen(port);
    try {
      await ads.waitFor(() => ads.acked(LISTENER_TYPE) && ads.acked(ROUTE_TYPE), 5000, 'ACKs after the control plane came up');
      await client.idle();
      assert.deepEqual(applied.at(-1), ['late']);
      assert.ok(clusters.get('c') !== undefined);
      assert.equal(client.connected, true);
    } finally {
      client.close();
      clusters.close();
      await ads.close();
    }
  });
});
