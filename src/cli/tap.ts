// CLI: `trellis tap SERVICE|WORKLOAD [-n NS] [--path P] [--method M] [--max-rps N] [-o json]` — live requests of a target's proxies, one line each, as Linkerd's tap prints them.
import type { Command } from 'commander';
import { Option } from 'commander';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { guarded } from './run.js';

interface TapFlags extends ServerFlags {
  namespace?: string;
  path?: string;
  method?: string;
  maxRps?: string;
  output?: 'json';
}

interface TapLine {
  time?: string;
  proxy?: string;
  reporter?: string;
  source?: { workload?: string; namespace?: string; principal?: string };
  destination?: { service?: string; workload?: string; namespace?: string; principal?: string };
  method?: string;
  authority?: string;
  path?: string;
  status?: number;
  grpcStatus?: number;
  durationMs?: number;
  responseFlags?: string;
  mtls?: boolean;
}

function peerName(p: { workload?: string; namespace?: string; principal?: string } | undefined): string {
  if (p === undefined) return 'unknown';
  if (p.workload !== undefined && p.workload !== 'unknown') return `${p.workload}.${p.namespace ?? 'unknown'}`;
  return p.principal ?? 'unknown';
}

/** Linkerd's `req id=… src=… dst=… :method=… :authority=… :path=…` followed by the outcome, on one line. */
export function formatTapLine(e: TapLine, seq: number): string {
  const dst = e.destination?.workload !== undefined && e.destination.workload !== 'unknown' ? peerName(e.destination) : (e.destination?.service ?? 'unknown');
  const grpc = e.grpcStatus !== undefined ? ` grpc-status=${e.grpcStatus}` : '';
  const latency = e.durationMs !== undefined ? `${Math.round(e.durationMs)}ms` : '-';
  return `req id=${seq} proxy=${e.proxy ?? '-'} ${e.reporter === 'source' ? 'out' : 'in'} src=${peerName(e.source)} dst=${dst} :method=${e.method ?? '-'} :authority=${e.authority ?? '-'} :path=${e.path ?? '-'} status=${e.status ?? '-'}${grpc} latency=${latency} flags=${e.responseFlags ?? '-'} tls=${e.mtls === true}\n`;
}

export function registerTapCommand(program: Command, io: Io): void {
  withServerFlags(
    program
      .command('tap')
      .description('stream the requests a service or workload receives, live (needs the admin token)')
      .argument('<target>', 'a service or workload name')
      .option('-n, --namespace <ns>', 'namespace of the target', 'default')
      .option('--path <prefix>', 'only requests whose path starts with this')
      .option('--method <method>', 'only requests with this method')
      .option('--max-rps <n>', 'most requests per second shown, per proxy (1..1000)', '100')
      .addOption(new Option('-o, --output <format>', 'json: one JSON event per line').choices(['json'])),
  ).action(guarded(io, (target: string, flags: TapFlags) => tap(target, flags, io)));
}

async function tap(target: string, flags: TapFlags, io: Io): Promise<void> {
  const maxRps = Number(flags.maxRps ?? '100');
  if (!Number.isInteger(maxRps) || maxRps < 1 || maxRps > 1000) throw new UsageError(`--max-rps must be an integer from 1 to 1000, got "${flags.maxRps}"`);
  const client = new ApiClient(flags, io);
  const ctl = new AbortController();
  const onSignal = (): void => ctl.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let seq = 0;
  try {
    await client.stream(
      '/api/v1/tap',
      { target, namespace: flags.namespace ?? 'default', path: flags.path, method: flags.method, max_rps: maxRps },
      (line) => {
        let e: TapLine;
        try {
          e = JSON.parse(line) as TapLine;
        } catch {
          return;
        }
        if (e.method === undefined) return; // heartbeat
        io.out(flags.output === 'json' ? `${JSON.stringify(e)}\n` : formatTapLine(e, ++seq));
      },
      ctl.signal,
      (h) => {
        // replicas: a tap runs on the replica each proxy is connected to; one that did not answer is not tapped
        const missing = h['x-trellis-tap-unreachable'];
        if (typeof missing === 'string') io.err(`Note: not tapping the proxies of replica ${missing}\n`);
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
