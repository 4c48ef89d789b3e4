// Benchmark: RSS of a sidecar (`trellis proxy --control-plane`, config over xDS) next to a static-config proxy, idle and after fixed-rate load.
//
// Starts `trellis control`, one backend (in this process), a static proxy (-c, one listener round-robin to the backend)
// and a sidecar whose outbound listener reaches the backend through a ServiceEntry; drives each in turn at `--rate`
// req/s for `--duration` s and reads VmRSS from /proc, as the peer benchmark does.
//
//   node dist/bench/sidecar-memory.js [--rate 1000] [--duration 10] [--conns 16] [--settle 2] [--xds-api delta|sotw] [--json FILE]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { cpuSecondsOf, rssOf, startTrellis, type Child, type Rss } from './child-process.js';
import { httpCall } from './http-call.js';
import { rateLoad, type RateLoadResult } from './rate-load.js';
import { staticBootstrap } from './static-bootstrap.js';
import { benchFlags } from './bench-flags.js';

interface Options {
  rate: number;
  durationS: number;
  conns: number;
  settleS: number;
  xdsApi: 'delta' | 'sotw';
  json?: string;
}

/** RSS from /proc plus the V8 heap the proxy reports on its admin /memory. */
export interface MemoryFigures extends Rss {
  heapUsedMb: number;
  heapTotalMb: number;
}

export interface ProxyMemory {
  idle: MemoryFigures;
  afterLoad: MemoryFigures;
  load: RateLoadResult;
  /** The proxy's CPU seconds during the load. */
  cpuSeconds: number;
}

export interface SidecarMemoryReport {
  rate: number;
  durationS: number;
  xdsApi: string;
  static: ProxyMemory;
  sidecar: ProxyMemory;
}

function parseArgs(argv: string[]): Options {
  const f = benchFlags(argv, { rate: 1000, duration: 10, conns: 16, settle: 2 }, ['json', 'xds-api']);
  const api = f['xds-api'] ?? 'delta';
  if (api !== 'delta' && api !== 'sotw') throw new Error('--xds-api is delta or sotw');
  return { rate: f.rate, durationS: f.duration, conns: f.conns, settleS: f.settle, xdsApi: api, ...(f.json !== undefined ? { json: f.json } : {}) };
}

const BACKEND_HOST = 'backend.bench';
const SERVICE_PORT = 8080;
// the peer benchmark's upstreams answer a fixed 100-byte body
const BODY = `${'backend fixed body '.padEnd(99, '.')}\n`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function serviceEntry(backendPort: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: default}
spec:
  hosts: [${BACKEND_HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${SERVICE_PORT}, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${backendPort}}}]
