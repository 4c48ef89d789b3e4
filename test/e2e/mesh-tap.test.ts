// E2E: live tap — `trellis tap SERVICE` against a real control plane and two mTLS sidecars shows each request (method, path, status, principals), honours --path, never shows Authorization/Cookie values, refuses a non-admin caller, and stopping the CLI stops the proxy's session.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, startUpstream, stopProcess, waitFor, type Upstream } from './harness.js';
import { applyYaml, startControl, startSidecar, type Control, type Sidecar } from './mesh-harness.js';

function call(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host: 'httpbin.foo:8000', ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A running `trellis tap` child; `out()` is what it printed so far. */
function tapCli(control: Control, args: string[], token = control.token()): { proc: ChildProcess; out(): string; err(): string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'tap', ...args, '--server', control.url], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRELLIS_TOKEN: token } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return { proc, out: () => out, err: () => err, exited };
}

async function adminStat(sc: Sidecar, name: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: sc.adminPort, path: `/stats?filter=${encodeURIComponent(name)}`, agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('e2e: trellis tap', () => {
  let control: Control;
  let app: Upstream;
  const sidecars: Sidecar[] = [];
  let server: Sidecar;
  let client: Sidecar;

  before(async () => {
    control = await startControl();
    app = await startUpstream('httpbin.foo');
    const applied = await applyYaml(control, `apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo, labels: {app: httpbin}}
spec:
  ports: [{name: http, port: 8000, targetPort: ${app.port}}]
  selector: {app: httpbin}
`);
    assert.equal(applied.code, 0, applied.stderr);
    server = await startSidecar(control, { service: 'httpbin', namespace: 'foo', labels: 'app=httpbin,version=v1', servicePort: 8000, appPort: app.port, serviceAccount: 'httpbin' });
    sidecars.push(server);
    client = await startSidecar(control, { service: 'curl', namespace: 'foo', labels: 'app=curl', servicePort: 80, serviceAccount: 'curl' });
    sidecars.push(client);
    await waitFor(async () => (await call(client.outboundPort, '/warmup')) === 200, 15_000, 'traffic through both sidecars', 100);
  });

  after(async () => {
    for (const sc of sidecars) await sc.stop();
    await control?.stop();
    await app?.close();
  });

  it('streams live requests with method, path, status and identities; --path filters; secrets never shown; Ctrl-C exits 0 and stops the session', async () => {
    const tap = tapCli(control, ['httpbin', '-n', 'foo', '--path', '/api']);
    try {
      await waitFor(async () => {
        await call(client.outboundPort, '/api/items?token=QUERYSECRET', { authorization: 'Bearer AUTHSECRET', cookie: 'sid=COOKIESECRET' });
        await call(client.outboundPort, '/other');
        return tap.out().includes(':path=/api/items');
      }, 15_000, 'a tapped request', 200);
      const line = tap.out().split('\n').find((l) => l.includes(':path=/api/items'))!;
      assert.match(line, /:method=GET/);
      assert.match(line, /status=200/);
      assert.match(line, /tls=true/);
      assert.match(line, /src=curl\.foo /, 'the caller by workload, from the peer metadata exchange');
      assert.match(line, /dst=httpbin-v1\.foo/);
      assert.ok(!tap.out().includes(':path=/other'), '--path filters');
      for (const secret of ['AUTHSECRET', 'COOKIESECRET', 'QUERYSECRET']) assert.ok(!tap.out().includes(secret), `${secret} leaked`);
      assert.equal(await adminStat(server, 'tap.sessions_active'), 1);
    } finally {
      tap.proc.kill('SIGINT');
    }
    assert.equal(await tap.exited, 0, tap.err());
    await waitFor(async () => (await adminStat(server, 'tap.sessions_active')) === 0, 10_000, 'the proxy session stopped', 100);
    const sent = await adminStat(server, 'tap.events_sent');
    for (let i = 0; i < 5; i++) await call(client.outboundPort, '/api/after');
    await new Promise((r) => setTimeout(r, 300)); // longer than one flush interval: nothing more may be sent
    assert.equal(await adminStat(server, 'tap.events_sent'), sent, 'no events after the tap stopped');
  });

  it('-o json prints the API events', async () => {
    const tap = tapCli(control, ['httpbin-v1', '-n', 'foo', '-o', 'json']);
    try {
      await waitFor(async () => {
        await call(client.outboundPort, '/json-check', { authorization: 'Bearer AUTHSECRET' });
        return tap.out().includes('/json-check');
      }, 15_000, 'a tapped request', 200);
      const e = JSON.parse(tap.out().split('\n').find((l) => l.includes('/json-check'))!) as Record<string, unknown>;
      assert.equal(e.reporter, 'destination');
      assert.equal(e.status, 200);
      assert.equal(e.method, 'GET');
      assert.equal((e.destination as { workload: string }).workload, 'httpbin-v1');
      // the caller as the peer metadata exchange told it (istio.stats), not only its certificate
      assert.equal((e.source as { workload: string }).workload, 'curl');
      assert.equal((e.source as { principal: string }).principal, 'spiffe://cluster.local/ns/foo/sa/curl', 'and by the identity its certificate proved');
      assert.ok(!tap.out().includes('AUTHSECRET'));
    } finally {
      tap.proc.kill('SIGINT');
    }
    assert.equal(await tap.exited, 0);
  });

  it('refuses a caller without the admin credential', async () => {
    const tap = tapCli(control, ['httpbin', '-n', 'foo'], 'not-the-admin-token');
    const code = await tap.exited;
    assert.equal(code, 1);
    assert.match(tap.err(), /401|refused/);
    await stopProcess(tap.proc);
  });
});
