// E2E: a second sidecar or control plane on a host, started on ports another process holds, exits 1 naming the flag
// to change (not a bare EADDRINUSE stack).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './harness.js';

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, _out, stderr) => resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stderr }));
  });
}

describe('ports already in use', { timeout: 60_000 }, () => {
  let held: net.Server;
  let port = 0;
  let dir = '';
  before(async () => {
    held = net.createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    port = (held.address() as net.AddressInfo).port;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-eaddr-'));
  });
  after(() => {
    held.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trellis proxy --control-plane names --admin-port and --outbound-port', async () => {
    const r = await run(['proxy', '--control-plane', '127.0.0.1:1', '--admin-port', String(port), '--outbound-port', String(port), '--inbound-port', '0', '--prometheus-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`--outbound-port ${port} is already in use \\(another sidecar on this host\\? pass --outbound-port 0`));
    assert.match(r.stderr, new RegExp(`--admin-port ${port} is already in use`));
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  });

  it('trellis control names --http-port', async () => {
    const r = await run(['control', '--data-dir', dir, '--http-port', String(port), '--xds-tls-port', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`--http-port ${port} is already in use \\(another trellis control on this host\\?`));
  });
});