`;
}

async function memoryOf(pid: number, adminPort: number): Promise<MemoryFigures> {
  const r = await httpCall(adminPort, 'GET', '/memory', {});
  const m = JSON.parse(r.body) as { allocated: string; heap_size: string };
  return { ...rssOf(pid), heapUsedMb: Number(m.allocated) / 1048576, heapTotalMb: Number(m.heap_size) / 1048576 };
}

/** Polls until a request through `port` answers 200 (the sidecar has its listeners, routes, clusters and endpoints). */
async function waitServing(name: string, port: number, host: string | undefined, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < deadline) {
    const r = await httpCall(port, 'GET', '/', host !== undefined ? { host } : {}).catch((e: Error) => ({ status: 0, body: e.message }));
    if (r.status === 200) return;
    last = `${r.status} ${r.body.slice(0, 100)}`;
    await sleep(50);
  }
  throw new Error(`${name} did not serve within ${timeoutMs} ms (last: ${last})`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const children: Child[] = [];
  const backend = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(BODY));
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-sidecar-memory-'));
  try {
    const backendPort = await listen(backend);
    const control = startTrellis('control', ['control', '--data-dir', dataDir, '--xds-tls-port', '0', '--http-port', '0']);
    children.push(control);
    const xdsPort = await control.waitFor(/^xds-tls listening on 127\.0\.0\.1:(\d+)$/m, 15_000);
    const httpPort = Number(await control.waitFor(/^http listening on 127\.0\.0\.1:(\d+)$/m, 15_000));
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()}` };
    const applied = await httpCall(httpPort, 'POST', '/api/v1/apply', admin, JSON.stringify({ text: serviceEntry(backendPort), author: 'bench' }));
    if (applied.status !== 200) throw new Error(`apply failed: ${applied.status} ${applied.body}`);
    // the sidecar joins as a user's would: over TLS, with a token, then its own workload certificate
    const rootFile = path.join(dataDir, 'root.pem');
    fs.writeFileSync(rootFile, (JSON.parse((await httpCall(httpPort, 'GET', '/api/v1/ca/root', {}, '')).body) as { rootsPem: string }).rootsPem);
    const tokenFile = path.join(dataDir, 'token');
    const minted = await httpCall(httpPort, 'POST', '/api/v1/tokens', admin, JSON.stringify({ namespace: 'default', serviceAccount: 'default' }));
    fs.writeFileSync(tokenFile, (JSON.parse(minted.body) as { token: string }).token, { mode: 0o600 });

    const staticProxy = startTrellis('static proxy', ['proxy', '--config-yaml', stringify(staticBootstrap(0, [`127.0.0.1:${backendPort}`]))]);
    children.push(staticProxy);
    const staticPort = Number(await staticProxy.waitFor(/^listener bench listening on [\d.]+:(\d+)$/m, 15_000));
    const staticAdmin = Number(await staticProxy.waitFor(/^admin listening on [\d.]+:(\d+)$/m, 15_000));
    const sidecarArgs = ['proxy', '--control-plane', `127.0.0.1:${xdsPort}`, '--ca-root', rootFile, '--token-file', tokenFile, '--service', 'bench-client', '--labels', 'app=bench-client'];
    sidecarArgs.push('--service-port', '9080', '--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0', '--prometheus-port', '0', '--xds-api', o.xdsApi);
    const sidecar = startTrellis('sidecar', sidecarArgs);
    children.push(sidecar);
    const outboundPort = Number(await sidecar.waitFor(/^listener outbound listening on [\d.]+:(\d+)$/m, 15_000));
    const sidecarAdmin = Number(await sidecar.waitFor(/^admin listening on [\d.]+:(\d+)$/m, 15_000));
    const host = `${BACKEND_HOST}:${SERVICE_PORT}`;
    await waitServing('static proxy', staticPort, undefined, 15_000);
    await waitServing('sidecar', outboundPort, host, 15_000);

    // idle: both have served one request; give start-up garbage a moment to be collected
    await sleep(o.settleS * 1000);
    const idle = { static: await memoryOf(staticProxy.pid, staticAdmin), sidecar: await memoryOf(sidecar.pid, sidecarAdmin) };
    const load = { rate: o.rate, durationS: o.durationS, conns: o.conns };
    const measure = async (pid: number, adminPort: number, port: number, hostHeader?: string): Promise<Omit<ProxyMemory, 'idle'>> => {
      const cpu0 = cpuSecondsOf(pid);
      const result = await rateLoad({ ...load, port, host: hostHeader });
      const cpuSeconds = cpuSecondsOf(pid) - cpu0;
      return { load: result, cpuSeconds, afterLoad: await memoryOf(pid, adminPort) };
    };
    const staticRun = await measure(staticProxy.pid, staticAdmin, staticPort);
    const sidecarRun = await measure(sidecar.pid, sidecarAdmin, outboundPort, host);

    const report: SidecarMemoryReport = {
      rate: o.rate,
      durationS: o.durationS,
      xdsApi: o.xdsApi,
      static: { idle: idle.static, ...staticRun },
      sidecar: { idle: idle.sidecar, ...sidecarRun },
    };
    print(report);
    if (o.json !== undefined) fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    backend.closeAllConnections();
    backend.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function print(r: SidecarMemoryReport): void {
  const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  const load = `after ${r.durationS} s at ${r.rate} req/s`;
  const rows = [['proxy', 'RSS idle', `RSS ${load}`, 'peak RSS', 'heap used/total idle', `heap used/total ${load}`, 'CPU s', 'achieved req/s', 'p99 ms', 'errors']];
  for (const [name, m] of [['static (-c)', r.static], [`sidecar (xDS ${r.xdsApi})`, r.sidecar]] as const) {
    const heap = (x: MemoryFigures): string => `${f(x.heapUsedMb)}/${f(x.heapTotalMb)}`;
    rows.push([name, f(m.idle.rssMb), f(m.afterLoad.rssMb), f(m.afterLoad.peakMb), heap(m.idle), heap(m.afterLoad), f(m.cpuSeconds, 2), f(m.load.achievedRps, 0), f(m.load.p99Ms, 2), String(m.load.errors)]);
  }
  process.stdout.write('(memory in MB; CPU = the proxy\'s user+system seconds during the load)\n');
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(row.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
