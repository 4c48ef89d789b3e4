// Proxy runtime: one process serving listeners and the admin interface (`--concurrency 1`).
import type { Bootstrap } from '../config/types.js';
import { Proxy } from '../proxy.js';
import { startAdminServer, clusterStatusFrom } from '../admin/admin-server.js';
import { announce, onShutdownSignals } from './lifecycle.js';
import { startIstioMetricsPort } from './prometheus-port.js';

export async function runSingle(bootstrap: Bootstrap, drainMs: number, xdsToken?: string): Promise<void> {
  const proxy = new Proxy({ bootstrap, ...(xdsToken !== undefined ? { xdsToken } : {}) });
  await proxy.start();
  let stopping = false;
  let admin: { port: number; close(): Promise<void> } | undefined;
  let prom: { close(): Promise<void> } | undefined;
  const quit = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await proxy.stop(drainMs);
    await admin?.close();
    await prom?.close();
    process.exit(0);
  };
  // Before anything is announced: a SIGTERM right after the "listening" lines must drain, not kill.
  onShutdownSignals(quit);
  announce(proxy.listeners.addresses());
  prom = await startIstioMetricsPort(bootstrap, async () => proxy.stats.snapshot());
  const addr = bootstrap.admin?.address?.socket_address;
  if (addr !== undefined) {
    const server = await startAdminServer({
      address: addr.address,
      port: addr.port_value,
      source: {
        stats: async () => proxy.stats.snapshot(),
        clusters: () => clusterStatusFrom(proxy.clusters),
        configDump: () => proxy.configDump(),
        serverInfo: () => proxy.serverInfo(1),
        ready: () => !stopping,
        quit,
        runtime: proxy.runtime,
        setHealthCheckFailed: (failed) => proxy.health.setHealthCheckFailed(failed),
      },
    });
    admin = server;
    process.stdout.write(`admin listening on ${addr.address}:${server.port}\n`);
  }
}
