// Proxy runtime: one process serving listeners and the admin interface (`--concurrency 1`).
import type { Bootstrap } from '../config/types.js';
import { Proxy } from '../proxy.js';
import { startAdminServer, clusterStatusFrom } from '../admin/admin-server.js';
import { announce, onShutdownSignals } from './lifecycle.js';
import { startIstioMetricsPort } from './prometheus-port.js';

export interface RunningProxy {
  readonly proxy: Proxy;
  /** Resolves once the first config is applied (the listeners are bound) and the admin server is up. */
  start(): Promise<void>;
  /** Withdraw from the mesh, drain in-flight requests (up to drainMs), close every server. Idempotent. */
  stop(drainMs: number): Promise<void>;
}

/**
 * The proxy with its Istio metrics port and admin server. `onQuit` is what the admin's /quitquitquit does (the
 * caller decides how the process ends); `onStarted` runs once the proxy serves, before its lines are printed.
 */
export function singleProxy(bootstrap: Bootstrap, opts: { xdsToken?: string; onQuit: () => Promise<void>; onStarted?: () => void }): RunningProxy {
  const proxy = new Proxy({ bootstrap, ...(opts.xdsToken !== undefined ? { xdsToken: opts.xdsToken } : {}) });
  let stopped: Promise<void> | undefined;
  let admin: { port: number; close(): Promise<void> } | undefined;
  let prom: { close(): Promise<void> } | undefined;
  const stop = (drainMs: number): Promise<void> =>
    (stopped ??= (async () => {
      await proxy.stop(drainMs);
      await admin?.close();
      await prom?.close();
    })());
  const start = async (): Promise<void> => {
    await proxy.start();
    opts.onStarted?.();
    announce(proxy.listeners.addresses());
    prom = await startIstioMetricsPort(bootstrap, async () => proxy.stats.snapshot());
    const addr = bootstrap.admin?.address?.socket_address;
    if (addr !== undefined) {
      admin = await startAdminServer({
        address: addr.address,
        port: addr.port_value,
        source: {
          stats: async () => proxy.stats.snapshot(),
          clusters: () => clusterStatusFrom(proxy.clusters),
          configDump: () => proxy.configDump(),
          serverInfo: () => proxy.serverInfo(1),
          ready: () => stopped === undefined,
          quit: opts.onQuit,
          runtime: proxy.runtime,
          setHealthCheckFailed: (failed) => proxy.health.setHealthCheckFailed(failed),
        },
      });
      process.stdout.write(`admin listening on ${addr.address}:${admin.port}\n`);
    }
  };
  return { proxy, start, stop };
}

export async function runSingle(bootstrap: Bootstrap, drainMs: number, xdsToken?: string): Promise<void> {
  const quit = async (): Promise<void> => {
    await running.stop(drainMs);
    process.exit(0);
  };
  const running = singleProxy(bootstrap, {
    ...(xdsToken !== undefined ? { xdsToken } : {}),
    onQuit: quit,
    // before anything is announced: a SIGTERM right after the "listening" lines must drain, not kill
    onStarted: () => onShutdownSignals(quit),
  });
  await running.start();
}
