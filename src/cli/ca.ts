// CLI: `trellis ca root` — prints the mesh's trusted root certificate(s) in PEM, from the control plane.
import type { Command } from 'commander';
import { ApiClient, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

export function registerCaCommand(program: Command, io: Io): void {
  const ca = program.command('ca').description('the mesh certificate authority');
  withServerFlags(ca.command('root').description('print the trusted root certificate(s) in PEM')).action(
    guarded(io, async (flags: ServerFlags) => {
      const r = await new ApiClient(flags, io).get<{ trustDomain: string; rootsPem: string }>('/api/v1/ca/root');
      io.out(r.rootsPem);
    }),
  );
}
