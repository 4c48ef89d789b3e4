#!/usr/bin/env node
// CLI: the `trellis` binary — one subcommand per verb.
import { Command } from 'commander';
import { registerProxyCommand } from './proxy.js';
import { VERSION } from '../proxy/proxy.js';

const program = new Command();
program.name('trellis').description('Trellis service mesh: Envoy-compatible proxy and Istio-compatible control plane').version(VERSION);
registerProxyCommand(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`trellis: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
