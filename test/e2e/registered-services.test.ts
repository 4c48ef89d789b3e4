// E2E: a service known only from a registered sidecar (`--service reviews`, no Service applied) is listed by
// `get svc` (read-only, marked as coming from registered workloads) and resolves for `analyze`, as Istio's registry does;
// its proxy goes by istioctl's short name or WORKLOAD.NAMESPACE.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startUpstream, waitFor, type Upstream } from './harness.js';
import { cli, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
`;

describe('services from registered workloads', { timeout: 60_000 }, () => {
  let control: Control;
  let app: Upstream;
  let sidecar: Sidecar | undefined;
  before(async () => {
    control = await startControl();
    app = await startUpstream('reviews');
  });
  after(async () => {
    await sidecar?.stop();
    await control?.stop();
    await app?.close();
  });

  it('get svc lists them and analyze knows their hosts; they go with their workloads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-reg-'));
    const file = path.join(dir, 'vs.yaml');
    fs.writeFileSync(file, VS);
    const before = await cli(control, ['analyze', '-f', file]);
    assert.match(before.stdout + before.stderr, /IST0101.*reviews/, 'nothing declares reviews yet');

    sidecar = await startSidecar(control, { service: 'reviews', labels: 'app=reviews,version=v1', servicePort: 9080, appPort: app.port, serviceAccount: 'reviews' });
    const svc = await waitFor(async () => {
      const r = await cli(control, ['get', 'svc']);
      return /^reviews\s/m.test(r.stdout) ? r : undefined;
    }, 15_000, 'reviews listed by get svc', 100);
    assert.match(svc!.stdout, /^reviews\s+ClusterIP\s+9080\/TCP\s/m);
    const one = await cli(control, ['get', 'svc', 'reviews', '-o', 'yaml']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /trellis\.io\/origin: registered workloads/);
    const after = await cli(control, ['analyze', '-f', file]);
    assert.doesNotMatch(after.stdout + after.stderr, /IST0101/, after.stdout);

    // its proxy has istioctl's short name, and the workload's name finds it too
    const ps = await cli(control, ['proxy-status']);
    assert.match(ps.stdout, /^reviews-v1-[b-z2-9]{5}\.default\s/m, ps.stdout);
    const pc = await cli(control, ['pc', 'listeners', 'reviews-v1.default']);
    assert.equal(pc.code, 0, pc.stderr);
    assert.match(pc.stdout, /inbound/);

    await sidecar.stop();
    sidecar = undefined;
    await waitFor(async () => (!/^reviews\s/m.test((await cli(control, ['get', 'svc'])).stdout) ? true : undefined), 20_000, 'reviews gone with its workload', 200);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
