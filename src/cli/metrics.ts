// CLI: `trellis get metrics [SERVICE]` (a table once) and `trellis top` / `stat` (the same, refreshing) — golden
// metrics per service or workload from the control plane's gathered Istio metrics (GET /api/v1/stats; admin token).
import type { Command } from 'commander';
import { Option } from 'commander';
import { ApiClient, UsageError, withServerFlags, type ServerFlags } from './client.js';
import type { Io } from './io.js';
import { table, toJson, toYaml } from './output.js';
import { guarded } from './run.js';

export interface MetricsFlags extends ServerFlags {
  namespace?: string;
  allNamespaces?: boolean;
  by?: 'service' | 'workload';
  window?: string;
  output?: 'json' | 'yaml' | 'wide';
}

interface StatsItem {
  kind: string;
  namespace: string;
  name: string;
  requestRate: number;
  successRate: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  tcpOpenConnections: number;
  tcpBytesPerSec: number;
  mtlsRate: number | null;
  workloads?: string[];
}

const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(v === 1 ? 0 : 2)}%`);
const ms = (v: number | null): string => (v === null ? '-' : v < 10 ? `${v.toFixed(1)}ms` : `${Math.round(v)}ms`);
const rps = (v: number): string => (v === 0 ? '0' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** Linkerd's `stat` columns, Istio's names: one row per service or workload. */
export function metricsTable(items: readonly StatsItem[], wide: boolean): string {
  const headers = ['NAMESPACE', 'NAME', 'REQ/S', 'SUCCESS', 'P50', 'P90', 'P99', 'TCP CONN', 'MTLS', ...(wide ? ['WORKLOADS'] : [])];
  const rows = items.map((i) => [
    i.namespace, i.name, rps(i.requestRate), pct(i.successRate), ms(i.p50Ms), ms(i.p90Ms), ms(i.p99Ms), String(i.tcpOpenConnections), pct(i.mtlsRate),
    ...(wide ? [(i.workloads ?? []).join(',') || '-'] : []),
  ]);
  return table(headers, rows);
}

interface StatsAnswer {
  window: string;
  items: StatsItem[];
  /** Replicas sharing a store: which of them the numbers come from. */
  replicas?: { answered: string[]; unreachable: { replica: string; error: string }[] };
}

async function fetchItems(client: ApiClient, service: string | undefined, flags: MetricsFlags): Promise<StatsAnswer> {
  return client.get<StatsAnswer>('/api/v1/stats', {
    by: flags.by ?? 'service',
    window: flags.window ?? '60s',
    namespace: flags.allNamespaces === true ? undefined : (flags.namespace ?? 'default'),
    name: service,
  });
}

function render(r: StatsAnswer, flags: MetricsFlags): string {
  if (flags.output === 'json') return toJson(r.items);
  if (flags.output === 'yaml') return toYaml(r.items);
  if (r.items.length === 0) return `No traffic seen in the last ${r.window}${flags.allNamespaces === true ? '' : ` in namespace ${flags.namespace ?? 'default'}`}.\n${missing(r)}`;
  return metricsTable(r.items, flags.output === 'wide') + missing(r);
}

/** Each replica scrapes the proxies connected to it: one that did not answer leaves its proxies out; say so. */
function missing(r: StatsAnswer): string {
  return (r.replicas?.unreachable ?? []).map((u) => `Note: replica ${u.replica} did not answer (${u.error}): traffic seen only by its proxies is missing.\n`).join('');
}

/** `trellis get metrics [SERVICE]`: called by `get` for the `metrics` kind. */
export async function getMetrics(service: string | undefined, flags: MetricsFlags, io: Io): Promise<void> {
  io.out(render(await fetchItems(new ApiClient(flags, io), service, flags), flags));
}

function metricsOptions(cmd: Command): Command {
  return cmd
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('--by <kind>', 'one row per service or per workload').choices(['service', 'workload']).default('service'))
    .option('--window <duration>', 'the time the rates and latencies are computed over', '60s');
}

export function registerTopCommand(program: Command, io: Io): void {
  withServerFlags(
    metricsOptions(
      program
        .command('top')
        .alias('stat')
        .description('golden metrics (request rate, success, latency, mTLS) per service or workload, refreshing (needs the admin token)')
        .argument('[name]', 'one service (or workload with --by workload)')
        .option('--interval <seconds>', 'seconds between refreshes', '2')
        .option('--once', 'print the table once and exit'),
    ).addOption(new Option('-o, --output <format>', 'json|yaml: one document per refresh; wide adds workloads').choices(['json', 'yaml', 'wide'])),
  ).action(guarded(io, (name: string | undefined, flags: MetricsFlags & { interval: string; once?: boolean }) => top(name, flags, io)));
}

async function top(name: string | undefined, flags: MetricsFlags & { interval: string; once?: boolean }, io: Io): Promise<void> {
  const seconds = Number(flags.interval);
  if (!Number.isFinite(seconds) || seconds < 0.2) throw new UsageError(`--interval must be a number of seconds (at least 0.2), got "${flags.interval}"`);
  const client = new ApiClient(flags, io);
  const tty = process.stdout.isTTY === true && flags.output === undefined;
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      const r = await fetchItems(client, name, flags);
      // on a terminal the table is redrawn in place; piped output gets one table after another
      io.out(`${tty ? '\x1b[2J\x1b[H' : ''}${tty ? `${new Date().toLocaleTimeString()}  window ${r.window}  (Ctrl-C to quit)\n\n` : ''}${render(r, flags)}${tty ? '' : '\n'}`);
      if (flags.once === true || stop) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, seconds * 1000).unref();
      });
      if (stop) return;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
