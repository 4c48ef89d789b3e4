// Proxy runtime: starts the Istio metrics port when the node announces one (TRELLIS_PROMETHEUS_PORT, set by --prometheus-port).
import type { Bootstrap } from '../config/types.js';
import { startPrometheusServer } from '../telemetry/prometheus-server.js';
import type { StatsSnapshot } from '../telemetry/stats-snapshot.js';

export async function startIstioMetricsPort(bootstrap: Bootstrap, stats: () => Promise<StatsSnapshot>): Promise<{ close(): Promise<void> } | undefined> {
  const meta = bootstrap.node.metadata;
  const port = Number(meta['TRELLIS_PROMETHEUS_PORT']);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const appPort = Number(meta['TRELLIS_APP_METRICS_PORT']);
  const appPath = typeof meta['TRELLIS_APP_METRICS_PATH'] === 'string' ? meta['TRELLIS_APP_METRICS_PATH'] : '/metrics';
  const server = await startPrometheusServer({
    port,
    stats,
    ...(Number.isInteger(appPort) && appPort > 0 ? { app: { port: appPort, path: appPath } } : {}),
  });
  process.stdout.write(`prometheus listening on 0.0.0.0:${server.port}\n`);
  return server;
}
