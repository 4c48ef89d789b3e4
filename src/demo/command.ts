// CLI: `trellis demo` — the whole mesh on this host in one command: the control plane (in this process), the
// bookinfo apps each started by `trellis run` with its sidecar, an ingress gateway, mTLS STRICT and steady traffic.
// Ctrl-C stops everything it started, in order: traffic, gateway, workloads (each withdraws and drains), control plane.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { startControlPlane, type ControlPlane } from '../control/server.js';
import { ApiClient, CommandFailure, UsageError } from '../cli/client.js';
import { processIo } from '../cli/io.js';
import { reportError } from '../cli/run.js';
import type { TokenResponse } from '../cli/token.js';
import { DEMO_GATEWAY, DEMO_WORKLOADS, demoMeshYaml } from './mesh-yaml.js';
import { startTraffic, type TrafficGenerator } from './traffic.js';

interface DemoFlags {
  portBase?: string;
  dataDir: string;
  rps: string;
  fresh?: boolean;
}

export interface DemoPorts {
  xdsTls: number;
  http: number;
  gateway: number;
  /** The first of the sidecars' and apps' ports: ten per process, below the kernel's ephemeral range. */
  processes: number;
}

/** Istio's 15012 and 15014, the gateway's 8080 and 15100… for the sidecars, or all of them moved by --port-base N. */
export function demoPorts(portBase: number | undefined): DemoPorts {
  const base = portBase ?? 15000;
  return { xdsTls: base + 12, http: base + 14, gateway: portBase === undefined ? 8080 : base + 80, processes: base + 100 };
}

/**
 * The ports of the demo's i-th process, fixed rather than picked free: fourteen processes picking ports at once, then
 * binding them a second later, would sometimes pick the same one.
 */
export function processPorts(ports: DemoPorts, i: number): { outbound: number; inbound: number; admin: number; prometheus: number; app: number } {
  const p = ports.processes + 10 * i;
  return { outbound: p, inbound: p + 1, admin: p + 2, prometheus: p + 3, app: p + 4 };
}

