// E2E: `trellis proxy --control-plane` speaks Delta xDS by default against a real `trellis control` — sidecars get their config, traffic routes,
// applies reach them, a SotW sidecar (--xds-api sotw) works next to them, and after a control-plane restart they reconnect and follow new applies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { adminGet, sleep, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, serviceWithSubsets, startControl, startSidecar, weightedVirtualService, type Control, type Sidecar } from './mesh-harness.js';

const mesh = (v1: number, v2: number): string => serviceWithSubsets('reviews', 9080) + '---' + weightedVirtualService('reviews', { v1, v2 });

interface ProxyView {
  id: string;
  status?: string;
  types?: Record<string, { status?: string }>;
}

/** The ADS api_type a sidecar's bootstrap asks for (admin /config_dump). */
async function apiType(s: Sidecar): Promise<string | undefined> {
  const dump = JSON.parse((await adminGet(s.adminPort, '/config_dump')).body) as { bootstrap?: { dynamic_resources?: { ads_config?: { api_type?: string } } } };
  return dump.bootstrap?.dynamic_resources?.ads_config?.api_type;
}

describe('mesh over Delta xDS (the default of trellis proxy --control-plane)', { timeout: 60_000 }, () => {
  let cp: Control;
  const apps: Upstream[] = [];
  const sidecars: Sidecar[] = [];
  let client: Sidecar;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  /** One request from productpage's app to reviews through its sidecar: the version that answered, or the error. */
  const callReviews = (): Promise<string> =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: client.outboundPort, path: '/', headers: { host: 'reviews:9080' }, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 ? body : `${res.statusCode} ${body.slice(0, 100)}`));
      });
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.end();
    });
  const burst = async (n: number): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const v = await callReviews();
      counts[v] = (counts[v] ?? 0) + 1;
    }
    return counts;
  };
  const proxies = async (): Promise<ProxyView[]> => (await (await fetch(`${cp.url}/api/v1/proxies`)).json()) as ProxyView[];
  const allSynced = (): Promise<ProxyView[] | undefined> =>
    waitFor(async () => {
      const ps = await proxies();
      return ps.length === 3 && ps.every((p) => p.status === 'SYNCED') ? ps : undefined;
    }, 10_000, 'three proxies SYNCED');

  before(async () => {
    cp = await startControl({ keepDataDir: true });
    for (const v of ['v1', 'v2']) {
      const app = await startUpstream(`reviews-${v}`, (req, res) => {
        req.resume();
        req.on('end', () => res.end(v));
      });
      apps.push(app);
      // v2's sidecar stays on state-of-the-world: both protocols side by side
      const extraArgs = v === 'v2' ? ['--xds-api', 'sotw'] : [];
      sidecars.push(await startSidecar(cp, { service: 'reviews', labels: `app=reviews,version=${v}`, servicePort: 9080, appPort: app.port, extraArgs }));
    }
    client = await startSidecar(cp, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9080 });
    sidecars.push(client);
  });

  after(async () => {
    agent.destroy();
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await cp?.stop();
  });

  it('delta sidecars get listeners, clusters, endpoints and routes, turn SYNCED and route traffic', async () => {
    const r = await applyYaml(cp, mesh(100, 0), 'reviews: all v1');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Promise.all(sidecars.map(apiType)), ['DELTA_GRPC', 'GRPC', 'DELTA_GRPC']);
    // the control plane may first route the new Service to all its endpoints, before the VirtualService follows
    await waitFor(async () => (await burst(10)).v1 === 10, 10_000, 'reviews v1 through the client sidecar');
    const ps = (await allSynced())!;
    for (const p of ps) for (const [t, s] of Object.entries(p.types ?? {})) assert.equal(s.status, 'SYNCED', `${p.id} ${t}`);
    assert.deepEqual(await burst(40), { v1: 40 });
    const stats = (await adminGet(client.adminPort, '/stats')).body;
    assert.match(stats, /^control_plane\.connected_state: 1$/m);
    assert.match(stats, /^cluster_manager\.cds\.update_rejected: 0$/m);
    assert.match(stats, /^listener_manager\.lds\.update_rejected: 0$/m);
    assert.doesNotMatch(client.output(), /xds: rejected/);
  });

  it('an apply reaches the delta sidecar: traffic moves to v2 (served through the SotW sidecar)', async () => {
    const r = await applyYaml(cp, mesh(0, 100), 'reviews: all v2');
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await callReviews()) === 'v2', 5000, 'reviews v2');
    assert.deepEqual(await burst(40), { v2: 40 });
    await allSynced();
  });

  it('keeps serving while the control plane is down; after a restart the delta sidecars reconnect and follow new applies', async () => {
    const { dataDir, xdsTlsPort, httpPort } = cp;
    await cp.stop();
    await sleep(300);
    assert.deepEqual(await burst(20), { v2: 20 }, 'the last good config keeps serving');
    cp = await startControl({ dataDir, xdsTlsPort, httpPort, keepDataDir: false });
    await allSynced();
    assert.deepEqual(await burst(20), { v2: 20 });
    const r = await applyYaml(cp, mesh(100, 0), 'reviews: back to v1');
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await callReviews()) === 'v1', 5000, 'reviews v1 after the restart');
    assert.deepEqual(await burst(40), { v1: 40 });
    for (const s of sidecars) assert.doesNotMatch(s.output(), /xds: rejected/, s.output());
  });
});
