// Root rotation: who a step waits for — connected proxies without the current bundle, and registered workloads that are
// not connected (a retire before they renewed would lock them out of the control plane).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openCa } from '../../../src/control/ca/ca-state.js';
import { RootRotation } from '../../../src/control/ca/rotation.js';
import { unconnectedProxies, workloadFromProxy } from '../../../src/control/registry/workload.js';
import type { RegisteredWorkload } from '../../../src/control/registry/types.js';
import type { ConnectedProxy } from '../../../src/control/xds/types.js';

const fakeProxy = (id: string, metadata: Record<string, string>): ConnectedProxy => ({ connId: `${id}~1`, id, node: { id, metadata }, metadata, connectedAt: new Date(), mode: 'sotw', peer: '127.0.0.1:1' });

const meta = (ip: string): Record<string, string> => ({ NAMESPACE: 'default', LABELS: 'app=reviews', INSTANCE_IPS: ip });
const reviews = fakeProxy('sidecar~10.0.0.5~reviews-1.default~default.svc.cluster.local', meta('10.0.0.5'));
const ratings = fakeProxy('sidecar~10.0.0.6~ratings-1.default~default.svc.cluster.local', meta('10.0.0.6'));
const registered = [reviews, ratings].map((p) => workloadFromProxy(p)!);

describe('unconnectedProxies', () => {
  it('names registered proxies whose stream is not here, leaving out connected ones and proxyless apps', () => {
    const app: RegisteredWorkload = { ...registered[0]!, key: 'registry/workloads/default/app-1', proxyType: 'proxyless' };
    assert.deepEqual(unconnectedProxies([...registered, app], [reviews]), [`default/${ratings.id}`]);
    assert.deepEqual(unconnectedProxies(registered, [reviews, ratings]), []);
  });
});

describe('RootRotation waiting', () => {
  it('a rotation under way waits for registered workloads that are not connected; a stable mesh does not', async () => {
    const opened = await openCa({ trustDomain: 'cluster.local', log: () => {} });
    let connected = [reviews];
    const rotation = new RootRotation({
      ca: opened.ca,
      persist: () => {},
      trustChanged: () => {},
      connected: () => connected,
      disconnected: () => unconnectedProxies(registered, connected),
      lastSent: () => undefined,
      acked: () => false,
      log: () => {},
    });
    assert.deepEqual(rotation.status().waiting, [], 'stable: nothing to wait for');
    await rotation.step('trust');
    assert.deepEqual(rotation.status().waiting, [{ proxy: `default/${ratings.id}`, lacks: 'a connection to the control plane (registered, not connected)' }]);
    connected = [reviews, ratings];
    assert.deepEqual(rotation.status().waiting, [], 'both connected (neither asked for ROOTCA here, so neither is part of mTLS)');
  });
});
