// CLI: `trellis proxy-config listeners|routes|clusters|endpoints|all PROXY [-o json|yaml|wide]` — the xDS a proxy was given, summarized like istioctl, or raw.
import type { Command } from 'commander';
import type { ProxyInfo } from './api-types.js';
import { ApiClient, UsageError, isRecord, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { outputOption, table, toJson, toYaml } from './output.js';
import { guarded } from './run.js';
import { clusterSummary, endpointSummary, listenerSummary, routeSummary, type Summary } from './xds-summary.js';
import { resolveProxy } from './proxy-names.js';

type XdsKind = 'listeners' | 'routes' | 'clusters' | 'endpoints';

interface ConfigFlags extends ServerFlags {
  output?: 'json' | 'yaml' | 'wide';
}

// istioctl's spellings: `proxy-config cluster`, `pc routes`, `pc ep` …
const TYPE_ALIASES: Readonly<Record<string, XdsKind | 'all'>> = {
  listener: 'listeners', listeners: 'listeners', l: 'listeners', lds: 'listeners',
  route: 'routes', routes: 'routes', r: 'routes', rds: 'routes',
  cluster: 'clusters', clusters: 'clusters', c: 'clusters', cds: 'clusters',
  endpoint: 'endpoints', endpoints: 'endpoints', ep: 'endpoints', eds: 'endpoints',
  all: 'all',
};

const KINDS: readonly XdsKind[] = ['listeners', 'routes', 'clusters', 'endpoints'];

export function registerProxyConfigCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('proxy-config')
      .alias('pc')
      .description("show a proxy's listeners, routes, clusters or endpoints as the control plane sends them")
      .argument('<type>', 'listeners | routes | clusters | endpoints | all')
      .argument('<proxy>', 'proxy id (see `trellis proxy-status`)')
      .addOption(outputOption(['json', 'yaml', 'wide'])),
  ).action(guarded(io, (type: string, proxy: string, flags: ConfigFlags) => proxyConfig(type, proxy, flags, io)));
}

/** The contract says "xDS resources as JSON": take an array, or the array under the type's name or `resources`, each maybe wrapped as {name, resource}. */
export function resourcesOf(body: unknown, kind: XdsKind): unknown[] {
  let list: unknown = body;
  if (isRecord(body)) list = body[kind] ?? body.resources ?? [];
  if (!Array.isArray(list)) return [];
  return list.map((e) => (isRecord(e) && isRecord(e.resource) && e['@type'] === undefined ? e.resource : e));
}

function summarize(kind: XdsKind, resources: unknown[], wide: boolean): Summary {
  switch (kind) {
    case 'listeners':
      return listenerSummary(resources);
    case 'routes':
      return routeSummary(resources, wide);
    case 'clusters':
      return clusterSummary(resources);
    case 'endpoints':
      return endpointSummary(resources, wide);
  }
}

function configPath(id: string, type: XdsKind | 'all'): string {
  return `/api/v1/proxies/${encodeURIComponent(id)}/config/${type}`;
}

/** The config of one type of the proxy `ref` names (see resolveProxy for the forms a reference takes). */
async function fetchConfig(client: ApiClient, id: string, type: XdsKind | 'all'): Promise<unknown> {
  return client.get<unknown>(configPath(id, type));
}

async function proxyConfig(typeArg: string, proxy: string, flags: ConfigFlags, io: Io): Promise<void> {
  const type = TYPE_ALIASES[typeArg.toLowerCase()];
  if (type === undefined) throw new UsageError(`unknown config type "${typeArg}"; use listeners, routes, clusters, endpoints or all`);
  const client = new ApiClient(flags, io);
  const id = resolveProxy(await client.get<ProxyInfo[]>('/api/v1/proxies'), proxy).id;
  if (flags.output === 'json' || flags.output === 'yaml') {
    const body = await fetchConfig(client, id, type);
    return io.out(flags.output === 'json' ? toJson(body) : toYaml(body));
  }
  const wide = flags.output === 'wide';
  const blocks: string[] = [];
  for (const kind of type === 'all' ? KINDS : [type]) {
    const s = summarize(kind, resourcesOf(await fetchConfig(client, id, kind), kind), wide);
    blocks.push(table(s.headers, s.rows));
  }
  io.out(blocks.join('\n'));
}
