// E2E: a real `trellis control` guards its API — admin-token file (0600, path printed, token never), writes refused without it (401),
// accepted with --token / TRELLIS_TOKEN / ./.trellis/admin-token, text/plain (415) and foreign Origin (403) refused, `trellis token create`, authenticated history.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { loadIdentityTokenIssuer } from '../../src/control/auth/identity-token.js';
import { CLI, stopProcess } from './harness.js';
import { startControl, type Control } from './mesh-harness.js';

const vs = (name: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}]
  http:
  - route:
    - destination: {host: ${name}}
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it: a chosen working directory and an environment without any inherited TRELLIS_TOKEN. */
function run(args: string[], opts: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (opts.env?.TRELLIS_TOKEN === undefined) delete env.TRELLIS_TOKEN;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    proc.stdin!.end(opts.stdin ?? '');
  });
}

describe('trellis control: authenticated API and identity tokens (process)', { timeout: 60_000 }, () => {
  let home: string;
  let elsewhere: string;
  let cp: Control;
  let token: string;
  const server = (): string[] => ['--server', cp.url];

  before(async () => {
    // the data dir is ./.trellis of `home`, as `trellis control` run there without --data-dir would have it
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-auth-'));
    elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-auth-other-'));
    cp = await startControl({ dataDir: path.join(home, '.trellis') });
    token = cp.token();
  });
  after(async () => {
    await cp.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  it('writes the admin token file with mode 0600 and prints its path, never the token', () => {
    const file = path.join(home, '.trellis', 'admin-token');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(cp.out(), new RegExp(`^admin token: ${file.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.ok(token.length >= 32);
    assert.ok(!cp.out().includes(token));
    assert.equal(fs.statSync(path.join(home, '.trellis', 'identity-signing-key.pem')).mode & 0o777, 0o600);
  });

  it('apply without a credential is refused (401) with a hint saying how to pass one; nothing is committed', async () => {
    const r = await run(['apply', '-f', '-', ...server()], { cwd: elsewhere, stdin: vs('a') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401/);
    assert.match(r.stderr, /--token/);
    assert.match(r.stderr, /TRELLIS_TOKEN/);
    const wrong = await run(['apply', '-f', '-', ...server(), '--token', `${token}x`], { cwd: elsewhere, stdin: vs('a') });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HTTP 401/);
    assert.ok(!wrong.stderr.includes(token), 'the token is never echoed');
    const hist = await run(['history', '-o', 'json', ...server()], { cwd: elsewhere });
    assert.equal(hist.code, 0, hist.stderr);
    assert.deepEqual(JSON.parse(hist.stdout), []);
    const res = await fetch(`${cp.url}/api/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: vs('a') }) });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  it('apply with --token, with TRELLIS_TOKEN, and from ./.trellis/admin-token is accepted', async () => {
    const flag = await run(['apply', '-f', '-', ...server(), '--token', token, '--author', 'alice'], { cwd: elsewhere, stdin: vs('a') });
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(flag.stdout, /revision 1/);
    const env = await run(['apply', '-f', '-', ...server()], { cwd: elsewhere, env: { TRELLIS_TOKEN: token }, stdin: vs('b') });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /revision 2/);
    const file = await run(['apply', '-f', '-', ...server(), '--author', 'carol'], { cwd: home, stdin: vs('c') });
    assert.equal(file.code, 0, file.stderr);
    assert.match(file.stdout, /revision 3/);
  });

  it('history records the authenticated identity, the claimed name only beside it', async () => {
    const r = await run(['history', '-o', 'json', ...server()], { cwd: elsewhere });
    const revs = JSON.parse(r.stdout) as { revision: number; author: string }[];
    assert.equal(revs.length, 3);
    assert.equal(revs[0]!.author, 'admin (alice)');
    assert.match(revs[1]!.author, /^admin\b/);
    assert.equal(revs[2]!.author, 'admin (carol)');
    const table = await run(['history', ...server()], { cwd: elsewhere });
    assert.match(table.stdout, /^1\s+\S+.*admin \(alice\)/m);
  });

  it('a text/plain write and a write from a foreign Origin are refused even with the token; the own origin passes', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const body = JSON.stringify({ text: vs('d') });
    const plain = await fetch(`${cp.url}/api/v1/apply`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body });
    assert.equal(plain.status, 415);
    const form = await fetch(`${cp.url}/api/v1/apply`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(form.status, 415);
    const foreign = await fetch(`${cp.url}/api/v1/apply`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', origin: 'https://evil.example' }, body });
    assert.equal(foreign.status, 403);
    const own = await fetch(`${cp.url}/api/v1/apply`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', origin: cp.url }, body });
    assert.equal(own.status, 200);
    // reads of config stay open
    assert.equal((await fetch(`${cp.url}/api/v1/resources`)).status, 200);
  });

  it('trellis token create prints a token that verifies to the identity, with the SPIFFE subject and the TTL', async () => {
    const denied = await run(['token', 'create', '--namespace', 'default', '--service-account', 'reviews', ...server()], { cwd: elsewhere });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /HTTP 401/);
    const r = await run(['token', 'create', '--namespace', 'default', '--service-account', 'reviews', '--ttl', '10m', ...server()], { cwd: home });
    assert.equal(r.code, 0, r.stderr);
    const jwt = r.stdout.trim();
    assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = decodeJwt(jwt);
    assert.equal(claims.sub, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.ok(Math.abs(claims.exp! - claims.iat! - 600) <= 1);
    // verified with the key the control plane keeps in its data dir
    const { issuer } = await loadIdentityTokenIssuer(path.join(home, '.trellis'), 'cluster.local');
    assert.deepEqual(await issuer.verify(jwt), { ok: true, value: { namespace: 'default', serviceAccount: 'reviews' } });
    const bad = await run(['token', 'create', '--namespace', 'Bad/NS', '--service-account', 'x', ...server()], { cwd: home });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /DNS label/);
  });
  it('a restart reuses the admin token and the signing key (old tokens still verify); --trust-domain sets the SPIFFE domain', async () => {
    const before = (await run(['token', 'create', '--namespace', 'default', '--service-account', 'ratings', ...server()], { cwd: home })).stdout.trim();
    await stopProcess(cp.proc);
    cp = await startControl({ dataDir: path.join(home, '.trellis'), extraArgs: ['--trust-domain', 'example.org'] });
    assert.equal(cp.token(), token);
    const r = await run(['token', 'create', '--namespace', 'prod', '--service-account', 'api', '--ttl', '1h', ...server()], { cwd: home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(decodeJwt(r.stdout.trim()).sub, 'spiffe://example.org/ns/prod/sa/api');
    const { issuer } = await loadIdentityTokenIssuer(path.join(home, '.trellis'), 'example.org');
    assert.deepEqual(await issuer.verify(r.stdout.trim()), { ok: true, value: { namespace: 'prod', serviceAccount: 'api' } });
    const old = await loadIdentityTokenIssuer(path.join(home, '.trellis'), 'cluster.local');
    assert.deepEqual(await old.issuer.verify(before), { ok: true, value: { namespace: 'default', serviceAccount: 'ratings' } });
    const bad = spawnSync(process.execPath, [CLI, 'control', '--data-dir', path.join(home, 'x'), '--trust-domain', 'Bad/Domain'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--trust-domain/);
  });
});
