// CLI: `trellis run --service NAME … -- CMD ARGS…` — Istio's sidecar injection for a plain process: learns where the
// control plane serves xDS and the mesh root, obtains the workload's token, runs the sidecar in this process, holds
// the app until the sidecar serves, and on exit or a signal withdraws, drains, stops the app and exits with its status.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Service } from '../../api/types.js';
import { formatErrors } from '../../common/result.js';
import { parseLabels, sidecarBootstrap } from '../../proxy/xds/sidecar-bootstrap.js';
import { freePort } from '../../common/free-port.js';
import { singleProxy } from '../../proxy/runtime/single.js';
import { ApiClient, ApiFailure, CommandFailure, UsageError, withServerFlags, type ServerFlags } from '../client.js';
import { processIo, type Io } from '../io.js';
import { reportError } from '../run.js';
import type { TokenResponse } from '../token.js';
import { exitStatus, startApp, type AppProcess } from './app-process.js';
import { labelsFlag, servicePortOf, workloadTemplate, type WorkloadTemplate } from './workload-template.js';

interface RunFlags extends ServerFlags {
  service?: string;
  namespace: string;
  labels?: string;
  serviceAccount?: string;
  servicePort?: string;
  appPort?: string;
  workload?: string;
  outboundPort: string;
  inboundPort: string;
  adminPort: string;
  prometheusPort: string;
  drainTimeS: string;
}

/** Kubernetes' default terminationGracePeriodSeconds: how long the app has between SIGTERM and SIGKILL. */
const APP_GRACE_MS = 30_000;
const SAME_SIGNAL_MS = 1000;
const DEFAULT_SERVICE_PORT = 80;
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Pod'] as const;

async function getOptional<T>(api: ApiClient, p: string): Promise<T | undefined> {
  try {
    return await api.get<T>(p);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return undefined;
    throw e;
  }
}

const resourcePath = (kind: string, ns: string, name: string): string => `/api/v1/resources/${kind}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;

async function storedWorkload(api: ApiClient, ns: string, name: string): Promise<WorkloadTemplate> {
  for (const kind of WORKLOAD_KINDS) {
    const r = await getOptional<Parameters<typeof workloadTemplate>[0]>(api, resourcePath(kind, ns, name));
    if (r !== undefined) return workloadTemplate(r);
  }
  throw new UsageError(`--workload ${name}: no Deployment, StatefulSet or Pod "${name}" in namespace "${ns}" (apply it first, e.g. from Istio's samples)`);
}

/** The stored Service selecting these labels (Istio's service of a pod), else undefined. */
async function selectingService(api: ApiClient, ns: string, labels: Readonly<Record<string, string>>): Promise<Service | undefined> {
  const all = await api.get<Service[]>('/api/v1/resources', { kind: 'Service', namespace: ns });
  return all.find((s) => {
    const sel = Object.entries(s.spec?.selector ?? {});
    return sel.length > 0 && sel.every(([k, v]) => labels[k] === v);
  });
}

/** Everything the sidecar bootstrap needs, from the flags, the stored workload and Service, and the control plane. */
async function plan(flags: RunFlags, api: ApiClient) {
  const errors: string[] = [];
  const given = parseLabels(flags.labels, errors);
  if (errors.length > 0) throw new UsageError(errors.join('; '));
  const template: WorkloadTemplate = flags.workload !== undefined ? await storedWorkload(api, flags.namespace, flags.workload) : { labels: {}, containerPorts: [] };
  const labels = { ...template.labels, ...given };
  const byName = flags.service !== undefined ? await getOptional<Service>(api, resourcePath('Service', flags.namespace, flags.service)) : undefined;
  const selecting = flags.service === undefined && Object.keys(labels).length > 0 ? await selectingService(api, flags.namespace, labels) : undefined;
  const service = flags.service ?? selecting?.metadata.name ?? labels.app ?? flags.workload;
  if (service === undefined) throw new UsageError('run needs --service NAME (or --workload DEPLOYMENT, whose Service or app label names it)');
  // with nothing stored to say otherwise, peers call it as plain http://NAME/ (port 80)
  const servicePort = flags.servicePort ?? servicePortOf(byName ?? selecting, template.containerPorts)?.toString() ?? String(DEFAULT_SERVICE_PORT);
  return {
    service,
    servicePort,
    labels: labelsFlag(template.labels, given),
    serviceAccount: flags.serviceAccount ?? template.serviceAccount ?? 'default',
    appMetrics: template.appMetrics,
    workload: flags.workload,
  };
}

/** Writes the mesh root where the sidecar bootstrap reads it; the directory goes when the process does. */
function rootFile(pem: string): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-run-'));
  const file = path.join(dir, 'root-cert.pem');
  fs.writeFileSync(file, pem, { mode: 0o600 });
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The app's environment: where to listen and where its sidecar takes outbound calls; never the admin credential. */
export function appEnv(base: NodeJS.ProcessEnv, appPort: number, outboundPort: number): NodeJS.ProcessEnv {
  const outbound = `http://127.0.0.1:${outboundPort}`;
  const env: NodeJS.ProcessEnv = { ...base, PORT: String(appPort), TRELLIS_OUTBOUND: outbound, HTTP_PROXY: outbound, http_proxy: outbound };
  // loopback calls (the app's own ports, the control plane) go direct, not through the mesh
  if (env.NO_PROXY === undefined && env.no_proxy === undefined) env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  delete env.TRELLIS_TOKEN;
  return env;
}

