// E2E: `trellis run` — an app and its sidecar from one command, knowing only the API URL and the admin token:
// identity from a stored Deployment, mTLS between two injected workloads, PORT / TRELLIS_OUTBOUND / HTTP_PROXY
// given to the app, SIGTERM withdraws the endpoint before the app stops, the app's exit status comes back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, waitFor } from './harness.js';
import { applyYaml, proxies, startControl, type Control } from './mesh-harness.js';

const SERVER_APP = `
import http from 'node:http';
const seen = { port: process.env.PORT, outbound: process.env.TRELLIS_OUTBOUND, proxy: process.env.HTTP_PROXY, adminToken: process.env.TRELLIS_TOKEN !== undefined };
http.createServer((req, res) => res.end(JSON.stringify({ ...seen, xfcc: req.headers['x-forwarded-client-cert'] ?? '' }))).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { process.stdout.write('app: SIGTERM\\n'); process.exit(0); });
`;

// calls hello through its own sidecar as an HTTP proxy (absolute-form request line), prints the answer, exits 7
const CLIENT_APP = `
import http from 'node:http';
const proxy = new URL(process.env.HTTP_PROXY);
http.get({ host: proxy.hostname, port: proxy.port, path: 'http://hello:8000/hi' }, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => { process.stdout.write('answer ' + res.statusCode + ' ' + body + '\\n'); process.exit(7); });
}).on('error', (e) => { process.stdout.write('error ' + e.message + '\\n'); process.exit(9); });
`;

const MESH = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: hello }
---
apiVersion: v1
kind: Service
metadata: { name: hello }
spec:
  selector: { app: hello }
  ports: [{ name: http, port: 8000, targetPort: 9080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: hello-v1 }
spec:
  selector: { matchLabels: { app: hello, version: v1 } }
  template:
    metadata: { labels: { app: hello, version: v1 } }
    spec:
      serviceAccountName: hello
      containers: [{ name: hello, image: hello, ports: [{ containerPort: 9080 }] }]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default }
spec: { mtls: { mode: STRICT } }
`;

interface Run {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function trellisRun(control: Control, args: string[], app: string): Run {
  const env = { ...process.env, TRELLIS_SERVER: control.url, TRELLIS_TOKEN: control.token() };
  const proc = spawn(process.execPath, [CLI, 'run', ...args, '--', process.execPath, app], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

describe('trellis run', { timeout: 90_000 }, () => {
  let control: Control;
  let dir = '';
  const runs: Run[] = [];
  before(async () => {
    control = await startControl();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-run-'));
    fs.writeFileSync(path.join(dir, 'server.mjs'), SERVER_APP);
    fs.writeFileSync(path.join(dir, 'client.mjs'), CLIENT_APP);
    const applied = await applyYaml(control, MESH);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
    await control.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('injects a workload from a stored Deployment, serves its peers over mTLS, and withdraws before its app stops', async () => {
    const hello = trellisRun(control, ['--workload', 'hello-v1'], path.join(dir, 'server.mjs'));
    runs.push(hello);
    const ready = (await waitFor(() => /trellis run: (hello-v1-\w{5})\.default is in the mesh as hello\.default:8000; app \(pid \d+\) has PORT=(\d+)/.exec(hello.output()) ?? undefined, 20_000, 'hello ready'))!;
    assert.ok((await proxies(control)).some((p) => p.name === `${ready[1]}.default`));

    const client = trellisRun(control, ['--service', 'client', '--service-port', '8001'], path.join(dir, 'client.mjs'));
    runs.push(client);
    assert.equal(await client.exited, 7, 'trellis run exits with the app\'s status');
    const answer = /answer (\d+) (\{.*\})/.exec(client.output());
    assert.ok(answer !== null, client.output());
    assert.equal(answer[1], '200');
    const seen = JSON.parse(answer[2]!) as { port: string; outbound: string; proxy: string; adminToken: boolean; xfcc: string };
    assert.equal(seen.port, ready[2], 'the app listens where PORT said');
    assert.match(seen.outbound, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(seen.proxy, seen.outbound);
    assert.equal(seen.adminToken, false, 'the admin credential never reaches the app');
    // the identities were proven by certificates: the caller's default account, hello's from the Deployment
    assert.match(seen.xfcc, /By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/hello/);
    assert.match(seen.xfcc, /URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/default/);

    hello.proc.kill('SIGTERM');
    assert.equal(await hello.exited, 0);
    assert.match(hello.output(), /app: SIGTERM/);
    await waitFor(async () => !(await proxies(control)).some((p) => p.name.startsWith('hello-v1-')), 5000, 'hello withdrawn');
  });

  it('refuses a workload that is not stored, naming it, and starts nothing', async () => {
    const r = trellisRun(control, ['--workload', 'nope'], path.join(dir, 'server.mjs'));
    runs.push(r);
    assert.equal(await r.exited, 1);
    assert.match(r.output(), /--workload nope: no Deployment, StatefulSet or Pod "nope" in namespace "default"/);
  });
});
