// E2E (issue #3 "Done when"): proxyless gRPC — a real @grpc/grpc-js-xds client (child process) with target
// xds:///greeter.default.svc.cluster.local:50051 against a real `trellis control`; two @grpc/grpc-js servers (v1, v2) are the
// service's endpoints through WorkloadEntries. A VirtualService/DestinationRule applied with `trellis apply` gives weighted
// subsets, a timeout, retries and fault injection, and the client shows each; the control plane records no NACK.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ECHO } from '../control/xds/echo-service.js';
import { stopProcess, waitFor } from './harness.js';
import { applyYaml, proxies, startControl, type Control } from './mesh-harness.js';
import type { Command, Outcome } from './grpc-xds-client.js';

const TARGET = 'greeter.default.svc.cluster.local:50051';

interface Backend {
  server: grpc.Server;
  port: number;
  /** Attempts that reached this server, per x-test value ('' for none). */
  seen: Map<string, number>;
}

/**
 * A greeter answering `VERSION:request`. With `x-test: flaky*` every odd attempt fails with UNAVAILABLE (v1); with
 * `x-test: slow` the answer takes 1.5 s.
 */
async function startBackend(version: string): Promise<Backend> {
  const seen = new Map<string, number>();
  const server = new grpc.Server();
  server.addService(ECHO, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const test = String(call.metadata.get('x-test')[0] ?? '');
      const n = (seen.get(test) ?? 0) + 1;
      seen.set(test, n);
      const answer = (): void => cb(null, Buffer.from(`${version}:${call.request.toString()}`));
      if (test.startsWith('flaky') && n % 2 === 1) cb({ code: grpc.status.UNAVAILABLE, details: `${version} flaked` });
      else if (test === 'slow') setTimeout(answer, 1500);
      else answer();
    },
  });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { server, port, seen };
}

const mesh = (v1Port: number, v2Port: number, weights: [number, number]): string => `
apiVersion: v1
kind: Service
metadata: {name: greeter, namespace: default}
spec:
  selector: {app: greeter}
  ports: [{name: grpc, port: 50051}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-v1, namespace: default}
spec: {address: 127.0.0.1, labels: {app: greeter, version: v1}, ports: {grpc: ${v1Port}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-v2, namespace: default}
spec: {address: 127.0.0.1, labels: {app: greeter, version: v2}, ports: {grpc: ${v2Port}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: greeter, namespace: default}
spec:
  host: greeter
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter, namespace: default}
spec:
  hosts: [greeter]
  http:
  - name: fault
    match: [{headers: {x-test: {exact: fault}}}]
    fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 100}}}
    route: [{destination: {host: greeter, subset: v1}}]
  - name: slow
    match: [{headers: {x-test: {exact: slow}}}]
    timeout: 300ms
    route: [{destination: {host: greeter, subset: v2}}]
  - name: retry
    match: [{headers: {x-test: {exact: flaky}}}]
    retries: {attempts: 3, retryOn: unavailable}
    route: [{destination: {host: greeter, subset: v1}}]
  - name: no-retry
    match: [{headers: {x-test: {exact: flaky-noretry}}}]
    retries: {attempts: 0}
    route: [{destination: {host: greeter, subset: v1}}]
  - name: split
    route:
    - {destination: {host: greeter, subset: v1}, weight: ${weights[0]}}
    - {destination: {host: greeter, subset: v2}, weight: ${weights[1]}}
`;

/** The @grpc/grpc-js-xds client process. */
class XdsClient {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending = new Map<number, (r: Outcome[]) => void>();
  private nextId = 1;
  stderr = '';
  readonly ready: Promise<void>;

  constructor(xdsPort: number) {
    const bootstrap = {
      xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      // grpc-js-xds rejects a bootstrap whose node has no locality
      node: { id: `proxyless~127.0.0.1~productpage-${process.pid}.default~default.svc.cluster.local`, metadata: { NAMESPACE: 'default', GENERATOR: 'grpc' }, locality: { region: 'r1', zone: 'z1' } },
    };
    this.proc = spawn(process.execPath, [fileURLToPath(new URL('./grpc-xds-client.js', import.meta.url)), TARGET], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout });
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`grpc-xds client exited with ${code}: ${this.stderr}`)));
      this.lines.on('line', (line) => {
        if (line === 'ready') return resolve();
        const msg = JSON.parse(line) as { id: number; results: Outcome[] };
        this.pending.get(msg.id)?.(msg.results);
        this.pending.delete(msg.id);
      });
    });
  }

  run(cmd: Omit<Command, 'id'>): Promise<Outcome[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`grpc-xds client: no answer to ${JSON.stringify(cmd)}; stderr: ${this.stderr}`)), 20_000);
      this.pending.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      this.proc.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
    });
  }

  async close(): Promise<void> {
    this.proc.stdin.end();
    await stopProcess(this.proc);
  }
}

