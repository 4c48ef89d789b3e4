// E2E: `trellis demo` as a newcomer runs it — the mesh comes up, the gateway serves the product page with all three
// reviews versions, the three things the banner suggests do what it says, Ctrl-C leaves no process, and a second
// run on the same data starts again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, waitFor } from './harness.js';
import { portFree } from '../../src/common/port-in-use.js';

const SAMPLES = path.resolve(path.dirname(CLI), '../../../samples/bookinfo');

interface Demo {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** A base whose demo ports (N+12, N+14, N+80, N+100…N+169) are free now. */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 120) * 100; // below the ephemeral range, as the demo's ports are
    const offsets = [12, 14, 80, ...Array.from({ length: 70 }, (_, i) => 100 + i)];
    const free = await Promise.all(offsets.map((o) => portFree('127.0.0.1', base + o)));
    if (free.every(Boolean)) return base;
  }
}

function startDemo(cwd: string, args: string[]): Demo {
  const proc = spawn(process.execPath, [CLI, 'demo', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

/** `trellis ARGS` from the demo's directory, as a user in a second terminal would type it (plus --server for the moved port). */
function trellis(cwd: string, server: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--server', server], { cwd, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

async function page(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.text();
}

/** What `n` loads of the page show: the reviews versions and the unavailable backends, counted. */
async function loads(url: string, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = await page(url);
    for (const m of body.matchAll(/Reviews served by: <b>(reviews-v\d)<\/b>|(details|reviews) unavailable \((HTTP \d+)/g)) {
      const k = m[1] ?? `${m[2]} ${m[3]}`;
      seen[k] = (seen[k] ?? 0) + 1;
    }
  }
  return seen;
}

/** The pids of the apps the workloads' `trellis run` started, from the demo's logs. */
function appPids(dataDir: string): number[] {
  const logs = path.join(dataDir, 'logs');
  return fs
    .readdirSync(logs)
    .flatMap((f) => [...fs.readFileSync(path.join(logs, f), 'utf8').matchAll(/app \(pid (\d+)\)/g)].map((m) => Number(m[1])));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('trellis demo', { timeout: 240_000 }, () => {
  let cwd = '';
  let base = 0;
  let demo: Demo | undefined;
  before(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-demo-'));
    base = await freeBase();
  });
  after(() => {
    if (demo !== undefined && demo.proc.exitCode === null) demo.proc.kill('SIGKILL');
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('runs bookinfo behind the gateway, does what its banner suggests, and Ctrl-C leaves nothing running', async () => {
    demo = startDemo(cwd, ['--port-base', String(base), '--rps', '5']);
    const d = demo;
    await waitFor(() => d.proc.exitCode !== null || /Ctrl-C stops everything/.test(d.output()), 90_000, 'the demo banner', 100);
    assert.equal(d.proc.exitCode, null, d.output());
    const url = `http://127.0.0.1:${base + 80}/productpage`;
    const server = `http://127.0.0.1:${base + 14}`;
    assert.match(d.output(), new RegExp(`http://127\\.0\\.0\\.1:${base + 80}/productpage`));
    assert.ok(fs.existsSync(path.join(cwd, '.trellis', 'admin-token')), 'the control plane keeps its data in ./.trellis');

    // all three versions answer through the gateway
    const versions = await loads(url, 30);
    assert.deepEqual(Object.keys(versions).sort(), ['reviews-v1', 'reviews-v2', 'reviews-v3'], JSON.stringify(versions));

    // the CLI in a second terminal: seven proxies, all in sync
    const ps = await trellis(cwd, server, ['proxy-status']);
    assert.equal(ps.code, 0, ps.stderr);
    const rows = ps.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 7, ps.stdout);
    for (const r of rows) assert.match(r, /SYNCED\s+SYNCED\s+SYNCED\s+SYNCED$/, r);

    // the traffic generator reports
    await waitFor(() => /^traffic: \d+ requests in 10s — 200: \d+/m.test(d.output()), 15_000, 'a traffic line');

    // deny a call: productpage may not call reviews
    const deny = path.join(SAMPLES, 'deny-reviews.yaml');
    assert.equal((await trellis(cwd, server, ['apply', '-f', deny])).code, 0);
    await waitFor(async () => /reviews unavailable \(HTTP 403/.test(await page(url)), 10_000, 'reviews denied');
    // explain answers "which policy denied me" first, from the sidecars' own xDS and RBAC engine
    const why = await trellis(cwd, server, ['explain', '--from', 'productpage-v1', 'GET', 'http://reviews:9080/reviews/0']);
    assert.equal(why.code, 0, why.stderr);
    assert.match(why.stdout.split('\n')[1]!, /^✗ 403 \(RBAC: access denied\) at reviews-v\d-\w{5}\.default: denied by AuthorizationPolicy default\/deny-productpage rule 0$/, why.stdout);
    assert.match(why.stdout, /mTLS mode STRICT/);
    assert.match(why.stdout, /mTLS, expects spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-reviews/);
    assert.equal((await trellis(cwd, server, ['delete', '-f', deny])).code, 0);
    await waitFor(async () => /Reviews served by/.test(await page(url)), 10_000, 'reviews allowed again');

    // shift traffic: v1 and v3 only
    const shift = path.join(SAMPLES, 'reviews-50-v3.yaml');
    assert.equal((await trellis(cwd, server, ['apply', '-f', shift])).code, 0);
    await waitFor(async () => {
      const seen = await loads(url, 20);
      return seen['reviews-v2'] === undefined && (seen['reviews-v1'] ?? 0) > 0 && (seen['reviews-v3'] ?? 0) > 0;
    }, 15_000, 'reviews split between v1 and v3');

    // inject a fault: some pages say details failed with 503, the page itself still loads
    const fault = path.join(SAMPLES, 'details-fault.yaml');
    assert.equal((await trellis(cwd, server, ['apply', '-f', fault])).code, 0);
    await waitFor(async () => ((await loads(url, 10))['details HTTP 503'] ?? 0) > 0, 15_000, 'details faults');
    const fromGateway = await trellis(cwd, server, ['explain', '--from', 'istio-ingressgateway', `http://127.0.0.1:${base + 80}/productpage`]);
    assert.match(fromGateway.stdout.split('\n')[1]!, /^→ productpage\.default\.svc\.cluster\.local:9080 by VirtualService default\/bookinfo$/, fromGateway.stdout);
    const faulty = await trellis(cwd, server, ['explain', '--from', 'productpage-v1.default', 'http://details:9080/details/0']);
    assert.match(faulty.stdout, /fault injection aborts 50% with 503/, faulty.stdout);
    const shifted = await trellis(cwd, server, ['explain', '--from', 'productpage', 'http://reviews:9080/reviews/0']);
    assert.match(shifted.stdout.split('\n')[1]!, /subset v1 \(weight 50\), .* subset v3 \(weight 50\) by VirtualService default\/reviews/, shifted.stdout);
    const nowhere = await trellis(cwd, server, ['explain', '--from', 'productpage', 'http://nowhere:9080/']);
    assert.match(nowhere.stdout, /✗ 404 \(NR\): no virtual host/);

    const apps = appPids(path.join(cwd, '.trellis'));
    assert.equal(apps.length, 6);
    d.proc.kill('SIGINT');
    assert.equal(await d.exited, 0, d.output());
    assert.match(d.output(), /stopped; the mesh config stays in \.trellis/);
    assert.deepEqual(apps.filter(alive), [], 'no app outlives the demo');
    for (const o of [12, 14, 80]) assert.ok(await portFree('127.0.0.1', base + o), `port ${base + o} released`);
  });

  it('starts again on the data of the first run', async () => {
    demo = startDemo(cwd, ['--port-base', String(base), '--rps', '0']);
    const d = demo;
    await waitFor(() => d.proc.exitCode !== null || /Ctrl-C stops everything/.test(d.output()), 90_000, 'the demo banner', 100);
    assert.equal(d.proc.exitCode, null, d.output());
    // the first run's changes are still there: the shifted reviews
    const seen = await loads(`http://127.0.0.1:${base + 80}/productpage`, 10);
    assert.equal(seen['reviews-v2'], undefined, JSON.stringify(seen));
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.output());
  });
});
