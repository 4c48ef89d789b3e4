// CLI: `trellis get KIND[,KIND] [NAME] [-n NS | -A] [-o yaml|json|wide]` — resources from the control plane, as kubectl shows them.
import type { Command } from 'commander';
import { DEFAULT_NAMESPACE, type Kind, type MeshResource } from '../api/types.js';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import { columnsFor } from './columns.js';
import { asList, asWritten } from './display.js';
import type { Io } from './io.js';
import { resolveKind, typeName } from './kinds.js';
import { outputOption, table, toJson, toYaml } from './output.js';
import { getMetrics } from './metrics.js';
import { guarded } from './run.js';

interface GetFlags extends ServerFlags {
  namespace?: string;
  allNamespaces?: boolean;
  output?: 'json' | 'yaml' | 'wide';
  showSecrets?: boolean;
}

export function registerGetCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('get')
      .description('list resources of a kind (vs, dr, gw, se, we, sidecar, svc, secret …) or show one by name; `get metrics [SERVICE]` shows golden metrics')
      .argument('<kind>', 'resource type; several comma-separated, or KIND/NAME')
      .argument('[name]', 'one resource by name')
      .option('-n, --namespace <ns>', 'namespace', DEFAULT_NAMESPACE)
      .option('-A, --all-namespaces', 'list across all namespaces')
      .option('--show-secrets', 'show Secret values in -o yaml|json (needs the admin token); without it they read <redacted>')
      .addOption(outputOption(['json', 'yaml', 'wide'])),
  ).action(guarded(io, (kindArg: string, name: string | undefined, flags: GetFlags) => get(kindArg, name, flags, io)));
}

/** `vs/reviews` is kubectl's other way to name one object. */
function splitTarget(kindArg: string, name: string | undefined): { kinds: Kind[]; name?: string } {
  const slash = kindArg.indexOf('/');
  if (slash >= 0) {
    if (name !== undefined) throw new UsageError(`give either KIND/NAME or KIND NAME, not both`);
    return { kinds: [resolveKind(kindArg.slice(0, slash))], name: kindArg.slice(slash + 1) };
  }
  const kinds = kindArg.split(',').filter((k) => k !== '').map(resolveKind);
  if (name !== undefined && kinds.length > 1) throw new UsageError('a NAME needs exactly one KIND');
  return name === undefined ? { kinds } : { kinds, name };
}

async function get(kindArg: string, nameArg: string | undefined, flags: GetFlags, io: Io): Promise<void> {
  // the seed's `kubectl get metrics`: golden metrics, not a stored kind
  if (kindArg === 'metrics' || kindArg === 'metric') return getMetrics(nameArg, flags, io);
  const { kinds, name } = splitTarget(kindArg, nameArg);
  const client = new ApiClient(flags, io);
  const ns = flags.namespace ?? DEFAULT_NAMESPACE;
  // the server redacts secret values unless asked, and asking needs the admin credential
  const secrets = flags.showSecrets === true ? { showSecrets: 'true' } : {};
  if (name !== undefined) {
    const kind = kinds[0] as Kind;
    const r = await client.get<MeshResource>(`/api/v1/resources/${encodeURIComponent(kind)}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`, secrets);
    return print([r], flags, io, true);
  }
  const all: MeshResource[] = [];
  for (const kind of kinds) {
    all.push(...(await client.get<MeshResource[]>('/api/v1/resources', { kind, namespace: flags.allNamespaces === true ? undefined : ns, ...secrets })));
  }
  if (all.length === 0 && flags.output !== 'json' && flags.output !== 'yaml') {
    // kubectl says this on stderr so a script reading stdout sees an empty table-less result
    io.err(flags.allNamespaces === true ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
    return;
  }
  print(all, flags, io, false);
}

function print(items: MeshResource[], flags: GetFlags, io: Io, single: boolean): void {
  if (flags.output === 'json') return io.out(toJson(single ? asWritten(items[0] as MeshResource) : asList(items)));
  if (flags.output === 'yaml') return io.out(toYaml(single ? asWritten(items[0] as MeshResource) : asList(items)));
  const now = Date.now();
  const kinds = [...new Set(items.map((r) => r.kind))];
  const several = kinds.length > 1;
  const blocks = kinds.map((kind) => {
    const cols = columnsFor(kind, flags.allNamespaces === true, flags.output === 'wide');
    // with several kinds in one table set, kubectl prefixes names with the type so they stay distinguishable
    const rows = items
      .filter((r) => r.kind === kind)
      .sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name))
      .map((r) => {
        const row = cols.row(r, now);
        const at = flags.allNamespaces === true ? 1 : 0;
        if (several) row[at] = `${typeName(kind)}/${row[at] ?? ''}`;
        return row;
      });
    return table(cols.headers, rows);
  });
  io.out(blocks.join('\n'));
}
