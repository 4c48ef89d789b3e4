// CLI: `trellis proxy` — runs the data plane from an Envoy v3 bootstrap, with Envoy's own flags.
import cluster from 'node:cluster';
import type { Command } from 'commander';
import { formatErrors } from '../common/result.js';
import type { Bootstrap } from '../proxy/config/types.js';
import { runSingle } from '../proxy/runtime/single.js';
import { runPrimary, runWorker } from '../proxy/runtime/workers.js';
import { sidecarBootstrap, type SidecarFlags } from '../proxy/xds/sidecar-bootstrap.js';

interface ProxyFlags extends Partial<SidecarFlags> {
  configPath?: string;
  configYaml?: string;
  concurrency: string;
  mode: string;
  drainTimeS: string;
  adminPort?: string;
  tokenFile?: string;
}

async function loadConfig(flags: ProxyFlags): Promise<Bootstrap> {
  // loaded here, not at the top: a sidecar (--control-plane) reads no YAML, so it does not load js-yaml (~0.5 MB RSS)
  const { loadBootstrapFile, loadBootstrap } = await import('../proxy/config/bootstrap.js');
  const r = flags.configPath !== undefined ? await loadBootstrapFile(flags.configPath) : await loadBootstrap(flags.configYaml ?? '', process.cwd());
  if (!r.ok) {
    const n = r.errors.length;
    throw new Error(`invalid configuration (${n} error${n === 1 ? '' : 's'}):\n${formatErrors(r.errors)}`);
  }
  return r.value;
}

async function controlPlaneConfig(flags: SidecarFlags): Promise<Bootstrap> {
  const r = await sidecarBootstrap(flags);
  if (!r.ok) throw new Error(`invalid flags:\n${formatErrors(r.errors)}`);
  return r.value;
}

/** The flags of `trellis proxy`, shared with `trellis gateway` (which has no --proxy-type: it is always a router). */
function proxyOptions(cmd: Command, withProxyType: boolean): Command {
  cmd
    .option('-c, --config-path <file>', 'Envoy v3 bootstrap (YAML or JSON)')
    .option('--config-yaml <yaml>', 'bootstrap given inline (as Envoy\'s --config-yaml)')
    .option('--concurrency <n>', 'worker processes sharing the listeners', '1')
    .option('--mode <mode>', 'serve | validate (check the config and exit)', 'serve')
    .option('--drain-time-s <s>', 'seconds in-flight requests get to finish on shutdown', '5')
    .option('--admin-port <port>', 'override admin.address port (0 = pick a free port)')
    .option('--control-plane <host:port>', 'get listeners, routes, clusters and endpoints over ADS from this control plane (instead of -c); several replicas comma-separated (or a name with several addresses), tried in turn on every reconnect')
    .option('--service <name>', 'with --control-plane: the service this workload serves (env TRELLIS_SERVICE)')
    .option('--namespace <ns>', 'with --control-plane: the workload namespace (env POD_NAMESPACE; default "default")')
    .option('--labels <k=v,...>', 'with --control-plane: the workload labels (env TRELLIS_LABELS)')
    .option('--service-port <port>', 'with --control-plane: the service port peers address (e.g. 9080)')
    .option('--app-port <port>', 'with --control-plane: where the local app listens (inbound traffic goes there)')
    .option('--outbound-port <port>', 'with --control-plane: outbound listener port for the app (0 = pick a free port)', '15001')
    .option('--inbound-port <port>', 'with --control-plane: inbound listener port for peers (0 = pick a free port)', '15006')
    .option('--node-id <id>', 'with --control-plane: the xDS node id (default sidecar~IP~SERVICE-PID.NS~NS.svc.cluster.local)')
    .option('--service-account <sa>', 'with --control-plane: the workload service account (env SERVICE_ACCOUNT; default "default")')
    .option('--ca-root <file>', 'with --control-plane: the mesh root(s) (`trellis ca root`); the control plane is reached over TLS and must chain to them')
    .option('--token-file <file>', 'with --control-plane: a token from `trellis token create` proving this workload\'s identity (env TRELLIS_TOKEN)')
    .option('--workload <name>', 'with --control-plane: the workload (deployment) this instance belongs to, for metrics and the graph (env TRELLIS_WORKLOAD; default <app>-<version> from --labels)')
    .option('--prometheus-port <port>', 'with --control-plane: where Istio\'s metrics are served (/stats/prometheus, all interfaces; 0 = pick a free port)', '15090')
    .option('--app-metrics-port <port>', 'with --control-plane: the app\'s own Prometheus endpoint on 127.0.0.1, merged into --prometheus-port\'s /stats/prometheus (Istio\'s prometheus.io/port)')
    .option('--app-metrics-path <path>', 'with --app-metrics-port: its path (Istio\'s prometheus.io/path; default /metrics)')
    .option('--xds-api <api>', 'with --control-plane: delta (incremental xDS, with VHDS) | sotw (state of the world)', 'delta');
  if (withProxyType) cmd.option('--proxy-type <type>', 'with --control-plane: sidecar | router', 'sidecar');
  return cmd;
}