async function run(command: string[], flags: RunFlags, io: Io): Promise<void> {
  const [cmd, ...args] = command;
  if (cmd === undefined) throw new UsageError('run needs the app to start after "--", e.g. trellis run --service web -- node server.js');
  const drainMs = Number(flags.drainTimeS) * 1000;
  if (!Number.isFinite(drainMs) || drainMs < 0) throw new UsageError(`--drain-time-s must be a number of seconds, got "${flags.drainTimeS}"`);
  const api = new ApiClient(flags, io);
  const p = await plan(flags, api);
  const mesh = await api.get<{ discoveryAddress: string }>('/api/v1/mesh');
  const roots = await api.get<{ rootsPem: string }>('/api/v1/ca/root');
  const { token } = await api.post<TokenResponse>('/api/v1/tokens', { namespace: flags.namespace, serviceAccount: p.serviceAccount });
  const appPort = flags.appPort !== undefined ? flags.appPort : String(await freePort('127.0.0.1'));
  const root = rootFile(roots.rootsPem);
  process.once('exit', root.remove);
  const boot = await sidecarBootstrap({
    controlPlane: mesh.discoveryAddress,
    caRoot: root.file,
    service: p.service,
    namespace: flags.namespace,
    labels: p.labels,
    serviceAccount: p.serviceAccount,
    servicePort: p.servicePort,
    appPort,
    outboundPort: flags.outboundPort,
    inboundPort: flags.inboundPort,
    adminPort: flags.adminPort,
    prometheusPort: flags.prometheusPort,
    ...(p.workload !== undefined ? { workload: p.workload } : {}),
    ...(p.appMetrics !== undefined ? { appMetricsPort: String(p.appMetrics.port), ...(p.appMetrics.path !== undefined ? { appMetricsPath: p.appMetrics.path } : {}) } : {}),
  });
  if (!boot.ok) throw new UsageError(`invalid flags:\n${formatErrors(boot.errors)}`);
  const bootstrap = boot.value;
  const outboundPort = Number(bootstrap.node.metadata.TRELLIS_OUTBOUND_PORT);
  const pod = bootstrap.node.id.split('~')[2] ?? bootstrap.node.id;

  let app: AppProcess | undefined;
  let ending = false;
  // withdraw first (peers stop choosing this endpoint), drain what is in flight, then stop the app and leave as it did
  const end = async (appEnded: boolean): Promise<void> => {
    if (ending) return;
    ending = true;
    await sidecar.stop(drainMs);
    const e = app === undefined ? { code: 1, signal: null } : appEnded ? await app.exited : await app.stop(APP_GRACE_MS);
    process.exit(exitStatus(e));
  };
  const sidecar = singleProxy(bootstrap, { xdsToken: token, onQuit: () => end(false) });
  let firstSignal = 0;
  const onSignal = (): void => {
    // a second Ctrl-C stops waiting (the app's group is killed on exit); one passed on by a wrapper (npm) is the same one
    if (ending) {
      if (Date.now() - firstSignal > SAME_SIGNAL_MS) process.exit(130);
      return;
    }
    firstSignal = Date.now();
    void end(false);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await sidecar.start();
  if (ending) return;
  if (!sidecar.proxy.listeners.addresses().some((l) => l.port === outboundPort)) {
    await sidecar.stop(0);
    throw new CommandFailure(`the sidecar has no outbound listener: either it got no configuration from the control plane at ${mesh.discoveryAddress} in time, or its port could not be bound (see the lines above)`);
  }
  try {
    app = await startApp(cmd, args, appEnv(process.env, Number(appPort), outboundPort));
  } catch (e) {
    await sidecar.stop(0);
    throw e;
  }
  process.stderr.write(`trellis run: ${pod} is in the mesh as ${p.service}.${flags.namespace}:${p.servicePort}; app (pid ${app.pid}) has PORT=${appPort}, TRELLIS_OUTBOUND=http://127.0.0.1:${outboundPort}\n`);
  void app.exited.then(() => end(true));
}

export function registerRunCommand(program: Command): void {
  withServerFlags(
    program
      .command('run')
      .description('run an app with its sidecar (Istio injection for a process): trellis run --service NAME -- CMD ARGS…')
      .argument('<command...>', 'the app and its arguments, after "--"')
      .option('--service <name>', 'the service this app serves (default: the stored Service selecting its labels, else the app label)')
      .option('--namespace <ns>', 'the workload namespace', 'default')
      .option('--labels <k=v,...>', 'the workload labels (over those of --workload)')
      .option('--service-account <sa>', 'the identity it runs as (default: the workload\'s serviceAccountName, else "default")')
      .option('--service-port <port>', 'the port peers address the service on (default: from the stored Service or workload, else 80)')
      .option('--app-port <port>', 'where the app must listen, given to it as PORT (default: a free port)')
      .option('--workload <name>', 'take labels, service account and ports from this stored Deployment, StatefulSet or Pod')
      .option('--outbound-port <port>', 'the sidecar\'s outbound port, given to the app as TRELLIS_OUTBOUND and HTTP_PROXY (0 = a free port)', '0')
      .option('--inbound-port <port>', 'the sidecar\'s inbound port peers connect to (0 = a free port)', '0')
      .option('--admin-port <port>', 'the sidecar\'s admin port (0 = a free port)', '0')
      .option('--prometheus-port <port>', 'where the sidecar serves Istio\'s metrics (0 = a free port)', '0')
      .option('--drain-time-s <s>', 'seconds in-flight requests get to finish after the endpoint is withdrawn', '5'),
  ).action(async (command: string[], flags: RunFlags) => {
    const io = processIo();
    try {
      await run(command, flags, io);
    } catch (e) {
      reportError(io, e);
      process.exit(1); // whatever was started is stopped; nothing may keep the process alive
    }
  });
}
