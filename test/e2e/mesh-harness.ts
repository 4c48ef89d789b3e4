// E2E helpers for the mesh suites: a real `trellis control` process, `trellis proxy --control-plane` sidecars, `trellis gateway` routers and CLI verbs run as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, stopProcess, waitFor } from './harness.js';

export interface Control {
  proc: ChildProcess;
  /** The plaintext ADS port (only with `insecureXds`). */
  xdsPort: number | undefined;
  /** ADS and the CA over TLS: proxies prove their identity with a token, then their workload certificate. */
  xdsTlsPort: number;
  httpPort: number;
  url: string;
  dataDir: string;
  /** The admin token `trellis control` wrote to `<dataDir>/admin-token`. */
  token(): string;
  out(): string;
  stop(): Promise<void>;
}

/**
 * `trellis control` on ports 0 with its store in a fresh temp dir (or, to restart one, on the given data dir and ports).
 * stop() removes the data dir unless `keepDataDir`.
 */
export async function startControl(
  opts: { dataDir?: string; xdsPort?: number; xdsTlsPort?: number; httpPort?: number; keepDataDir?: boolean; insecureXds?: boolean; extraArgs?: string[] } = {},
): Promise<Control> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-mesh-'));
  const args = ['control', '--data-dir', dataDir, '--xds-tls-port', String(opts.xdsTlsPort ?? 0), '--http-port', String(opts.httpPort ?? 0)];
  if (opts.insecureXds === true) args.push('--insecure-xds', '--xds-port', String(opts.xdsPort ?? 0));
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = (): Promise<void> => stopProcess(proc).finally(() => (opts.keepDataDir === true ? undefined : fs.rmSync(dataDir, { recursive: true, force: true })));
  try {
    const ports = await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`control exited with ${proc.exitCode}:\n${out}`);
        const x = /^xds listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
        const t = /^xds-tls listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
        const h = /^http listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
        if (t === null || h === null || (opts.insecureXds === true && x === null)) return undefined;
        return { xdsPort: x !== null ? Number(x[1]) : undefined, xdsTlsPort: Number(t[1]), httpPort: Number(h[1]) };
      },
      15000,
      'control plane start-up lines',
    );
    const token = (): string => fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    return { proc, xdsPort: ports!.xdsPort, xdsTlsPort: ports!.xdsTlsPort, httpPort: ports!.httpPort, url: `http://127.0.0.1:${ports!.httpPort}`, dataDir, token, out: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * What a proxy needs to join the mesh as `namespace`/`serviceAccount`, obtained the way a user does: the root from
 * `GET /api/v1/ca/root`, a token from `POST /api/v1/tokens` (admin), both written to files in the data dir.
 */
export async function meshCredentialArgs(control: Control, namespace: string, serviceAccount: string): Promise<string[]> {
  const root = path.join(control.dataDir, 'mesh-root.pem');
  if (!fs.existsSync(root)) {
    const res = await fetch(`${control.url}/api/v1/ca/root`);
    if (!res.ok) throw new Error(`GET /api/v1/ca/root: ${res.status}`);
    fs.writeFileSync(root, ((await res.json()) as { rootsPem: string }).rootsPem);
  }
  const res = await fetch(`${control.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${control.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ namespace, serviceAccount }),
  });
  if (!res.ok) throw new Error(`POST /api/v1/tokens: ${res.status} ${await res.text()}`);
  const tokenFile = path.join(control.dataDir, `token-${namespace}-${serviceAccount}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(tokenFile, ((await res.json()) as { token: string }).token, { mode: 0o600 });
  return ['--control-plane', `127.0.0.1:${control.xdsTlsPort}`, '--ca-root', root, '--token-file', tokenFile, '--service-account', serviceAccount];
}

/** Plaintext ADS (a control plane started with `insecureXds`), for tests of that mode. */
function insecureArgs(control: Control): string[] {
  if (control.xdsPort === undefined) throw new Error('this control plane serves no plaintext xDS (start it with insecureXds)');
  return ['--control-plane', `127.0.0.1:${control.xdsPort}`];
}

export interface Sidecar {
  proc: ChildProcess;
  outboundPort: number;
  /** Only a sidecar with an app (--app-port) has an inbound listener. */
  inboundPort?: number;
  adminPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** `trellis proxy --control-plane` with every port 0; resolves once the outbound listener (and the inbound one, with an app) and admin are up. */
export async function startSidecar(
  control: Control,
  opts: { service: string; labels: string; servicePort: number; appPort?: number; namespace?: string; serviceAccount?: string; insecure?: boolean; extraArgs?: string[] },
): Promise<Sidecar> {
  const ns = opts.namespace ?? 'default';
  const cp = opts.insecure === true ? insecureArgs(control) : await meshCredentialArgs(control, ns, opts.serviceAccount ?? 'default');
  const args = [CLI, 'proxy', ...cp, '--service', opts.service, '--namespace', ns, '--labels', opts.labels, '--service-port', String(opts.servicePort)];
  if (opts.appPort !== undefined) args.push('--app-port', String(opts.appPort));
  args.push('--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0', '--prometheus-port', '0');
  args.push(...(opts.extraArgs ?? []));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = (): Promise<void> => stopProcess(proc);
  try {
    const ports = await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`proxy exited with ${proc.exitCode}:\n${out}`);
        const o = /^listener outbound listening on [\d.]+:(\d+)$/m.exec(out);
        const i = /^listener inbound listening on [\d.]+:(\d+)$/m.exec(out);
        const a = /^admin listening on [\d.]+:(\d+)$/m.exec(out);
        if (o === null || a === null || (opts.appPort !== undefined && i === null)) return undefined;
        return { outboundPort: Number(o[1]), adminPort: Number(a[1]), ...(i !== null ? { inboundPort: Number(i[1]) } : {}) };
      },
      15000,
      `sidecar ${opts.service} (${opts.labels}) listeners`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; output:\n${out}`);
    });
    return { proc, ...ports!, output: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export interface Gateway {
  proc: ChildProcess;
  adminPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** `trellis gateway --control-plane` (a router) with the given labels; resolves once its admin port is up (listeners follow its Gateways). */
export async function startGateway(control: Control, opts: { labels: string; namespace?: string; serviceAccount?: string }): Promise<Gateway> {
  const ns = opts.namespace ?? 'default';
  const cp = await meshCredentialArgs(control, ns, opts.serviceAccount ?? 'default');
  const args = [CLI, 'gateway', ...cp, '--namespace', ns, '--labels', opts.labels, '--admin-port', '0', '--prometheus-port', '0'];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = (): Promise<void> => stopProcess(proc);
  try {
    const adminPort = await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}:\n${out}`);
        const a = /^admin listening on [\d.]+:(\d+)$/m.exec(out);
        return a !== null ? Number(a[1]) : undefined;
      },
      15000,
      `gateway (${opts.labels}) admin`,
    );
    return { proc, adminPort: adminPort!, output: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits until a proxy (sidecar or gateway) printed that listener `name` is bound; returns its port. */
export function listenerUp(proxy: { output(): string }, name: string, timeoutMs = 15000): Promise<number> {
  const escaped = name.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^listener ${escaped} listening on [\\d.]+:(\\d+)$`, 'm');
  return waitFor(
    () => {
      const m = re.exec(proxy.output());
      return m !== null ? Number(m[1]) : undefined;
    },
    timeoutMs,
    `listener ${name}`,
  ).then((p) => p!);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** performance.now() when the process had exited. */
  endedAt: number;
  ms: number;
}

/** Runs `trellis ARGS --server URL` as a child process, with the control plane's admin token in TRELLIS_TOKEN. */
export function cli(control: Control, args: string[], stdin?: string): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TRELLIS_TOKEN: control.token() };
    const proc = spawn(process.execPath, [CLI, ...args, '--server', control.url], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('error', reject);
    const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.on('close', (code) => {
      clearTimeout(t);
      const endedAt = performance.now();
      resolve({ code, stdout, stderr, endedAt, ms: endedAt - started });
    });
    proc.stdin!.end(stdin ?? '');
  });
}

/** `trellis apply -f FILE` on YAML written to a temp file. */
export async function applyYaml(control: Control, yaml: string, message?: string): Promise<CliResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-apply-'));
  const file = path.join(dir, 'mesh.yaml');
  fs.writeFileSync(file, yaml);
  try {
    return await cli(control, ['apply', '-f', file, ...(message !== undefined ? ['-m', message] : [])]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProxyStatus {
  id: string;
  /** istioctl's NAME: pod.namespace. */
  name: string;
  status?: string;
  types?: Record<string, { status?: string; error?: string }>;
}

/** The proxies the control plane lists; `local`: only those connected to this replica (not its peers'). */
export async function proxies(control: Control, local = false): Promise<ProxyStatus[]> {
  const res = await fetch(`${control.url}/api/v1/proxies${local ? '?scope=local' : ''}`);
  return (await res.json()) as ProxyStatus[];
}

/** YAML: Service `name` on `port` (selector app=name) and a DestinationRule with subsets v1/v2 by the version label. */
export function serviceWithSubsets(name: string, port: number, portName = 'http'): string {
  return `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ${name}}
  ports: [{name: ${portName}, port: ${port}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: default}
spec:
  host: ${name}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
}

/** YAML: a VirtualService for `host` routing `weights` (subset → weight) in order. */
export function weightedVirtualService(host: string, weights: Readonly<Record<string, number>>): string {
  const routes = Object.entries(weights).map(([subset, w]) => `    - {destination: {host: ${host}, subset: ${subset}}, weight: ${w}}`);
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${host}, namespace: default}
spec:
  hosts: [${host}]
  http:
  - route:
${routes.join('\n')}
`;
}