/** The bootstrap token: --token-file, else TRELLIS_TOKEN. Never printed. */
async function xdsToken(flags: ProxyFlags): Promise<string | undefined> {
  if (flags.tokenFile !== undefined) {
    const { readFile } = await import('node:fs/promises');
    const t = (await readFile(flags.tokenFile, 'utf8')).trim();
    if (t === '') throw new Error(`--token-file ${flags.tokenFile} is empty`);
    return t;
  }
  const env = process.env.TRELLIS_TOKEN?.trim();
  return env !== undefined && env !== '' ? env : undefined;
}

async function runProxy(flags: ProxyFlags): Promise<void> {
  if (flags.controlPlane !== undefined && (flags.configPath !== undefined || flags.configYaml !== undefined)) {
    throw new Error('--control-plane builds its own bootstrap; give it or -c/--config-yaml, not both');
  }
  if (flags.configPath === undefined && flags.configYaml === undefined && flags.controlPlane === undefined) {
    throw new Error('proxy needs -c FILE (or --config-yaml, or --control-plane HOST:PORT)');
  }
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got "${flags.concurrency}"`);
  // each worker would open its own ADS stream under the same node id (and pick its own free ports)
  if (flags.controlPlane !== undefined && concurrency > 1) throw new Error('--control-plane supports --concurrency 1 only (for now)');
  const bootstrap = flags.controlPlane !== undefined ? await controlPlaneConfig({ ...flags, controlPlane: flags.controlPlane }) : await loadConfig(flags);
  if (flags.mode === 'validate') {
    process.stdout.write('configuration OK\n');
    return;
  }
  if (flags.mode !== 'serve') throw new Error(`--mode must be serve or validate, got "${flags.mode}"`);
  // a sidecar's bootstrap already took --admin-port (a 0 resolved to the port its node announces)
  if (flags.controlPlane === undefined && flags.adminPort !== undefined && bootstrap.admin?.address !== undefined) {
    bootstrap.admin.address.socket_address.port_value = Number(flags.adminPort);
  }
  const drainMs = Number(flags.drainTimeS) * 1000;
  if (cluster.isWorker) await runWorker(bootstrap);
  else if (concurrency > 1) await runPrimary(bootstrap, concurrency, drainMs);
  else await runSingle(bootstrap, drainMs, await xdsToken(flags));
}

export function registerProxyCommand(program: Command): void {
  proxyOptions(program.command('proxy').description('run the proxy (sidecar or front proxy) from an Envoy v3 bootstrap file'), true).action(runProxy);
}

/** `trellis gateway` = `trellis proxy --proxy-type router`: serves the Gateways whose selector matches its --labels. */
export function registerGatewayCommand(program: Command): void {
  proxyOptions(program.command('gateway').description('run an ingress/egress gateway (Istio router) configured by the control plane\'s Gateways'), false).action(
    (flags: ProxyFlags) => runProxy({ ...flags, proxyType: 'router' }),
  );
}
