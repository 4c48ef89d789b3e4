// E2E: a second sidecar, gateway or control plane on a host, started on a port another process holds, exits 1
// naming the flag to change (not a bare EADDRINUSE or a stack trace).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './harness.js';

/** Runs `trellis ARGS` to its exit; killed at the deadline (a proxy that did start would otherwise run on). */
function run(args: string[]): Promise<{ code: number | string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000, killSignal: 'SIGKILL' }, (err, _out, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? (err as { signal?: string }).signal ?? 'killed'), stderr }),
    );
  });
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function assertNamed(r: { code: number | string; stderr: string }, flag: string, port: number, who: string): void {
  assert.equal(r.code, 1, r.stderr);
  const message = `${flag} ${port} is already in use (${who} on this host? pass ${flag} 0 or a free port)`;
  assert.match(r.stderr, new RegExp(escape(message)), r.stderr);
  assert.doesNotMatch(r.stderr, /EADDRINUSE|\n\s+at .*:\d+:\d+/, 'no bare EADDRINUSE, no stack trace');
}

/** A port held by this test, on the loopback the commands bind. */
async function hold(): Promise<{ port: number; close(): Promise<void> }> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

describe('ports already in use', { timeout: 120_000 }, () => {
  let held: { port: number; close(): Promise<void> };
  let dir = '';
  let bootstrap = '';
  before(async () => {
    held = await hold();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-eaddr-'));
    bootstrap = path.join(dir, 'bootstrap.yaml');
    fs.writeFileSync(bootstrap, 'admin:\n  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }\nstatic_resources:\n  listeners: []\n  clusters: []\n');
  });
  after(async () => {
    await held.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sidecar = (flags: Record<string, string>): string[] => {
    const all: Record<string, string> = { '--outbound-port': '0', '--inbound-port': '0', '--admin-port': '0', '--prometheus-port': '0', ...flags };
    return ['--control-plane', '127.0.0.1:1', ...Object.entries(all).flat()];
  };

  for (const flag of ['--admin-port', '--outbound-port', '--inbound-port', '--prometheus-port']) {
    it(`trellis proxy --control-plane names ${flag}`, async () => {
      assertNamed(await run(['proxy', ...sidecar({ [flag]: String(held.port) })]), flag, held.port, 'another sidecar');
    });
  }

  it('trellis gateway names --admin-port', async () => {
    assertNamed(await run(['gateway', ...sidecar({ '--admin-port': String(held.port) })]), '--admin-port', held.port, 'another sidecar');
  });

  it('trellis proxy -c names --admin-port when the admin server cannot bind', async () => {
    assertNamed(await run(['proxy', '-c', bootstrap, '--admin-port', String(held.port)]), '--admin-port', held.port, 'another sidecar');
  });

  for (const [flag, extra] of [['--http-port', ['--xds-tls-port', '0']], ['--xds-tls-port', ['--http-port', '0']], ['--xds-port', ['--insecure-xds', '--xds-tls-port', '0', '--http-port', '0']]] as const) {
    it(`trellis control names ${flag}`, async () => {
      const data = fs.mkdtempSync(path.join(dir, 'cp-'));
      assertNamed(await run(['control', '--data-dir', data, flag, String(held.port), ...extra]), flag, held.port, 'another trellis control');
    });
  }
});