const portFlags = (p: ReturnType<typeof processPorts>): string[] => ['--outbound-port', String(p.outbound), '--inbound-port', String(p.inbound), '--admin-port', String(p.admin), '--prometheus-port', String(p.prometheus)];

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const APP = fileURLToPath(new URL('./bookinfo/main.js', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../samples/bookinfo/', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const PARTIAL_PAGE_MS = 15_000;
/** Longer than a `trellis run`'s own drain and app grace, so it is never killed while it stops its app. */
const STOP_TIMEOUT_MS = 45_000;
const SAME_SIGNAL_MS = 1000;
const REPORT_MS = 10_000;

interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
  exited: Promise<void>;
}

/** A child in its own process group (Ctrl-C reaches only the demo, which stops children in order), output to a log file. */
function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Child {
  const log = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(log, 'w');
  const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { name, proc, log, exited };
}

function killGroup(c: Child, sig: NodeJS.Signals): void {
  try {
    process.kill(-c.proc.pid!, sig);
  } catch {
    // gone already
  }
}

/** What the gateway answers for the product page; undefined while nothing answers. */
async function productPage(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

function relative(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

function banner(ports: ReturnType<typeof demoPorts>, dataDir: string, flags: DemoFlags, logDir: string): string {
  const server = flags.portBase !== undefined ? ` --server http://127.0.0.1:${ports.http}` : '';
  const sample = (f: string): string => relative(path.join(SAMPLES, f));
  return `
Trellis demo: bookinfo on a mesh — ${DEMO_WORKLOADS.length} workloads, each with its sidecar, an ingress gateway, mTLS STRICT.

  the app        http://127.0.0.1:${ports.gateway}/productpage   (reload it: reviews-v1, -v2 and -v3 take turns)
  dashboard      http://127.0.0.1:${ports.http}/   (sign in with the token in ${relative(path.join(dataDir, 'admin-token'))})
  metrics        trellis top${server}   ·   trellis get metrics reviews${server}   ·   trellis tap reviews${server}
  the mesh       trellis proxy-status${server}   ·   trellis get vs,dr,gw -A${server}   ·   trellis proxy-config routes productpage-v1${server}
  logs           ${relative(logDir)}/

Three things to try (undo each with \`trellis delete -f FILE${server}\`):
  shift traffic  trellis apply -f ${sample('reviews-50-v3.yaml')}${server}       half of reviews to v3 (red stars)
  inject a fault trellis apply -f ${sample('details-fault.yaml')}${server}       details fails 1 request in 2 with 503
  deny a call    trellis apply -f ${sample('deny-reviews.yaml')}${server}       an AuthorizationPolicy: productpage may not call reviews

Ctrl-C stops everything.
`;
}

async function demo(flags: DemoFlags): Promise<void> {
  const base = flags.portBase !== undefined ? Number(flags.portBase) : undefined;
  if (base !== undefined && (!Number.isInteger(base) || base < 1024 || base > 65535 - 170)) throw new UsageError(`--port-base must be a port from 1024 to ${65535 - 170}, got "${flags.portBase}"`);
  const rps = Number(flags.rps);
  if (!Number.isFinite(rps) || rps < 0 || rps > 100) throw new UsageError(`--rps must be a number from 0 to 100, got "${flags.rps}"`);
  const ports = demoPorts(base);
  const dataDir = path.resolve(flags.dataDir);
  if (flags.fresh === true) fs.rmSync(dataDir, { recursive: true, force: true });
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const controlLog = fs.createWriteStream(path.join(logDir, 'control.log'), { flags: 'w' });

  let cp: ControlPlane;
  try {
    cp = await startControlPlane({ dataDir, xdsTlsPort: ports.xdsTls, httpPort: ports.http, host: '127.0.0.1', log: (m) => void controlLog.write(`${m}\n`) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/already in use/.test(msg)) throw new CommandFailure(`${msg.replace(/ \(.*$/, '')}: is another \`trellis demo\` or \`trellis control\` running? Stop it, or move every port with --port-base N`);
    throw e;
  }
  const children: Child[] = [];
  let traffic: TrafficGenerator | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.stdout.write('\nstopping: traffic, gateway, workloads (each withdraws, drains, stops its app), control plane…\n');
      traffic?.stop();
      // the gateway first, so no new request enters; then every workload at once
      for (const group of [children.filter((c) => c.name === 'gateway'), children.filter((c) => c.name !== 'gateway')]) {
        for (const c of group) killGroup(c, 'SIGTERM');
        const killer = setTimeout(() => group.forEach((c) => killGroup(c, 'SIGKILL')), STOP_TIMEOUT_MS);
        await Promise.all(group.map((c) => c.exited));
        clearTimeout(killer);
      }
      await cp.close();
      controlLog.end();
      process.stdout.write('stopped; the mesh config stays in ' + relative(dataDir) + ' for the next run (--fresh starts over)\n');
    })());
  // nothing outlives the demo, even when it ends by an error: each `trellis run` given SIGTERM still stops its app
  process.once('exit', () => children.forEach((c) => killGroup(c, 'SIGTERM')));
  let firstSignal = 0;
  const onSignal = (): void => {
    // `npm run demo` passes the terminal's Ctrl-C on as a second SIGINT: only a later one means "stop waiting"
    if (stopping !== undefined) {
      if (Date.now() - firstSignal > SAME_SIGNAL_MS) process.exit(130);
      return;
    }
    firstSignal = Date.now();
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const api = new ApiClient({ server: `http://127.0.0.1:${ports.http}`, token: cp.adminToken }, processIo());
  await api.post('/api/v1/apply', { text: demoMeshYaml(ports.gateway), message: 'trellis demo: bookinfo', author: 'trellis demo' });
  process.stdout.write(`control plane up (data in ${relative(dataDir)}); bookinfo applied; starting ${DEMO_WORKLOADS.length} workloads and the gateway…\n`);

  // children reach the API with the admin token in their environment (`trellis run` keeps it from the apps)
  const env = { ...process.env, TRELLIS_SERVER: `http://127.0.0.1:${ports.http}`, TRELLIS_TOKEN: cp.adminToken };
  const roots = await api.get<{ rootsPem: string }>('/api/v1/ca/root');
  const credDir = path.join(dataDir, 'demo');
  fs.mkdirSync(credDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(credDir, 'root-cert.pem'), roots.rootsPem);
  const gwToken = await api.post<TokenResponse>('/api/v1/tokens', { namespace: DEMO_GATEWAY.namespace, serviceAccount: DEMO_GATEWAY.serviceAccount, ttlSeconds: 24 * 3600 });
  fs.writeFileSync(path.join(credDir, 'gateway.token'), gwToken.token, { mode: 0o600 });
  const { TRELLIS_TOKEN: _admin, ...gatewayEnv } = env; // the gateway proves itself with its own token file
  DEMO_WORKLOADS.forEach((w, i) => {
    const p = processPorts(ports, i);
    children.push(startChild(w.name, ['run', '--workload', w.name, ...portFlags(p), '--app-port', String(p.app), '--', process.execPath, APP, ...w.args], env, logDir));
  });
  children.push(
    startChild(
      'gateway',
      ['gateway', '--control-plane', `127.0.0.1:${cp.xdsTlsPort}`, '--ca-root', path.join(credDir, 'root-cert.pem'), '--token-file', path.join(credDir, 'gateway.token'), '--namespace', DEMO_GATEWAY.namespace, '--service-account', DEMO_GATEWAY.serviceAccount, '--labels', DEMO_GATEWAY.labels, ...portFlags(processPorts(ports, DEMO_WORKLOADS.length)), '--workload', 'istio-ingressgateway'],
      gatewayEnv,
      logDir,
    ),
  );

  const url = `http://127.0.0.1:${ports.gateway}/productpage`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // served = the page loads with every backend in it; a config kept from an earlier run may leave one out for good
  // (a tutorial's deny policy), so a page that keeps saying so counts after a while
  let firstServed = 0;
  for (;;) {
    if (stopping !== undefined) return;
    const dead = children.find((c) => c.proc.exitCode !== null);
    if (dead !== undefined) {
      await stop();
      throw new CommandFailure(`${dead.name} exited with status ${dead.proc.exitCode} while the demo started; see ${relative(dead.log)}`);
    }
    const page = await productPage(url);
    if (page !== undefined && page.status === 200) {
      firstServed ||= Date.now();
      if (!/unavailable/.test(page.body) || Date.now() - firstServed > PARTIAL_PAGE_MS) break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new CommandFailure(`the product page was not served within ${READY_TIMEOUT_MS / 1000}s (last answer: ${page === undefined ? 'none' : `HTTP ${page.status}`}); see the logs in ${relative(logDir)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stdout.write(banner(ports, dataDir, flags, logDir));
  if (rps > 0) traffic = startTraffic(url, rps, REPORT_MS, (line) => void process.stdout.write(`${line}\n`));
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a whole mesh on this host: control plane, bookinfo apps with sidecars, ingress gateway, mTLS STRICT, steady traffic')
    .option('--port-base <n>', 'move every port: xDS on N+12, the API on N+14, the gateway on N+80, sidecars and apps on N+100…N+169 (default 15012, 15014, 8080, 15100…)')
    .option('--data-dir <dir>', "the control plane's store, CA and admin token, and the demo's logs", './.trellis')
    .option('--rps <n>', 'product page requests per second the traffic generator sends (0 = none)', '2')
    .option('--fresh', 'delete the data dir first (the config, history and CA of earlier runs)')
    .action(async (flags: DemoFlags) => {
      try {
        await demo(flags);
      } catch (e) {
        reportError(processIo(), e);
        process.exit(1);
      }
    });
}
