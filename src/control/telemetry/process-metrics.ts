// Telemetry: the control plane's own process metrics under the names Node services export to Prometheus
// (process_* as every Prometheus client library has them, nodejs_* as prom-client's defaults), so the dashboards
// and alerts users already have for a Node service work on `trellis control` as they are.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
let loopDelay: IntervalHistogram | undefined;

/** Open file descriptors (Linux /proc); undefined where there is no /proc. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function metric(lines: string[], name: string, type: 'gauge' | 'counter', help: string, value: number): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${Number.isFinite(value) ? value : 'NaN'}`);
}

/**
 * Prometheus text for this process. The event-loop delay is sampled from the first call on (a histogram that
 * costs nothing between scrapes) and reset at each call, so its percentiles cover the time since the last scrape.
 */
export function renderProcessMetrics(): string {
  if (loopDelay === undefined) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const lines: string[] = [];
  metric(lines, 'process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', cpu.user / 1e6);
  metric(lines, 'process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', cpu.system / 1e6);
  metric(lines, 'process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6);
  metric(lines, 'process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss);
  metric(lines, 'process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', startSeconds);
  const fds = openFds();
  if (fds !== undefined) metric(lines, 'process_open_fds', 'gauge', 'Number of open file descriptors.', fds);
  metric(lines, 'nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', mem.heapTotal);
  metric(lines, 'nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', mem.heapUsed);
  metric(lines, 'nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', mem.external);
  // the histogram reads NaN/huge before its first sample: nothing measured yet is a delay of 0
  const sampled = loopDelay.count > 0;
  const seconds = (ns: number): number => (sampled ? ns / 1e9 : 0);
  metric(lines, 'nodejs_eventloop_lag_mean_seconds', 'gauge', 'The mean of the recorded event loop delays.', seconds(loopDelay.mean));
  metric(lines, 'nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay.', seconds(loopDelay.max));
  for (const p of [50, 90, 99]) {
    metric(lines, `nodejs_eventloop_lag_p${p}_seconds`, 'gauge', `The ${p}th percentile of the recorded event loop delays.`, seconds(loopDelay.percentile(p)));
  }
  loopDelay.reset();
  return lines.join('\n') + '\n';
}
