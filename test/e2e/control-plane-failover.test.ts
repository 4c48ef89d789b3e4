// E2E: a sidecar given several control-plane replicas (`--control-plane a,b,c`) skips one that is down at start, and
// when its control plane goes away it reconnects to another replica (here: the same store and CA served on another
// port), proving itself with its workload certificate, and keeps serving its last config meanwhile.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deadPort, request, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, proxies, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';
import { freePort } from '../../src/common/free-port.js';

describe('control-plane failover', { timeout: 90_000 }, () => {
  let first: Control | undefined;
  let second: Control | undefined;
  let app: Upstream;
  let sidecar: Sidecar;
  let standbyPort = 0;
  before(async () => {
    first = await startControl({ keepDataDir: true });
    standbyPort = await freePort();
    app = await startUpstream('web-v1');
  });
  after(async () => {
    await sidecar?.stop();
    await first?.stop();
    await second?.stop();
    await app.close();
  });

  it('skips a replica that is down, then fails over when its control plane stops', async () => {
    const c1 = first!;
    const replicas = `127.0.0.1:${await deadPort()},127.0.0.1:${c1.xdsTlsPort},127.0.0.1:${standbyPort}`;
    sidecar = await startSidecar(c1, { service: 'web', labels: 'app=web,version=v1', servicePort: 8080, appPort: app.port, extraArgs: ['--control-plane', replicas] });
    assert.equal((await applyYaml(c1, 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n  selector: { app: web }\n  ports: [{ name: http, port: 8080 }]\n')).code, 0);
    await waitFor(async () => (await proxies(c1)).some((p) => p.name.startsWith('web-v1-')), 15_000, 'the sidecar on the first replica');
    const served = async (): Promise<boolean> => (await request(sidecar.outboundPort, { path: '/', host: 'web:8080' })).status === 200;
    await waitFor(served, 15_000, 'traffic through the sidecar');

    // the first replica goes away; the other one serves the same store and CA on the standby port
    const { dataDir } = c1;
    await c1.stop();
    first = undefined;
    assert.ok(await served(), 'the last config keeps serving while no control plane answers');
    second = await startControl({ dataDir, xdsTlsPort: standbyPort });
    const c2 = second;
    await waitFor(async () => (await proxies(c2)).some((p) => p.name.startsWith('web-v1-') && p.status === 'SYNCED'), 30_000, 'the sidecar on the standby replica');
    const seen = (await proxies(c2)).find((p) => p.name.startsWith('web-v1-'))!;
    assert.equal((seen as { identity?: string }).identity, 'spiffe://cluster.local/ns/default/sa/default', 'it proved its identity to the new replica');
    assert.ok(await served());
  });
});
