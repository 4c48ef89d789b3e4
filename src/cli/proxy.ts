// CLI: `trellis proxy` — runs the data plane from an Envoy v3 bootstrap, with Envoy's own flags.
import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadBootstrapFile, loadBootstrapText } from '../proxy/config/bootstrap.js';
import { formatErrors } from '../common/result.js';
import type { Bootstrap } from '../proxy/config/types.js';
import { runSingle } from '../proxy/runtime/single.js';
import { runPrimary, runWorker } from '../proxy/runtime/workers.js';

interface ProxyFlags {
  configPath?: string;
  configYaml?: string;
  concurrency: string;
  mode: string;
  drainTimeS: string;
  adminPort?: string;
}

function loadConfig(flags: ProxyFlags): Bootstrap {
  const r = flags.configPath !== undefined ? loadBootstrapFile(flags.configPath) : loadBootstrapText(flags.configYaml ?? '', process.cwd());
  if (!r.ok) {
    const n = r.errors.length;
    throw new Error(`invalid configuration (${n} error${n === 1 ? '' : 's'}):\n${formatErrors(r.errors)}`);
  }
  return r.value;
}

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('run the proxy (sidecar or front proxy) from an Envoy v3 bootstrap file')
    .option('-c, --config-path <file>', 'Envoy v3 bootstrap (YAML or JSON)')
    .option('--config-yaml <yaml>', 'bootstrap given inline (as Envoy\'s --config-yaml)')
    .option('--concurrency <n>', 'worker processes sharing the listeners', '1')
    .option('--mode <mode>', 'serve | validate (check the config and exit)', 'serve')
    .option('--drain-time-s <s>', 'seconds in-flight requests get to finish on shutdown', '5')
    .option('--admin-port <port>', 'override admin.address port (0 = pick a free port)')
    .action(async (flags: ProxyFlags) => {
      if (flags.configPath === undefined && flags.configYaml === undefined) throw new Error('proxy needs -c FILE (or --config-yaml)');
      const concurrency = Number(flags.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got "${flags.concurrency}"`);
      const bootstrap = loadConfig(flags);
      if (flags.mode === 'validate') {
        process.stdout.write('configuration OK\n');
        return;
      }
      if (flags.mode !== 'serve') throw new Error(`--mode must be serve or validate, got "${flags.mode}"`);
      if (flags.adminPort !== undefined && bootstrap.admin?.address !== undefined) {
        bootstrap.admin.address.socket_address.port_value = Number(flags.adminPort);
      }
      const drainMs = Number(flags.drainTimeS) * 1000;
      if (cluster.isWorker) await runWorker(bootstrap);
      else if (concurrency > 1) await runPrimary(bootstrap, concurrency, drainMs);
      else await runSingle(bootstrap, drainMs);
    });
}
