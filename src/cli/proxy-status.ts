// CLI: `trellis proxy-status [PROXY] [-o json|yaml|wide]` — each connected proxy's xDS sync state per type (SYNCED / NOT SENT / STALE / NACKED), as istioctl shows it.
import type { Command } from 'commander';
import type { ProxyInfo, XdsShort } from './api-types.js';
import { ApiClient, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { age, cell, outputOption, table, toJson, toYaml } from './output.js';
import { guarded } from './run.js';
import { proxyName, resolveProxy } from './proxy-names.js';

interface StatusFlags extends ServerFlags {
  output?: 'json' | 'yaml' | 'wide';
}

const TYPES: readonly XdsShort[] = ['CDS', 'LDS', 'EDS', 'RDS'];

export function registerProxyStatusCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('proxy-status')
      .alias('ps')
      .description('sync state of every connected proxy: was the latest config sent and ACKed, per xDS type')
      .argument('[proxy]', 'only this proxy (its id)')
      .addOption(outputOption(['json', 'yaml', 'wide'])),
  ).action(guarded(io, (proxy: string | undefined, flags: StatusFlags) => proxyStatus(proxy, flags, io)));
}

function typeStatus(p: ProxyInfo, t: XdsShort): string {
  const s = p.types?.[t]?.status;
  return s === undefined || s === '' ? 'NOT SENT' : s.toUpperCase();
}

async function proxyStatus(only: string | undefined, flags: StatusFlags, io: Io): Promise<void> {
  const all = await new ApiClient(flags, io).get<ProxyInfo[]>('/api/v1/proxies');
  const proxies = only === undefined ? all : [resolveProxy(all, only)];
  if (flags.output === 'json') return io.out(toJson(proxies));
  if (flags.output === 'yaml') return io.out(toYaml(proxies));
  if (proxies.length === 0) return io.err('No proxies connected.\n');
  const wide = flags.output === 'wide';
  const now = Date.now();
  // several replicas: which one each proxy is connected to (istioctl's ISTIOD column)
  const replicas = proxies.some((p) => p.controlPlane !== undefined);
  const headers = ['NAME', 'NAMESPACE', ...TYPES, ...(replicas ? ['CONTROL PLANE'] : []), ...(wide ? ['TYPE', 'ADDRESS', 'CONNECTED', 'ACKED VERSIONS'] : [])];
  const rows = [...proxies]
    .sort((a, b) => proxyName(a).localeCompare(proxyName(b)))
    .map((p) => [
      proxyName(p),
      cell(p.namespace),
      ...TYPES.map((t) => typeStatus(p, t)),
      ...(replicas ? [cell(p.controlPlane)] : []),
      ...(wide ? [cell(p.type), cell(p.address), age(p.connectedAt, now), TYPES.map((t) => `${t}=${p.types?.[t]?.ackedVersion ?? '-'}`).join(' ')] : []),
    ]);
  io.out(table(headers, rows));
  // the proxy's NACK reason is what the user needs next; stderr keeps the table on stdout machine-readable
  for (const p of proxies) {
    for (const t of TYPES) {
      const e = p.types?.[t]?.error;
      if (e !== undefined && e !== '') io.err(`${proxyName(p)}: ${t} rejected: ${e}\n`);
    }
  }
}
