// CLI: `trellis rollback --to N [-m MESSAGE]` — restores the whole config as of revision N, committed as a new revision.
import type { Command } from 'commander';
import type { RollbackResponse } from './api-types.js';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

interface RollbackFlags extends ServerFlags {
  to?: string;
  message?: string;
}

export function registerRollbackCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('rollback')
      .description('restore the config as it was at revision N (as a new revision)')
      .option('--to <revision>', 'the revision to go back to')
      .option('-m, --message <text>', 'recorded with the new revision'),
  ).action(guarded(io, (flags: RollbackFlags) => rollback(flags, io)));
}

export function parseRevision(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${what} must be a revision number, got "${text ?? ''}"`);
  return n;
}

async function rollback(flags: RollbackFlags, io: Io): Promise<void> {
  if (flags.to === undefined) throw new UsageError('rollback needs --to N (see `trellis history`)');
  const to = parseRevision(flags.to, '--to');
  const client = new ApiClient(flags, io);
  const body: Record<string, unknown> = { to, author: client.author };
  if (flags.message !== undefined) body.message = flags.message;
  const res = await client.post<RollbackResponse>('/api/v1/rollback', body);
  io.out(`rolled back to revision ${to} as revision ${res.revision}\n`);
}
