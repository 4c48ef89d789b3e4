#!/usr/bin/env node
// CLI: the `trellis` binary — one subcommand per verb, each loaded only when it is the one being run,
// so `trellis proxy` never pays for the control plane's store, gRPC server or CLI verbs.
import { Command } from 'commander';
import { VERSION } from '../common/version.js';

type Register = (program: Command) => void;
const MESH_VERBS = ['apply', 'get', 'delete', 'history', 'rollback', 'diff', 'analyze', 'proxy-status', 'ps', 'proxy-config', 'pc', 'explain', 'ca', 'token', 'tap', 'top', 'stat', 'dashboard'];
const loaders: Record<string, () => Promise<Register>> = {
  proxy: async () => (await import('./proxy.js')).registerProxyCommand,
  gateway: async () => (await import('./proxy.js')).registerGatewayCommand,
  control: async () => (await import('./control.js')).registerControlCommand,
  demo: async () => (await import('../demo/command.js')).registerDemoCommand,
  run: async () => (await import('./inject/command.js')).registerRunCommand,
  mesh: async () => (await import('./mesh.js')).registerMeshCommands,
};

// `trellis … | head` closes stdout early: that ends the command quietly, as it does for any Unix tool
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

async function main(): Promise<void> {
  const program = new Command();
  program.name('trellis').description('Trellis service mesh: Envoy-compatible proxy and Istio-compatible control plane').version(VERSION);
  program.addHelpText(
    'after',
    `
New here? Start with:
  trellis demo                   a whole mesh on this host: bookinfo behind a gateway on :8080, mTLS, traffic
  trellis proxy-status           (second terminal) every sidecar and whether it has the latest config
  trellis explain --from productpage-v1 http://reviews:9080/reviews/0
                                 why a request goes where it goes, or fails
  trellis run --service web -- node server.js
                                 your own app with its sidecar
Every verb has --help. Docs: README.md, docs/tutorials/ (Istio's tasks, done with trellis).`,
  );
  // istioctl's `version`: the client's version, as --version prints it
  program.command('version').description('print the trellis version').action(() => void process.stdout.write(`${VERSION}\n`));
  const verb = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted =
    verb === 'version' ? [] : verb === 'proxy' || verb === 'gateway' || verb === 'control' || verb === 'run' || verb === 'demo' ? [verb] : verb !== undefined && MESH_VERBS.includes(verb) ? ['mesh'] : Object.keys(loaders);
  for (const name of wanted) (await loaders[name]())(program);
  if (wanted.length === Object.keys(loaders).length) {
    // every verb is registered only here (no verb matched one loader), which a completion script needs
    const { completionScript } = await import('./completion.js');
    program
      .command('completion')
      .description('print a shell completion script: eval "$(trellis completion bash)" (or zsh)')
      .argument('<shell>', 'bash or zsh')
      .action((shell: string) => {
        if (shell !== 'bash' && shell !== 'zsh') program.error(`completion: shell must be bash or zsh, got "${shell}"`);
        process.stdout.write(completionScript(program, shell as 'bash' | 'zsh'));
      });
  }
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  process.stderr.write(`trellis: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
