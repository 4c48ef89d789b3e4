// Benchmark: CPU profiles of both sidecars of the telemetry benchmark's mesh under wrk load, in one telemetry mode;
// compare two runs (--mode off / --mode metrics) to see where the metrics cost goes.
//
//   node dist/bench/telemetry-profile.js --mode metrics --dir /tmp/prof [--duration 10] [--conns 16]
// writes DIR/server/*.cpuprofile and DIR/client/*.cpuprofile (node's --cpu-prof, written when the sidecar exits)
import fs from 'node:fs';
import path from 'node:path';
import { benchFlags } from './bench-flags.js';
import { startBenchMesh } from './bench-mesh.js';
import { cpuSecondsOf } from './child-process.js';
import { applyMode, ECHO_HOST, isMode, MODES, SERVICE } from './telemetry-modes.js';
import { wrk } from './wrk.js';

async function main(): Promise<void> {
  const f = benchFlags(process.argv.slice(2), { duration: 10, conns: 16 }, ['mode', 'dir']);
  const mode = f.mode ?? 'metrics';
  if (!isMode(mode)) throw new Error(`--mode: one of ${Object.keys(MODES).join(', ')}`);
  if (f.dir === undefined) throw new Error('--dir DIR is required');
  const dir = path.resolve(f.dir);
  const prof = (side: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, side)}`];
  const mesh = await startBenchMesh('telemetry-profile');
  try {
    await mesh.apply(SERVICE);
    await applyMode(mesh, mode); // before the sidecars start: their first listeners are the measured ones
    const server = await mesh.sidecar('echo', ['--app-port', String(mesh.appPort)], prof('server'));
    const client = await mesh.sidecar('client', [], prof('client'));
    await mesh.serving(client, ECHO_HOST);
    const warm = await wrk(client.outbound, ECHO_HOST, f.conns, 2); // JIT warm-up
    const cpu0 = [cpuSecondsOf(server.child.pid), cpuSecondsOf(client.child.pid)];
    const r = await wrk(client.outbound, ECHO_HOST, f.conns, f.duration);
    const us = (pid: number, c0: number): string => (((cpuSecondsOf(pid) - c0) / Math.max(1, r.requests)) * 1e6).toFixed(1);
    process.stdout.write(
      `${mode}: ${r.rps.toFixed(0)} req/s, ${r.errors} errors; CPU per request: server ${us(server.child.pid, cpu0[0]!)} µs, client ${us(client.child.pid, cpu0[1]!)} µs\n`,
    );
    // what the profiles cover, to compare them per request
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'requests.txt'), `${warm.requests + r.requests}\n`);
  } finally {
    await mesh.close();
  }
  for (const side of ['server', 'client']) {
    const files = fs.existsSync(path.join(dir, side)) ? fs.readdirSync(path.join(dir, side)) : [];
    process.stdout.write(`${side}: ${files.map((x) => path.join(dir, side, x)).join(' ') || 'no profile written'}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
