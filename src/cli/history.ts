// CLI: `trellis history [--limit N] [-o json|yaml]` — the config revisions (who, when, why, what), oldest first like the server returns them.
import type { Command } from 'commander';
import type { RevisionEntry } from './api-types.js';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { cell, outputOption, shortTime, table, toJson, toYaml } from './output.js';
import { guarded } from './run.js';

interface HistoryFlags extends ServerFlags {
  limit?: string;
  output?: 'json' | 'yaml';
}

const MAX_CHANGES_CELL = 60;

export function registerHistoryCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('history')
      .description('list config revisions: revision, time, author, message and changed resources')
      .option('--limit <n>', 'only the newest N revisions')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (flags: HistoryFlags) => history(flags, io)));
}

/** `put VirtualService/default/reviews, delete …` cut to a table-friendly width, with the count of what was cut. */
export function changesCell(changes: readonly { key: string; op: string }[]): string {
  const parts = changes.map((c) => `${c.op} ${c.key}`);
  let text = '';
  for (let i = 0; i < parts.length; i++) {
    const next = text === '' ? parts[i] ?? '' : `${text}, ${parts[i] ?? ''}`;
    if (next.length > MAX_CHANGES_CELL && text !== '') return `${text}, … (+${parts.length - i} more)`;
    text = next;
  }
  return cell(text);
}

async function history(flags: HistoryFlags, io: Io): Promise<void> {
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got "${flags.limit}"`);
  }
  const revs = await new ApiClient(flags, io).get<RevisionEntry[]>('/api/v1/revisions', { limit });
  if (flags.output === 'json') return io.out(toJson(revs));
  if (flags.output === 'yaml') return io.out(toYaml(revs));
  if (revs.length === 0) return io.err('No revisions yet.\n');
  const rows = revs.map((r) => [String(r.revision), shortTime(r.time), cell(r.author), cell(r.message), changesCell(r.changes ?? [])]);
  io.out(table(['REVISION', 'TIME', 'AUTHOR', 'MESSAGE', 'CHANGES'], rows));
}
