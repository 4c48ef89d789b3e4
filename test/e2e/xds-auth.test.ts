// E2E: a proxy joins the mesh only as the identity it can prove — real `trellis control` and `trellis proxy` processes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, stopProcess, waitFor } from './harness.js';
import { cli, meshCredentialArgs, proxies, startControl, type Control } from './mesh-harness.js';

describe('authenticated xDS between real processes', { timeout: 60_000 }, () => {
  let cp: Control;
  before(async () => {
    cp = await startControl();
  });
  after(() => cp?.stop());

  /** Runs `trellis proxy` with `args` until `pattern` shows in its output (or the control plane's), then stops it. */
  async function proxyUntil(args: string[], pattern: RegExp, where: () => string): Promise<string> {
    const proc = spawn(process.execPath, [CLI, 'proxy', ...args, '--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => pattern.test(where() + out), 15_000, `${pattern} in the output`);
      return out;
    } finally {
      await stopProcess(proc);
    }
  }

  it('serves no plaintext xDS unless --insecure-xds', () => {
    assert.match(cp.out(), /^xds-tls listening on 127\.0\.0\.1:\d+$/m);
    assert.doesNotMatch(cp.out(), /^xds listening on/m);
  });

  it('a proxy whose token is for another service account is refused (PERMISSION_DENIED), and never registers', async () => {
    const args = await meshCredentialArgs(cp, 'default', 'reviews');
    const i = args.indexOf('--service-account');
    args[i + 1] = 'productpage';
    const out = await proxyUntil([...args, '--service', 'impostor', '--labels', 'app=impostor', '--service-port', '9080'], /PERMISSION_DENIED/, () => '');
    assert.match(out, /PERMISSION_DENIED/);
    assert.match(cp.out(), /refused stream from .*PERMISSION_DENIED: node \S+ claims ns=default sa=productpage but authenticated as ns=default sa=reviews/);
    assert.equal((await proxies(cp)).filter((p) => p.id.includes('impostor')).length, 0);
  });

  it('a proxy without a token cannot start against the TLS port; a made-up token is UNAUTHENTICATED', async () => {
    const args = await meshCredentialArgs(cp, 'default', 'ratings');
    const tokenAt = args.indexOf('--token-file');
    const noToken = args.filter((_, j) => j !== tokenAt && j !== tokenAt + 1);
    const proc = spawn(process.execPath, [CLI, 'proxy', ...noToken, '--service', 'ratings', '--service-port', '9080', '--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRELLIS_TOKEN: '' },
    });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(err, /give --token-file FILE or TRELLIS_TOKEN/);
    fs.writeFileSync(args[tokenAt + 1]!, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    const out = await proxyUntil([...args, '--service', 'ratings', '--service-port', '9080'], /UNAUTHENTICATED/, () => '');
    assert.match(out, /UNAUTHENTICATED/);
  });

  it('a token from `trellis token create` lets a proxy join as that identity, and it gets its own certificate', async () => {
    const made = await cli(cp, ['token', 'create', '--namespace', 'shop', '--service-account', 'cart', '--ttl', '10m']);
    assert.equal(made.code, 0, made.stderr);
    const file = path.join(cp.dataDir, 'cart-token');
    fs.writeFileSync(file, made.stdout.trim());
    const args = await meshCredentialArgs(cp, 'shop', 'cart');
    args[args.indexOf('--token-file') + 1] = file;
    const out = await proxyUntil([...args, '--namespace', 'shop', '--service', 'cart', '--service-port', '9080'], /workload certificate spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart/, () => '');
    assert.match(out, /identity: workload certificate spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart serial/);
    assert.match(cp.out(), /ca: issued spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart serial/);
  });
});
