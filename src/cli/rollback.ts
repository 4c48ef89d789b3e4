// CLI: `trellis rollback N` / `trellis rollback --to N` [-m MESSAGE] — restores the whole config as of revision N, committed as a new revision.
import type { Command } from 'commander';
import type { RollbackResponse } from './api-types.js';
import { ApiClient, UsageError, withWriteFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

interface RollbackFlags extends ServerFlags {
  to?: string;
  message?: string;
}

export function registerRollbackCommand(program: Command, io: Io): void {
  withWriteFlags(
    program
      .command('rollback')
      .description('restore the config as it was at revision N (as a new revision): rollback N, or rollback --to N')
      .argument('[revision]', 'the revision to go back to (see `trellis history`)')
      .option('--to <revision>', 'the same, as a flag')
      .option('-m, --message <text>', 'recorded with the new revision'),
  ).action(guarded(io, (revision: string | undefined, flags: RollbackFlags) => rollback(revision, flags, io)));
}

export function parseRevision(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${what} must be a revision number, got "${text ?? ''}"`);
  return n;
}

async function rollback(revision: string | undefined, flags: RollbackFlags, io: Io): Promise<void> {
  if (revision !== undefined && flags.to !== undefined) throw new UsageError('give the revision once: rollback N or rollback --to N');
  if (revision === undefined && flags.to === undefined) throw new UsageError('rollback needs a revision: rollback N (see `trellis history`)');
  const to = revision !== undefined ? parseRevision(revision, 'the revision') : parseRevision(flags.to, '--to');
  const client = new ApiClient(flags, io);
  const body: Record<string, unknown> = { to, author: client.author };
  if (flags.message !== undefined) body.message = flags.message;
  const res = await client.post<RollbackResponse>('/api/v1/rollback', body);
  io.out(`rolled back to revision ${to} as revision ${res.revision}\n`);
}