const versions = (rs: Outcome[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rs) {
    const k = r.ok ? r.body!.split(':')[0]! : `error ${r.code}: ${r.details}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

describe('proxyless gRPC: @grpc/grpc-js-xds against trellis control', { timeout: 60_000 }, () => {
  let cp: Control;
  let v1: Backend;
  let v2: Backend;
  let client: XdsClient;

  before(async () => {
    cp = await startControl({ insecureXds: true });
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    const r = await applyYaml(cp, mesh(v1.port, v2.port, [80, 20]), 'greeter: 80/20, fault, timeout, retries');
    assert.equal(r.code, 0, r.stderr);
    client = new XdsClient(cp.xdsPort!);
    await client.ready;
  });

  after(async () => {
    await client?.close();
    v1?.server.forceShutdown();
    v2?.server.forceShutdown();
    await cp?.stop();
  });

  it('weighted subsets: ~80/20 between v1 and v2 over 400 calls', async () => {
    const rs = await client.run({ n: 400, concurrency: 8 });
    const counts = versions(rs);
    assert.deepEqual(Object.keys(counts).sort(), ['v1', 'v2'], JSON.stringify(counts));
    const share = counts.v2! / 400;
    assert.ok(share > 0.12 && share < 0.28, `v2 share ${share} (${JSON.stringify(counts)})`);
  });

  it('fault injection: abort with PERMISSION_DENIED, the backend never sees the call', async () => {
    const rs = await client.run({ n: 20, metadata: { 'x-test': 'fault' } });
    assert.deepEqual(versions(rs), { [`error ${grpc.status.PERMISSION_DENIED}: ${rs[0]!.details}`]: 20 }, JSON.stringify(rs[0]));
    assert.equal(v1.seen.get('fault') ?? 0, 0);
    assert.equal(v2.seen.get('fault') ?? 0, 0);
  });

  it('retries: every call to a flaky v1 (UNAVAILABLE on every other attempt) succeeds; without retries half fail', async () => {
    const rs = await client.run({ n: 20, metadata: { 'x-test': 'flaky' } });
    assert.deepEqual(versions(rs), { v1: 20 });
    assert.equal(v1.seen.get('flaky'), 40, 'each call took two attempts');
    const none = await client.run({ n: 20, metadata: { 'x-test': 'flaky-noretry' } });
    assert.deepEqual(versions(none), { v1: 10, [`error ${grpc.status.UNAVAILABLE}: v1 flaked`]: 10 });
    assert.equal(v1.seen.get('flaky-noretry'), 20);
  });

  it('timeout: a 1.5 s answer on a route with timeout 300ms ends in DEADLINE_EXCEEDED after ~300 ms', async () => {
    const rs = await client.run({ n: 4, concurrency: 4, metadata: { 'x-test': 'slow' }, deadlineMs: 10_000 });
    for (const r of rs) {
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.equal(r.code, grpc.status.DEADLINE_EXCEEDED, JSON.stringify(r));
      assert.ok(r.ms >= 250 && r.ms < 1200, `failed after ${r.ms.toFixed(0)} ms`);
    }
    assert.equal(v2.seen.get('slow'), 4);
  });

  it('a new split applied with trellis apply reaches the client live (100% v2)', async () => {
    const r = await applyYaml(cp, mesh(v1.port, v2.port, [0, 100]), 'greeter: all v2');
    assert.equal(r.code, 0, r.stderr);
    const applied = performance.now();
    await waitFor(async () => versions(await client.run({ n: 10, concurrency: 10 })).v2 === 10, 3000, 'all calls to v2', 10);
    const switchMs = performance.now() - applied;
    assert.ok(switchMs < 1000, `switched after ${switchMs.toFixed(0)} ms`);
    assert.deepEqual(versions(await client.run({ n: 100, concurrency: 8 })), { v2: 100 });
    process.stdout.write(`# measured: proxyless split switch ${switchMs.toFixed(0)} ms\n`);
  });

  it('the control plane records the client SYNCED for every type, with no NACK', async () => {
    const mine = await waitFor(
      async () => {
        const p = (await proxies(cp)).find((x) => x.id.startsWith('proxyless~'));
        return p !== undefined && p.status === 'SYNCED' ? p : undefined;
      },
      5000,
      'proxyless client SYNCED',
    );
    assert.deepEqual(Object.keys(mine!.types ?? {}).sort(), ['CDS', 'EDS', 'LDS', 'RDS']);
    for (const [t, s] of Object.entries(mine!.types ?? {})) {
      assert.equal(s.status, 'SYNCED', t);
      assert.ok(s.error === undefined || s.error === '', `${t} NACKed: ${s.error}`);
    }
  });
});
