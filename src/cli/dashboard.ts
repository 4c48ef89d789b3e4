// CLI: `trellis dashboard` — the control plane's web dashboard URL, printed, and opened in a browser on a desktop.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ApiClient, DEFAULT_SERVER, DEFAULT_TOKEN_FILE } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

interface DashboardFlags {
  server?: string;
  open: boolean;
}

export function registerDashboardCommand(program: Command, io: Io): void {
  program
    .command('dashboard')
    .description('print the web dashboard URL (and open it in a browser on a desktop); sign in with the admin token')
    .option('--server <url>', `control plane HTTP API (default $TRELLIS_SERVER or ${DEFAULT_SERVER})`)
    .option('--no-open', 'only print the URL')
    .action(guarded(io, (flags: DashboardFlags) => dashboard(flags, io)));
}

async function dashboard(flags: DashboardFlags, io: Io): Promise<void> {
  const client = new ApiClient(flags, io);
  // the dashboard is served by the control plane: say so now if it is not there, rather than in the browser
  await client.get<unknown>('/api/v1/ca/root');
  const url = `${client.server}/`;
  io.out(`${url}\n`);
  io.out(`sign in with the admin token (${DEFAULT_TOKEN_FILE} where \`trellis control\` runs, or $TRELLIS_TOKEN)\n`);
  const desktop = (io.env.DISPLAY ?? '') !== '' || (io.env.WAYLAND_DISPLAY ?? '') !== '';
  if (!flags.open || !desktop) return;
  const opener = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  opener.on('error', () => io.err(`could not start xdg-open; open ${url} yourself\n`));
  opener.unref();
}
