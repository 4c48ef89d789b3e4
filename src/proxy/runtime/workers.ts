// Proxy runtime: `--concurrency N` — N worker processes share the listeners; the primary serves admin and merges stats.
import cluster, { type Worker } from 'node:cluster';
import type { Bootstrap } from '../config/types.js';
import { Proxy } from '../proxy.js';
import { startAdminServer, clusterStatusFrom, type ClusterStatus } from '../admin/admin-server.js';
import { mergeClusterStatuses } from '../admin/cluster-status.js';
import { StatsStore, type StatsSnapshot } from '../telemetry/stats-store.js';
import { announce, onShutdownSignals, type BoundListener } from './lifecycle.js';
import { Runtime } from '../runtime-config/runtime.js';

type ToWorker =
  | { t: 'ask'; id: number; what: 'stats' | 'clusters' }
  | { t: 'drain'; ms: number }
  /** /runtime_modify overrides, applied to the worker's admin runtime layer. */
  | { t: 'runtime'; values: [string, string][] }
  /** POST /healthcheck/fail or /healthcheck/ok, for the workers' health_check filters. */
  | { t: 'healthcheck'; failed: boolean };
type ToPrimary = { t: 'ready'; listeners: BoundListener[] } | { t: 'reply'; id: number; data: unknown };

export async function runWorker(bootstrap: Bootstrap): Promise<void> {
  const proxy = new Proxy({ bootstrap });
  await proxy.start();
  const send = (m: ToPrimary): void => {
    process.send?.(m);
  };
  process.on('message', (m: ToWorker) => {
    if (m.t === 'ask') {
      const data = m.what === 'stats' ? proxy.stats.snapshot() : clusterStatusFrom(proxy.clusters);
      send({ t: 'reply', id: m.id, data });
    } else if (m.t === 'drain') {
      void proxy.stop(m.ms).then(() => process.exit(0));
    } else if (m.t === 'runtime' && proxy.runtime.hasAdminLayer) {
      proxy.runtime.mergeAdminValues(m.values);
    } else if (m.t === 'healthcheck') {
      proxy.health.setHealthCheckFailed(m.failed);
    }
  });
  // The primary owns shutdown; a worker ignores terminal signals it receives as part of the group.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  send({ t: 'ready', listeners: proxy.listeners.addresses() });
}

export async function runPrimary(bootstrap: Bootstrap, concurrency: number, drainMs: number): Promise<void> {
  const own = new StatsStore();
  own.scope('server').gauge('concurrency').set(concurrency);
  // The primary's own runtime answers GET /runtime; /runtime_modify changes it and is passed on to every worker.
  const runtime = new Runtime(bootstrap.layered_runtime, { serviceCluster: bootstrap.node.cluster, stats: own });
  const workers = new Set<Worker>();
  const waiting = new Map<number, { resolve(v: unknown): void; left: number; results: unknown[] }>();
  let nextId = 1;
  let stopping = false;
  let healthCheckFailed = false;
  let firstReady: (() => void) | undefined;
  const allReady = new Promise<void>((r) => (firstReady = r));
  let ready = 0;

  const fork = (): void => {
    const w = cluster.fork();
    workers.add(w);
    w.on('message', (m: ToPrimary) => {
      if (m.t === 'ready') {
        // a worker started (or restarted) after overrides were made gets them too
        const overrides = runtime.adminOverrides();
        if (overrides.length > 0) w.send({ t: 'runtime', values: overrides } satisfies ToWorker);
        if (healthCheckFailed) w.send({ t: 'healthcheck', failed: true } satisfies ToWorker);
        ready++;
        if (ready === concurrency) {
          announce(m.listeners);
          firstReady?.();
        }
      } else if (m.t === 'reply') {
        const q = waiting.get(m.id);
        if (q === undefined) return;
        q.results.push(m.data);
        if (--q.left === 0) {
          waiting.delete(m.id);
          q.resolve(q.results);
        }
      }
    });
    w.on('exit', () => {
      workers.delete(w);
      if (!stopping) fork(); // a crashed worker is replaced; its connections are lost, the listeners are not
    });
  };
  for (let i = 0; i < concurrency; i++) fork();
  await allReady;

  const ask = (what: 'stats' | 'clusters', targets: Worker[]): Promise<unknown[]> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, { resolve, left: targets.length, results: [] });
      for (const w of targets) w.send({ t: 'ask', id, what } satisfies ToWorker);
      setTimeout(() => {
        const q = waiting.get(id);
        if (q !== undefined) {
          waiting.delete(id);
          resolve(q.results);
        }
      }, 2000).unref();
    });

  let admin: { port: number; close(): Promise<void> } | undefined;
  const quit = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const exits = [...workers].map((w) => new Promise<void>((r) => w.once('exit', () => r())));
    for (const w of workers) w.send({ t: 'drain', ms: drainMs } satisfies ToWorker);
    await Promise.all(exits);
    runtime.dispose();
    await admin?.close();
    process.exit(0);
  };
  // Before the admin line is printed (callers treat it as "ready"): a SIGTERM from then on must drain, not kill.
  onShutdownSignals(quit);
  const addr = bootstrap.admin?.address?.socket_address;
  if (addr !== undefined) {
    const startedAt = Date.now();
    const server = await startAdminServer({
      address: addr.address,
      port: addr.port_value,
      source: {
        stats: async () => StatsStore.merge([own.snapshot(), ...((await ask('stats', [...workers])) as StatsSnapshot[])]),
        clusters: async () => mergeClusterStatuses((await ask('clusters', [...workers])) as ClusterStatus[][]),
        configDump: () => ({ bootstrap }),
        serverInfo: () => ({
          version: 'trellis',
          state: stopping ? 'DRAINING' : 'LIVE',
          command_line_options: { concurrency },
          node: bootstrap.node,
          uptime_current_epoch: `${Math.floor((Date.now() - startedAt) / 1000)}s`,
        }),
        ready: () => !stopping,
        quit,
        setHealthCheckFailed: (failed) => {
          healthCheckFailed = failed;
          for (const w of workers) w.send({ t: 'healthcheck', failed } satisfies ToWorker);
        },
        runtime: {
          dump: () => runtime.dump(),
          mergeAdminValues: (values) => {
            runtime.mergeAdminValues(values);
            for (const w of workers) w.send({ t: 'runtime', values } satisfies ToWorker);
          },
        },
      },
    });
    admin = server;
    process.stdout.write(`admin listening on ${addr.address}:${server.port}\n`);
  }
}
