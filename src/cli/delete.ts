// CLI: `trellis delete -f FILE|DIR|- | KIND NAME... [-n NS] [-m MESSAGE]` — removes resources in one revision, reported like kubectl.
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, parseResourceKey } from '../api/types.js';
import type { DeleteResponse } from './api-types.js';
import { ApiClient, UsageError, withWriteFlags, type ServerFlags } from './client.js';
import { joinSources, readSources } from './files.js';
import type { Io } from './io.js';
import { resolveKind, typeName } from './kinds.js';
import { outputOption, toJson, toYaml } from './output.js';
import { guarded } from './run.js';

interface DeleteFlags extends ServerFlags {
  filename: string[];
  namespace?: string;
  message?: string;
  output?: 'json' | 'yaml';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerDeleteCommand(program: Command, io: Io): void {
  withWriteFlags(
    program
      .command('delete')
      .description('delete the resources named in files, or KIND NAME..., as one revision')
      .argument('[kind]', 'resource type (vs, dr, gw, se, we, sidecar, svc …) or KIND/NAME')
      .argument('[names...]', 'names of the resources to delete')
      .option('-f, --filename <path>', 'file, directory or - whose resources to delete; repeatable', collect, [])
      .option('-n, --namespace <ns>', 'namespace of KIND NAME', DEFAULT_NAMESPACE)
      .option('-m, --message <text>', 'recorded with the revision')
      .addOption(outputOption(['json', 'yaml'])),
  ).action(guarded(io, (kind: string | undefined, names: string[], flags: DeleteFlags) => del(kind, names, flags, io)));
}

/** Store keys `Kind/ns/name` for the KIND NAME... form (`vs/reviews` also works, as in kubectl). */
function keysFromArgs(kindArg: string, names: string[], ns: string): string[] {
  const slash = kindArg.indexOf('/');
  const kind = resolveKind(slash >= 0 ? kindArg.slice(0, slash) : kindArg);
  const all = slash >= 0 ? [kindArg.slice(slash + 1), ...names] : names;
  if (all.length === 0) throw new UsageError(`delete ${kindArg}: give at least one NAME (or use -f FILE)`);
  return all.map((n) => `${kind}/${ns}/${n}`);
}

async function del(kindArg: string | undefined, names: string[], flags: DeleteFlags, io: Io): Promise<void> {
  if ((kindArg === undefined) === (flags.filename.length === 0)) throw new UsageError('delete takes either -f FILE or KIND NAME...');
  const client = new ApiClient(flags, io);
  const body: Record<string, unknown> = { author: client.author };
  if (flags.message !== undefined) body.message = flags.message;
  if (kindArg !== undefined) body.keys = keysFromArgs(kindArg, names, flags.namespace ?? DEFAULT_NAMESPACE);
  else body.text = joinSources(await readSources(flags.filename, io));
  const res = await client.post<DeleteResponse>('/api/v1/delete', body);
  if (flags.output === 'json') return io.out(toJson(res));
  if (flags.output === 'yaml') return io.out(toYaml(res));
  for (const key of res.deleted) {
    const k = parseResourceKey(key);
    io.out(k === undefined ? `${key} deleted\n` : `${typeName(k.kind)} "${k.name}" deleted\n`);
  }
  io.out(`revision ${res.revision}\n`);
}
