// E2E (issue #3 "Done when"): a real `trellis control`, sidecars from `trellis proxy --control-plane` around reviews v1/v2 (HTTP),
// greeter v1/v2 (gRPC) and a productpage client; `trellis apply` of a canary VirtualService changes the split within a second,
// `trellis rollback --to N` restores all-v1 routing, with no failed request during either switch (HTTP keep-alive, new
// connections, HTTP-proxy form, requests in flight across the switch, gRPC over one h2c connection); an invalid multi-document
// apply changes nothing; a control-plane restart on the same data dir drops no request either.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { ECHO, type EchoClient } from '../control/xds/echo-service.js';
import { sleep, startUpstream, waitFor, type Upstream } from './harness.js';
import { applyYaml, cli, proxies, serviceWithSubsets, startControl, startSidecar, weightedVirtualService, type Control, type Sidecar } from './mesh-harness.js';

const BASE = [serviceWithSubsets('reviews', 9080), weightedVirtualService('reviews', { v1: 100 }), serviceWithSubsets('greeter', 50051, 'grpc'), weightedVirtualService('greeter', { v1: 100 })].join('---');

const CANARY = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter, namespace: default}
spec:
  hosts: [greeter]
  http:
  - route:
    - {destination: {host: greeter, subset: v1}, weight: 50}
    - {destination: {host: greeter, subset: v2}, weight: 50}
`;

// three distinct errors in two documents: weights summing to 120, a malformed timeout, a DestinationRule without host
const INVALID = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - timeout: soon
    route:
    - {destination: {host: reviews, subset: v1}, weight: 60}
    - {destination: {host: reviews, subset: v2}, weight: 60}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  subsets: [{name: v1, labels: {version: v1}}]
`;

interface Sample {
  kind: 'http' | 'grpc';
  start: number;
  end: number;
  version?: string;
  error?: string;
}

/** A gRPC app (greeter) answering its version. */
async function greeterApp(version: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(ECHO, { Say: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(version)) });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { server, port };
}

/** The app of each reviews version: answers its version in the body and x-version (after 400 ms for /slow). */
function reviewsApp(version: string): Promise<Upstream> {
  return startUpstream(`reviews-${version}`, (req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = (): void => {
        res.setHeader('x-version', version);
        res.end(version);
      };
      if (req.url === '/slow') setTimeout(answer, 400);
      else answer();
    });
  });
}

