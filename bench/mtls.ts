// Benchmark: what mTLS adds between two sidecars — the same client sidecar → server sidecar → app path at a fixed rate,
// in plaintext (DestinationRule tls DISABLE + PeerAuthentication PERMISSIVE) and in mTLS (auto-mTLS, STRICT), in
// alternating rounds of one run; then the server sidecar's rate of full mTLS handshakes on its inbound port.
//
//   node dist/bench/mtls.js [--rate 1000] [--duration 8] [--rounds 3] [--conns 16] [--handshake-s 5] [--json FILE]
import fs from 'node:fs';
import tls from 'node:tls';
import { benchFlags } from './bench-flags.js';
import { startBenchMesh } from './bench-mesh.js';
import { cpuSecondsOf } from './child-process.js';
import { httpCall } from './http-call.js';
import { rateLoad, type RateLoadResult } from './rate-load.js';
import { createCsr } from '../src/common/pki/csr.js';
import { requestCertificate } from '../src/proxy/identity/ca-client.js';

interface Options {
  rate: number;
  durationS: number;
  rounds: number;
  conns: number;
  handshakeS: number;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const f = benchFlags(argv, { rate: 1000, duration: 8, rounds: 3, conns: 16, 'handshake-s': 5 }, ['json']);
  return { rate: f.rate, durationS: f.duration, rounds: f.rounds, conns: f.conns, handshakeS: f['handshake-s'], ...(f.json !== undefined ? { json: f.json } : {}) };
}

const PLAINTEXT = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: bench}
spec:
  host: echo.bench.svc.cluster.local
  trafficPolicy: {tls: {mode: DISABLE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: bench}
spec: {mtls: {mode: PERMISSIVE}}
`;

const MTLS = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: bench}
spec: {mtls: {mode: STRICT}}
`;

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: bench}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
`;

interface Round {
  mode: 'plaintext' | 'mtls';
  /** Upstream connections the client sidecar opened to echo during the round (a pooled path opens ~none). */
  connectionsOpened: number;
  load: RateLoadResult;
  /** CPU seconds of both sidecars during the round, per 1000 requests. */
  cpuPer1000: number;
}

/** The client sidecar's upstream connections to echo so far (Envoy's upstream_cx_total). */
async function connectionsTotal(adminPort: number): Promise<number> {
  const r = await httpCall(adminPort, 'GET', '/stats?filter=echo.*upstream_cx_total', {});
  return [...r.body.matchAll(/upstream_cx_total: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const mesh = await startBenchMesh('mtls');
  try {
    const { apply, rootsPem, tokenFor, xdsPort } = mesh;
    await apply(SERVICE);
    const server = await mesh.sidecar('echo', ['--app-port', String(mesh.appPort)]);
    const client = await mesh.sidecar('client', []);
    const host = 'echo.bench:8080';

    const rounds: Round[] = [];
    for (let i = 0; i < o.rounds; i++) {
      for (const mode of ['plaintext', 'mtls'] as const) {
        await apply(mode === 'plaintext' ? PLAINTEXT : MTLS);
        if (mode === 'mtls') await mesh.remove(['DestinationRule/bench/echo']);
        await new Promise((res) => setTimeout(res, 1000)); // the push, then pools re-made with the new transport
        await mesh.serving(client, host);
        // warm the pool (its connections are made, and their handshakes paid, before the measured round): a pooled path
        await rateLoad({ rate: o.rate, durationS: 1, conns: o.conns, port: client.outbound, host });
        const cx0 = await connectionsTotal(client.admin);
        const cpu0 = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid);
        const load = await rateLoad({ rate: o.rate, durationS: o.durationS, conns: o.conns, port: client.outbound, host });
        const cpu = cpuSecondsOf(server.child.pid) + cpuSecondsOf(client.child.pid) - cpu0;
        const connectionsOpened = (await connectionsTotal(client.admin)) - cx0;
        rounds.push({ mode, connectionsOpened, load, cpuPer1000: (cpu / Math.max(1, load.ok)) * 1000 });
        process.stdout.write(`round ${i + 1} ${mode.padEnd(9)} ${load.achievedRps.toFixed(0)} req/s, p99 ${load.p99Ms.toFixed(2)} ms, ${load.errors} errors, CPU ${((cpu / Math.max(1, load.ok)) * 1000).toFixed(3)} s per 1000 req, ${connectionsOpened} upstream connections opened\n`);
      }
    }

    // full handshakes against the server sidecar's inbound port, as a peer sidecar would do them
    const { keyPem, csrPem } = await createCsr();
    const chain = await requestCertificate(`127.0.0.1:${xdsPort}`, { ca: rootsPem, token: await tokenFor('client') }, csrPem, 3600);
    const hsEnd = Date.now() + o.handshakeS * 1000;
    let handshakes = 0;
    let failures = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() < hsEnd) {
        await new Promise<void>((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port: server.inbound!, ca: rootsPem, cert: chain[0], key: keyPem, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'] }, () => {
            handshakes++;
            s.destroy();
            resolve();
          });
          s.on('error', () => {
            failures++;
            resolve();
          });
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const handshakeRate = handshakes / o.handshakeS;

    const plain = rounds.filter((r) => r.mode === 'plaintext');
    const mtls = rounds.filter((r) => r.mode === 'mtls');
    const summary = {
      rate: o.rate,
      durationS: o.durationS,
      rounds: o.rounds,
      plaintext: { p99Ms: median(plain.map((r) => r.load.p99Ms)), cpuPer1000: median(plain.map((r) => r.cpuPer1000)), errors: plain.reduce((n, r) => n + r.load.errors, 0) },
      mtls: { p99Ms: median(mtls.map((r) => r.load.p99Ms)), cpuPer1000: median(mtls.map((r) => r.cpuPer1000)), errors: mtls.reduce((n, r) => n + r.load.errors, 0) },
      handshakesPerS: handshakeRate,
      handshakeFailures: failures,
      rawRounds: rounds.map((r) => ({ mode: r.mode, connectionsOpened: r.connectionsOpened, p99Ms: r.load.p99Ms, achievedRps: r.load.achievedRps, errors: r.load.errors, cpuPer1000: r.cpuPer1000 })),
    };
    const f = (v: number, d = 2): string => v.toFixed(d);
    process.stdout.write(
      `\nmedian of ${o.rounds} rounds at ${o.rate} req/s (two sidecars, CPU of both):\n` +
        `  plaintext: p99 ${f(summary.plaintext.p99Ms)} ms, CPU ${f(summary.plaintext.cpuPer1000, 3)} s/1000 req\n` +
        `  mTLS:      p99 ${f(summary.mtls.p99Ms)} ms, CPU ${f(summary.mtls.cpuPer1000, 3)} s/1000 req\n` +
        `  mTLS adds: p99 ${f(summary.mtls.p99Ms - summary.plaintext.p99Ms)} ms (target < 0.5), CPU ${f((summary.mtls.cpuPer1000 / summary.plaintext.cpuPer1000 - 1) * 100, 1)} % (target < 30 %)\n` +
        `  full mTLS handshakes on the server sidecar's inbound port: ${f(handshakeRate, 0)}/s (8 concurrent clients, ${failures} failures)\n`,
    );
    if (o.json !== undefined) fs.writeFileSync(o.json, JSON.stringify(summary, null, 2) + '\n');
  } finally {
    await mesh.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
