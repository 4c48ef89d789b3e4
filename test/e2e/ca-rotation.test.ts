// E2E: `trellis ca rotate` under steady traffic between real sidecars — both roots trusted, then the new one signs and every
// workload renews, then the old one is retired; no request fails, proxies keep their control-plane stream, state survives a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { request, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, cli, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
`;

interface Rotation {
  phase: string;
  roots: { fingerprint: string; active: boolean }[];
  waiting: unknown[];
}

describe('root rotation under traffic', { timeout: 120_000 }, () => {
  let cp: Control;
  let app: Upstream;
  const sidecars: Sidecar[] = [];
  let client: Sidecar;
  let stop = false;
  const results: number[] = [];
  let loop: Promise<void> | undefined;

  const rotation = async (): Promise<Rotation> => (await (await fetch(`${cp.url}/api/v1/ca/rotation`)).json()) as Rotation;
  /** Waits for a 200 through the mesh; on timeout says what came back and what both sidecars logged. */
  const trafficFlows = async (what: string): Promise<void> => {
    let last = '';
    await waitFor(
      async () => {
        const r = await request(client.outboundPort, { path: '/', host: 'reviews:9080' });
        last = `${r.status} ${r.body.slice(0, 200)}`;
        return r.status === 200;
      },
      30_000,
      what,
      250,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last answer: ${last}\nclient:\n${client.output().slice(-3000)}\nreviews:\n${sidecars[0]!.output().slice(-3000)}`);
    });
  };
  const rootFingerprints = async (): Promise<string[]> => {
    const r = await cli(cp, ['ca', 'root']);
    return (r.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p).fingerprint256);
  };

  before(async () => {
    cp = await startControl({ keepDataDir: true });
    app = await startUpstream('reviews', (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    assert.equal((await applyYaml(cp, SERVICE)).code, 0);
    sidecars.push(await startSidecar(cp, { service: 'reviews', labels: 'app=reviews', servicePort: 9080, appPort: app.port, serviceAccount: 'reviews' }));
    client = await startSidecar(cp, { service: 'productpage', labels: 'app=productpage', servicePort: 9080, serviceAccount: 'productpage' });
    sidecars.push(client);
    await waitFor(async () => (await request(client.outboundPort, { path: '/', host: 'reviews:9080' })).status === 200, 15_000, 'reviews reachable through the mesh');
    loop = (async () => {
      while (!stop) {
        const r = await request(client.outboundPort, { path: '/', host: 'reviews:9080' }).catch(() => ({ status: 0 }));
        results.push(r.status);
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
  });

  after(async () => {
    sidecars[0]?.proc.kill('SIGCONT'); // in case the last test stopped before resuming it
    stop = true;
    await loop;
    await Promise.all(sidecars.map((s) => s.stop()));
    await app?.close();
    await cp?.stop();
  });

  it('trust → activate → retire with every proxy caught up at each step, and no failed request', async () => {
    const [oldRoot] = await rootFingerprints();
    const before = results.length;
    const r = await cli(cp, ['ca', 'rotate', '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /step trust: the mesh trusts the current root and a new one/);
    assert.match(r.stdout, /step activate: the new root signs workload certificates/);
    assert.match(r.stdout, /step retire: the old root is no longer trusted/);
    assert.match(r.stdout, /root rotation done/);
    const roots = await rootFingerprints();
    assert.equal(roots.length, 1);
    assert.notEqual(roots[0], oldRoot);
    // both workloads were issued a certificate by the new root (the control plane logs each issuance)
    const afterActivate = cp.out().slice(cp.out().indexOf('signing with the new root'));
    for (const sa of ['reviews', 'productpage']) assert.match(afterActivate, new RegExp(`ca: issued spiffe://cluster.local/ns/default/sa/${sa} `));
    await new Promise((res) => setTimeout(res, 300));
    const during = results.slice(before);
    assert.ok(during.length > 20, `only ${during.length} requests during the rotation`);
    assert.deepEqual(during.filter((s) => s !== 200), [], 'no request failed during the rotation');
    assert.equal((await rotation()).phase, 'stable');
  });

  it('a step out of order is refused (409) and a rotation step needs the admin credential', async () => {
    const bad = await cli(cp, ['ca', 'rotate', '--step', 'retire']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /cannot retire now: the rotation is stable, the next step is trust/);
    const anon = await fetch(`${cp.url}/api/v1/ca/rotation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"step":"trust"}' });
    assert.equal(anon.status, 401);
  });

  it('an overlap survives a control-plane restart, and the proxies reconnect after it', async () => {
    assert.equal((await cli(cp, ['ca', 'rotate', '--step', 'trust'])).code, 0);
    const trusted = await rootFingerprints();
    assert.equal(trusted.length, 2);
    const { dataDir, xdsTlsPort, httpPort } = cp;
    await cp.stop();
    cp = await startControl({ dataDir, xdsTlsPort, httpPort, keepDataDir: true });
    assert.deepEqual(await rootFingerprints(), trusted);
    assert.equal((await rotation()).phase, 'overlap');
    // the remaining steps: proxies (which reconnected with their certificates) catch up
    const r = await cli(cp, ['ca', 'rotate', '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await rootFingerprints()).length, 1);
    // after a restart the proxies reconnect with backoff, then renew under the new root: on a loaded CI that can take a while
    await trafficFlows('traffic after the second rotation');
  });

  it('a proxy away from activate to retire (its registration lapsed) gets back in with its token and renews', async () => {
    const reviews = sidecars[0]!;
    // every proxy takes the new root into its trust bundle first, so it can still verify the control plane later
    assert.equal((await cli(cp, ['ca', 'rotate', '--step', 'trust'])).code, 0);
    await waitFor(async () => (await rotation()).waiting.length === 0, 30_000, 'every proxy trusts the new root');
    // then reviews is frozen and the control plane restarts, so its stream is gone and stays gone; a short grace lets
    // its registration lapse, after which the rotation no longer waits for it
    reviews.proc.kill('SIGSTOP');
    try {
      const { dataDir, xdsTlsPort, httpPort } = cp;
      await cp.stop();
      cp = await startControl({ dataDir, xdsTlsPort, httpPort, keepDataDir: true, extraArgs: ['--registration-grace', '1s'] });
      const r = await cli(cp, ['ca', 'rotate', '--timeout', '60s']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    } finally {
      reviews.proc.kill('SIGCONT');
    }
    // its certificate chains to the retired root: refused, it proves itself with its token and renews under the new one
    await waitFor(() => /refused the workload certificate/.test(reviews.output()), 30_000, 'reviews notices its certificate was refused').catch((e: Error) => {
      throw new Error(`${e.message}\nreviews:\n${reviews.output().slice(-3000)}`);
    });
    await trafficFlows('traffic after the proxy came back');
  });
});
