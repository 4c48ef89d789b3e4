// Benchmark: what Istio's metrics and access logs cost per request — maximum throughput (wrk) through a client sidecar →
// server sidecar → app path over mTLS with telemetry off (a Telemetry disabling every metric), with Istio's default
// metrics, and with metrics plus a file access log (Istio's default format), in alternating rounds of one run.
//
//   node dist/bench/telemetry.js [--duration 8] [--rounds 3] [--conns 16] [--json FILE]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchFlags } from './bench-flags.js';
import { startBenchMesh } from './bench-mesh.js';
import { cpuSecondsOf } from './child-process.js';

interface Options {
  durationS: number;
  rounds: number;
  conns: number;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const f = benchFlags(argv, { duration: 8, rounds: 3, conns: 16 }, ['json']);
  return { durationS: f.duration, rounds: f.rounds, conns: f.conns, ...(f.json !== undefined ? { json: f.json } : {}) };
}

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: bench}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
`;

const telemetry = (spec: string): string => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: bench, namespace: bench}
spec: ${spec}
`;

const MODES = {
  off: telemetry('{metrics: [{overrides: [{match: {metric: ALL_METRICS}, disabled: true}]}]}'),
  metrics: undefined,
  'metrics+logs': telemetry('{accessLogging: [{providers: [{name: file-log}]}]}'),
} as const;
type Mode = keyof typeof MODES;

interface Round {
  mode: Mode;
  rps: number;
  errors: number;
  /** CPU seconds of both sidecars per 1000 requests. */
  cpuPer1000: number;
}

/** wrk's max throughput over `conns` keep-alive connections; non-2xx answers count as errors. */
function wrk(port: number, host: string, conns: number, durationS: number): Promise<{ rps: number; requests: number; errors: number }> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${conns}`, `-d${durationS}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], (err, stdout) => {
      if (err !== null) return reject(new Error(`wrk failed (install Debian's wrk): ${err.message}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const errors = non2xx + (sock === null ? 0 : sock.slice(1).reduce((n, x) => n + Number(x), 0));
      resolve({ rps, requests, errors });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'trellis-bench-telemetry-'));
  const logFile = path.join(tmp, 'access.log');
  const meshFile = path.join(tmp, 'mesh.yaml');
  fs.writeFileSync(meshFile, `extensionProviders:\n- name: file-log\n  envoyFileAccessLog: {path: ${logFile}}\n`);
  const mesh = await startBenchMesh('telemetry', ['--mesh-config', meshFile]);
  try {
    await mesh.apply(SERVICE);
    const server = await mesh.sidecar('echo', ['--app-port', String(mesh.appPort)]);
    const client = await mesh.sidecar('client', []);
    const host = 'echo.bench:8080';
    const rounds: Round[] = [];
    for (let i = 0; i < o.rounds; i++) {
      for (const mode of Object.keys(MODES) as Mode[]) {
        const text = MODES[mode];
        if (text === undefined) await mesh.remove(['Telemetry/bench/bench']).catch(() => undefined);
        else await mesh.apply(text);
        await new Promise((res) => setTimeout(res, 1000)); // the LDS push reaches both sidecars
        await mesh.serving(client, host);
        await wrk(client.outbound, host, o.conns, 1); // warm the pools and the JIT for this listener version
        const cpu0 = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid);
        const r = await wrk(client.outbound, host, o.conns, o.durationS);
        const cpu = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid) - cpu0;
        const round: Round = { mode, rps: r.rps, errors: r.errors, cpuPer1000: (cpu / Math.max(1, r.requests)) * 1000 };
        rounds.push(round);
        process.stdout.write(`round ${i + 1} ${mode.padEnd(13)} ${r.rps.toFixed(0)} req/s, ${r.errors} errors, CPU ${round.cpuPer1000.toFixed(3)} s per 1000 req\n`);
      }
    }
    const of = (m: Mode) => rounds.filter((r) => r.mode === m);
    const summary = Object.fromEntries(
      (Object.keys(MODES) as Mode[]).map((m) => [m, { rps: median(of(m).map((r) => r.rps)), cpuPer1000: median(of(m).map((r) => r.cpuPer1000)), errors: of(m).reduce((n, r) => n + r.errors, 0) }]),
    ) as Record<Mode, { rps: number; cpuPer1000: number; errors: number }>;
    const cost = (m: Mode): string => `${((1 - summary[m].rps / summary.off.rps) * 100).toFixed(1)} % throughput, CPU ${((summary[m].cpuPer1000 / summary.off.cpuPer1000 - 1) * 100).toFixed(1)} %`;
    process.stdout.write(
      `\nmedian of ${o.rounds} rounds, wrk -c${o.conns}, two sidecars over mTLS (CPU of both):\n` +
        (Object.keys(MODES) as Mode[]).map((m) => `  ${m.padEnd(13)} ${summary[m].rps.toFixed(0)} req/s, CPU ${summary[m].cpuPer1000.toFixed(3)} s/1000 req, ${summary[m].errors} errors\n`).join('') +
        `  Istio metrics cost:         ${cost('metrics')} (target < 10 % throughput)\n` +
        `  metrics + access logs cost: ${cost('metrics+logs')}\n` +
        `  access log lines written: ${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').length - 1 : 0}\n`,
    );
    if (o.json !== undefined) fs.writeFileSync(o.json, JSON.stringify({ ...o, summary, rounds }, null, 2) + '\n');
  } finally {
    await mesh.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