describe('mesh: canary and rollback through trellis control, sidecars and the CLI', { timeout: 60_000 }, () => {
  let cp: Control;
  const sidecars: Sidecar[] = [];
  const apps: Upstream[] = [];
  const grpcApps: grpc.Server[] = [];
  let client: Sidecar;
  /** productpage's gRPC channel to greeter:50051 through its sidecar (h2c, one long-lived connection). */
  let greeter: EchoClient;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const samples: Sample[] = [];
  let loopRunning = false;
  let loopDone: Promise<void> = Promise.resolve();

  /** One request from productpage's app to reviews through its sidecar's outbound port. */
  const callReviews = (host: string, keepAlive = true, path = '/reviews/0'): Promise<Sample> => {
    const start = performance.now();
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: client.outboundPort, path, headers: { host }, agent: keepAlive ? agent : false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const end = performance.now();
          if (res.statusCode === 200 && (body === 'v1' || body === 'v2') && res.headers['x-version'] === body) resolve({ kind: 'http', start, end, version: body });
          else resolve({ kind: 'http', start, end, error: `${res.statusCode} ${JSON.stringify(body.slice(0, 200))} flags=${String(res.headers['x-envoy-response-flags'] ?? '')}` });
        });
        res.on('error', (e) => resolve({ kind: 'http', start, end: performance.now(), error: e.message }));
      });
      req.on('error', (e) => resolve({ kind: 'http', start, end: performance.now(), error: e.message }));
      req.end();
    });
  };

  /** One gRPC call from productpage's app to greeter through its sidecar's outbound port. */
  /** `deadlineMs` short while waiting for convergence: a call started before the greeter side switched to h2 must not use up the wait. */
  const callGreeter = (deadlineMs = 5000): Promise<Sample> => {
    const start = performance.now();
    return new Promise((resolve) => {
      greeter.Say(Buffer.from('hi'), { deadline: Date.now() + deadlineMs }, (err, res) => {
        const end = performance.now();
        const body = res?.toString() ?? '';
        if (err === null && (body === 'v1' || body === 'v2')) resolve({ kind: 'grpc', start, end, version: body });
        else resolve({ kind: 'grpc', start, end, error: err !== null ? `grpc ${err.code} ${err.details}` : `grpc body ${JSON.stringify(body)}` });
      });
    });
  };

  const HOSTS = ['reviews:9080', 'reviews.default.svc.cluster.local', 'reviews', 'reviews.default:9080'];

  /**
   * Continuous traffic: three HTTP keep-alive workers, one opening a connection per request, one using the sidecar as an HTTP
   * proxy (absolute-form URL), one with requests that stay in flight 400 ms (across the switch), and two gRPC workers.
   */
  const startLoop = (): void => {
    loopRunning = true;
    const one = (w: number, i: number): Promise<Sample> => {
      const host = HOSTS[(i + w) % HOSTS.length]!;
      switch (w) {
        case 0:
          return callReviews(host, false);
        case 1:
          return callReviews('reviews:9080', true, 'http://reviews:9080/reviews/0');
        case 2:
          return callReviews(host, true, '/slow');
        case 6:
        case 7:
          return callGreeter();
        default:
          return callReviews(host);
      }
    };
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; loopRunning; i++) samples.push(await one(w, i));
    };
    loopDone = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker)).then(() => undefined);
  };
  const stopLoop = async (): Promise<void> => {
    loopRunning = false;
    await loopDone;
  };
  const failures = (from = 0): Sample[] => samples.slice(from).filter((s) => s.error !== undefined);

  const burst = async (n: number, kind: 'http' | 'grpc' = 'http'): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => (kind === 'grpc' ? callGreeter() : callReviews(HOSTS[(i + j) % HOSTS.length]!))));
      for (const s of batch) {
        const k = s.version ?? `error: ${s.error}`;
        counts[k] = (counts[k] ?? 0) + 1;
      }
    }
    return counts;
  };

  const revisions = async (): Promise<{ revision: number; message: string }[]> => {
    const r = await cli(cp, ['history', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { revision: number; message: string }[];
  };

  before(async () => {
    cp = await startControl({ keepDataDir: true });
    for (const v of ['v1', 'v2']) {
      const app = await reviewsApp(v);
      apps.push(app);
      sidecars.push(await startSidecar(cp, { service: 'reviews', labels: `app=reviews,version=${v}`, servicePort: 9080, appPort: app.port }));
    }
    for (const v of ['v1', 'v2']) {
      const app = await greeterApp(v);
      grpcApps.push(app.server);
      sidecars.push(await startSidecar(cp, { service: 'greeter', labels: `app=greeter,version=${v}`, servicePort: 50051, appPort: app.port }));
    }
    client = await startSidecar(cp, { service: 'productpage', labels: 'app=productpage,version=v1', servicePort: 9080 });
    sidecars.push(client);
    const Ctor = grpc.makeGenericClientConstructor(ECHO, 'Echo');
    greeter = new Ctor(`127.0.0.1:${client.outboundPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'greeter:50051' }) as unknown as EchoClient;
  });

  after(async () => {
    loopRunning = false;
    await loopDone.catch(() => undefined);
    agent.destroy();
    greeter?.close();
    for (const g of grpcApps) g.forceShutdown();
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all(apps.map((a) => a.close()));
    if (cp !== undefined) {
      await cp.stop();
      fs.rmSync(cp.dataDir, { recursive: true, force: true });
    }
  });

  it('applies Service + DestinationRule + VirtualService (100% v1) with the CLI: all traffic goes to v1', async () => {
    const r = await applyYaml(cp, BASE, 'reviews: all v1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /revision \d+/);
    await waitFor(async () => (await callReviews('reviews:9080')).version === 'v1', 5000, 'reviews reachable through the client sidecar');
    // both reviews sidecars registered (v2 is routable once the canary comes)
    await waitFor(async () => (await callGreeter(1000)).version === 'v1', 5000, 'greeter reachable (gRPC) through the client sidecar');
    await waitFor(async () => (await proxies(cp)).length === 5, 5000, 'five proxies connected');
    assert.deepEqual(await burst(200), { v1: 200 });
    assert.deepEqual(await burst(100, 'grpc'), { v1: 100 });
  });

  /** `trellis proxy-status -o json` until all five proxies are SYNCED; then every xDS type of each is SYNCED with no error. */
  const allSynced = async (): Promise<void> => {
    const status = await waitFor(
      async () => {
        const r = await cli(cp, ['proxy-status', '-o', 'json']);
        assert.equal(r.code, 0, r.stderr);
        const ps = JSON.parse(r.stdout) as { id: string; status?: string; types?: Record<string, { status?: string; error?: string }> }[];
        return ps.length === 5 && ps.every((p) => p.status === 'SYNCED') ? ps : undefined;
      },
      5000,
      'all proxies SYNCED',
    );
    for (const p of status!) {
      assert.deepEqual(Object.keys(p.types ?? {}).sort(), ['CDS', 'EDS', 'LDS', 'RDS'], p.id);
      for (const [t, s] of Object.entries(p.types ?? {})) {
        assert.equal(s.status, 'SYNCED', `${p.id} ${t}`);
        assert.ok(s.error === undefined || s.error === '', `${p.id} ${t}: ${s.error}`);
      }
    }
  };

  it('every proxy is SYNCED (trellis proxy-status -o json)', allSynced);

  let beforeCanary = 0;
  let canaryMs = 0;
  let rollbackMs = 0;

  it('a canary VirtualService (50/50) changes the split within a second, with no failed request', async () => {
    beforeCanary = Math.max(...(await revisions()).map((r) => r.revision));
    startLoop();
    await sleep(300);
    const from = samples.length;
    const r = await applyYaml(cp, CANARY, 'reviews: canary 50/50');
    assert.equal(r.code, 0, r.stderr);
    for (const kind of ['http', 'grpc'] as const) {
      const firstV2 = await waitFor(() => samples.slice(from).find((s) => s.kind === kind && s.version === 'v2'), 3000, `first v2 ${kind} response`);
      const ms = Math.max(0, firstV2!.end - r.endedAt);
      assert.ok(ms < 1000, `first v2 ${kind} response ${ms.toFixed(0)} ms after the apply completed`);
      canaryMs = Math.max(canaryMs, ms);
    }
    await sleep(300);
    await stopLoop();
    assert.deepEqual(failures(), [], 'failed requests during the canary switch');
    const counts = await burst(400);
    assert.deepEqual(Object.keys(counts).sort(), ['v1', 'v2'], JSON.stringify(counts));
    const share = counts.v2! / 400;
    assert.ok(share > 0.38 && share < 0.62, `v2 share ${share} (${JSON.stringify(counts)})`);
    const g = await burst(300, 'grpc');
    assert.deepEqual(Object.keys(g).sort(), ['v1', 'v2'], JSON.stringify(g));
    assert.ok(g.v2! / 300 > 0.36 && g.v2! / 300 < 0.64, `gRPC v2 share (${JSON.stringify(g)})`);
    await allSynced();
  });

  it('trellis rollback --to N (from trellis history -o json) restores all-v1 routing within a second, with no failed request', async () => {
    const hist = await revisions();
    assert.equal(hist[hist.length - 1]!.message, 'reviews: canary 50/50');
    assert.equal(hist[hist.length - 2]!.revision, beforeCanary);
    startLoop();
    await sleep(300);
    const from = samples.length;
    const r = await cli(cp, ['rollback', '--to', String(beforeCanary)]);
    assert.equal(r.code, 0, r.stderr);
    // switched once a run of 50 consecutive responses (issued after the rollback) are all v1
    await waitFor(
      () => {
        const after = samples.slice(from).filter((s) => s.start >= r.endedAt);
        return after.length >= 50 && after.slice(-50).every((s) => s.version === 'v1');
      },
      5000,
      'only v1 after the rollback',
    );
    const lastV2 = samples
      .slice(from)
      .filter((s) => s.version === 'v2')
      .reduce((m, s) => Math.max(m, s.start), r.endedAt);
    rollbackMs = lastV2 - r.endedAt;
    assert.ok(rollbackMs < 1000, `last v2 request started ${rollbackMs.toFixed(0)} ms after the rollback completed`);
    await sleep(200);
    await stopLoop();
    assert.deepEqual(failures(), [], 'failed requests during the rollback');
    assert.deepEqual(await burst(300), { v1: 300 });
    assert.deepEqual(await burst(200, 'grpc'), { v1: 200 });
    await allSynced();
    const after = await revisions();
    assert.equal(after.length, hist.length + 1);
    const vs = await cli(cp, ['get', 'vs', 'reviews', '-o', 'json']);
    assert.equal(vs.code, 0, vs.stderr);
    assert.deepEqual((JSON.parse(vs.stdout) as { spec: { http: { route: { weight?: number }[] }[] } }).spec.http[0]!.route.length, 1);
    process.stdout.write(`# measured: canary switch ${canaryMs.toFixed(0)} ms, rollback switch ${rollbackMs.toFixed(0)} ms, ${samples.length} requests in the loops, 0 failed\n`);
  });

  it('an invalid multi-document apply exits 1 naming every error, and neither the history nor the traffic changes', async () => {
    const hist = await revisions();
    startLoop();
    const from = samples.length;
    const r = await applyYaml(cp, INVALID, 'broken');
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const text = r.stderr + r.stdout;
    // every error names the resource and the field
    assert.match(text, /\b3 errors\b/, text);
    assert.match(text, /VirtualService default\/reviews: spec\.http\[0\]\.route\[\d\]\.weight: .*100/, text);
    assert.match(text, /VirtualService default\/reviews: spec\.http\[0\]\.timeout: .*"soon"/, text);
    assert.match(text, /DestinationRule default\/ratings: spec\.host: /, text);
    const errorLines = text.split('\n').filter((l) => /(VirtualService|DestinationRule) default\//.test(l));
    assert.ok(errorLines.length >= 3, text);
    await sleep(500);
    await stopLoop();
    assert.deepEqual(failures(from), []);
    assert.ok(samples.slice(from).every((s) => s.version === 'v1'));
    assert.deepEqual(await revisions(), hist);
    assert.deepEqual(await burst(100), { v1: 100 });
    assert.deepEqual(await burst(50, 'grpc'), { v1: 50 });
  });

  it('with the control plane down, proxies keep serving their last config; restarted on the same store, they reconnect and follow new applies', async () => {
    const hist = await revisions();
    const from = samples.length;
    startLoop();
    await sleep(200);
    const { dataDir, xdsTlsPort, httpPort } = cp;
    await cp.stop();
    await sleep(1000);
    const duringOutage = samples.slice(from);
    assert.ok(duringOutage.length > 50, `only ${duringOutage.length} requests while the control plane was down`);
    const restartAt = performance.now();
    cp = await startControl({ dataDir, xdsTlsPort, httpPort, keepDataDir: true });
    const startedAt = performance.now();
    assert.deepEqual(await revisions(), hist, 'revisions persisted across the restart');
    await waitFor(
      async () => {
        const ps = await proxies(cp);
        return ps.length === 5 && ps.every((p) => p.status === 'SYNCED');
      },
      15_000,
      'all five proxies reconnected and SYNCED',
    );
    const mark = samples.length;
    const r = await applyYaml(cp, CANARY, 'reviews: canary again');
    assert.equal(r.code, 0, r.stderr);
    for (const kind of ['http', 'grpc'] as const) {
      const firstV2 = await waitFor(() => samples.slice(mark).find((s) => s.kind === kind && s.version === 'v2'), 3000, `first v2 ${kind} response after the restart`);
      assert.ok(firstV2!.end - r.endedAt < 1000, `${kind} switched ${(firstV2!.end - r.endedAt).toFixed(0)} ms after the apply`);
    }
    await sleep(200);
    await stopLoop();
    const failed = failures(from);
    const summary = [...new Set(failed.map((f) => `${f.kind} ${f.error}`))];
    await allSynced();
    assert.deepEqual(summary, [], `${failed.length} failed requests across the outage, restart and apply, from ${((failed[0]?.start ?? 0) - restartAt).toFixed(0)} to ${((failed[failed.length - 1]?.end ?? 0) - restartAt).toFixed(0)} ms after the restart (control plane up after ${(startedAt - restartAt).toFixed(0)} ms)`);
  });
});
