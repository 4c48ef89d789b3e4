// Benchmark: what Istio's metrics and access logs cost per request — maximum throughput (wrk) through a client sidecar →
// server sidecar → app path over mTLS with telemetry off (a Telemetry disabling every metric), with Istio's default
// metrics, and with metrics plus a file access log (Istio's default format), in alternating rounds of one run.
//
// With --protocol tcp the service is opaque TCP (tcp_proxy on both sidecars, Istio's TCP metrics and peer exchange);
// --new-connections opens a connection per request, so per-connection costs (the exchange, the series) show.
//
//   node dist/bench/telemetry.js [--duration 8] [--rounds 3] [--conns 16] [--modes off,metrics,metrics+logs]
//                                [--protocol http|tcp] [--new-connections] [--json FILE]
import fs from 'node:fs';
import path from 'node:path';
import { benchFlags } from './bench-flags.js';
import { startBenchMesh } from './bench-mesh.js';
import { cpuSecondsOf } from './child-process.js';
import { applyMode, ECHO_HOST, isMode, MODES, SERVICE, tcpService, type Mode } from './telemetry-modes.js';
import { wrk } from './wrk.js';
import { freePort } from '../src/common/free-port.js';

interface Options {
  durationS: number;
  rounds: number;
  conns: number;
  modes: Mode[];
  protocol: 'http' | 'tcp';
  newConnections: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const newConnections = argv.includes('--new-connections');
  const f = benchFlags(argv.filter((a) => a !== '--new-connections'), { duration: 8, rounds: 3, conns: 16 }, ['json', 'modes', 'protocol']);
  const modes = (f.modes ?? Object.keys(MODES).join(',')).split(',');
  const bad = modes.filter((m) => !isMode(m));
  if (bad.length > 0 || !modes.includes('off')) throw new Error(`--modes: a comma list with off and some of ${Object.keys(MODES).join(', ')}; got ${f.modes}`);
  const protocol = f.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'tcp') throw new Error(`--protocol: http or tcp, got ${protocol}`);
  return { durationS: f.duration, rounds: f.rounds, conns: f.conns, modes: modes as Mode[], protocol, newConnections, ...(f.json !== undefined ? { json: f.json } : {}) };
}


interface Round {
  round: number;
  mode: Mode;
  rps: number;
  errors: number;
  /** CPU seconds of both sidecars per 1000 requests. */
  cpuPer1000: number;
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
    const egressPort = o.protocol === 'tcp' ? await freePort() : 0;
    await mesh.apply(o.protocol === 'tcp' ? tcpService(egressPort) : SERVICE);
    const server = await mesh.sidecar('echo', ['--app-port', String(mesh.appPort)]);
    const sidecar = await mesh.sidecar('client', []);
    // over TCP the client's app connects to its egress listener, not to the HTTP outbound listener
    const client = o.protocol === 'tcp' ? { ...sidecar, outbound: egressPort } : sidecar;
    const host = ECHO_HOST;
    const rounds: Round[] = [];
    for (let i = 0; i < o.rounds; i++) {
      // ABBA order: a drift of the machine's load over the run does not favour the mode that always goes first
      const order = i % 2 === 0 ? o.modes : [...o.modes].reverse();
      for (const mode of order) {
        await applyMode(mesh, mode);
        await new Promise((res) => setTimeout(res, 1000)); // the LDS push reaches both sidecars
        await mesh.serving(client, host);
        await wrk(client.outbound, host, o.conns, 1, o.newConnections); // warm the pools and the JIT for this listener version
        const cpu0 = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid);
        const r = await wrk(client.outbound, host, o.conns, o.durationS, o.newConnections);
        const cpu = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid) - cpu0;
        const round: Round = { round: i + 1, mode, rps: r.rps, errors: r.errors, cpuPer1000: (cpu / Math.max(1, r.requests)) * 1000 };
        rounds.push(round);
        process.stdout.write(`round ${i + 1} ${mode.padEnd(13)} ${r.rps.toFixed(0)} req/s, ${r.errors} errors, CPU ${round.cpuPer1000.toFixed(3)} s per 1000 req\n`);
      }
    }
    const of = (m: Mode): Round[] => rounds.filter((r) => r.mode === m);
    // each round's cost against the same round's off figure, then the median: drift between rounds cancels out
    const paired = (m: Mode, f: (r: Round, off: Round) => number): number =>
      median(of(m).map((r) => f(r, rounds.find((x) => x.mode === 'off' && x.round === r.round)!)));
    const summary = Object.fromEntries(
      o.modes.map((m) => [
        m,
        {
          rps: median(of(m).map((r) => r.rps)),
          cpuPer1000: median(of(m).map((r) => r.cpuPer1000)),
          errors: of(m).reduce((n, r) => n + r.errors, 0),
          throughputCostPct: paired(m, (r, off) => (1 - r.rps / off.rps) * 100),
          cpuCostPct: paired(m, (r, off) => (r.cpuPer1000 / off.cpuPer1000 - 1) * 100),
        },
      ]),
    ) as Record<Mode, { rps: number; cpuPer1000: number; errors: number; throughputCostPct: number; cpuCostPct: number }>;
    const cost = (m: Mode): string =>
      `${summary[m].throughputCostPct.toFixed(1)} % throughput, CPU ${summary[m].cpuCostPct >= 0 ? '+' : ''}${summary[m].cpuCostPct.toFixed(1)} % (medians of per-round pairs)`;
    process.stdout.write(
      `\nmedian of ${o.rounds} rounds, wrk -c${o.conns}${o.newConnections ? ' (a connection per request)' : ''}, two sidecars over mTLS, ${o.protocol.toUpperCase()} (CPU of both):\n` +
        o.modes.map((m) => `  ${m.padEnd(13)} ${summary[m].rps.toFixed(0)} req/s, CPU ${summary[m].cpuPer1000.toFixed(3)} s/1000 req, ${summary[m].errors} errors\n`).join('') +
        (o.modes.includes('metrics') ? `  Istio metrics cost:         ${cost('metrics')} (target < 10 % throughput)\n` : '') +
        (o.modes.includes('metrics+logs')
          ? `  metrics + access logs cost: ${cost('metrics+logs')}\n` +
            `  access log lines written: ${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').length - 1 : 0}\n`
          : ''),
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
