// CLI: `trellis apply -f FILE|DIR|- [-m MESSAGE] [--dry-run]` — one all-or-nothing apply (one revision), reported like kubectl.
import type { Command } from 'commander';
import type { ApplyResponse } from './api-types.js';
import { ApiClient, withWriteFlags, type ServerFlags } from './client.js';
import { joinSources, loadSources, readSources } from './files.js';
import type { Io } from './io.js';
import { displayKey } from './kinds.js';
import { outputOption, toJson, toYaml } from './output.js';
import { guarded } from './run.js';

interface ApplyFlags extends ServerFlags {
  filename: string[];
  message?: string;
  dryRun?: boolean;
  output?: 'json' | 'yaml';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerApplyCommand(program: Command, io: Io): void {
  withWriteFlags(
    program
      .command('apply')
      .description('create or update resources from files, a directory or stdin, as one revision (all or nothing)')
      .option('-f, --filename <path>', 'file, directory (*.yaml, *.yml, *.json) or - for stdin; repeatable', collect, [])
      .option('-m, --message <text>', 'recorded with the revision')
      .option('--dry-run', 'validate and show what would change, commit nothing')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (flags: ApplyFlags) => apply(flags, io)));
}

async function apply(flags: ApplyFlags, io: Io): Promise<void> {
  const sources = await readSources(flags.filename, io);
  // checked here first so errors point at the user's files and lines; the server checks again (cross-resource, races)
  loadSources(sources);
  const client = new ApiClient(flags, io);
  const body: Record<string, unknown> = { text: joinSources(sources), author: client.author };
  if (flags.message !== undefined) body.message = flags.message;
  if (flags.dryRun === true) body.dryRun = true;
  const res = await client.post<ApplyResponse>('/api/v1/apply', body);
  if (flags.output === 'json') return io.out(toJson(res));
  if (flags.output === 'yaml') return io.out(toYaml(res));
  const suffix = flags.dryRun === true ? ' (dry run)' : '';
  for (const c of res.changes) io.out(`${displayKey(c.key)} ${c.op}${suffix}\n`);
  for (const s of res.skipped ?? []) io.out(`${s.kind.toLowerCase()}/${s.name} skipped: ${s.kind} has no meaning in a Trellis mesh\n`);
  if (flags.dryRun === true) return;
  const unchanged = res.changes.length > 0 && res.changes.every((c) => c.op === 'unchanged');
  io.out(`revision ${res.revision}${unchanged ? ' (nothing changed)' : ''}\n`);
}
