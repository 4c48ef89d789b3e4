// CLI: `trellis diff A [B] [-o json] [--exit-code]` — what changed between two config revisions, as a unified diff of each resource's YAML.
import type { Command } from 'commander';
import type { DiffEntry } from './api-types.js';
import { ApiClient, withServerFlags, type ServerFlags } from './client.js';
import { asWritten } from './display.js';
import type { Io } from './io.js';
import { unifiedHunks } from './line-diff.js';
import { outputOption, toJson, toYaml } from './output.js';
import { guarded } from './run.js';
import { parseRevision } from './rollback.js';

interface DiffFlags extends ServerFlags {
  output?: 'json' | 'yaml';
  exitCode?: boolean;
  showSecrets?: boolean;
}

export function registerDiffCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('diff')
      .description('show how resources changed between revision A and revision B (default: the latest)')
      .argument('<from>', 'older revision')
      .argument('[to]', 'newer revision (omitted: the current one)')
      .option('--exit-code', 'exit with status 1 when there are differences, as diff(1) and kubectl diff do')
      .option('--show-secrets', 'show Secret values (needs the admin token); without it a changed value reads "<redacted> (changed)"')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (from: string, to: string | undefined, flags: DiffFlags) => diff(from, to, flags, io)));
}

/** One resource's unified diff; a side that does not exist is /dev/null, as diff -N shows it. */
export function resourceDiff(e: DiffEntry, from: string, to: string): string {
  const before = e.before !== undefined ? toYaml(asWritten(e.before)) : '';
  const after = e.after !== undefined ? toYaml(asWritten(e.after)) : '';
  const hunks = unifiedHunks(before, after);
  if (hunks === '') return '';
  const a = e.before !== undefined ? `a/${e.key}\t(revision ${from})` : '/dev/null';
  const b = e.after !== undefined ? `b/${e.key}\t(revision ${to})` : '/dev/null';
  return `diff -u -N a/${e.key} b/${e.key}\n--- ${a}\n+++ ${b}\n${hunks}`;
}

async function diff(fromArg: string, toArg: string | undefined, flags: DiffFlags, io: Io): Promise<void> {
  const from = parseRevision(fromArg, 'A');
  const to = toArg === undefined ? undefined : parseRevision(toArg, 'B');
  const entries = await new ApiClient(flags, io).get<DiffEntry[]>('/api/v1/diff', { from, to, ...(flags.showSecrets === true ? { showSecrets: 'true' } : {}) });
  if (flags.output === 'json') io.out(toJson(entries));
  else if (flags.output === 'yaml') io.out(toYaml(entries));
  else {
    const sorted = [...entries].sort((x, y) => x.key.localeCompare(y.key));
    io.out(sorted.map((e) => resourceDiff(e, String(from), to === undefined ? 'current' : String(to))).join(''));
  }
  if (flags.exitCode === true && entries.length > 0) io.fail();
}
