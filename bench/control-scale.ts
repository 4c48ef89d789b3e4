// Benchmark: control-plane scale — 1000 Services, 10,000 endpoints, 500 xDS clients; convergence, push CPU, RSS.
//
// The control plane runs in this process; the simulated sidecars run in forked child processes (control-sim.ts, so
// this process's cpuUsage()/RSS are the control plane's own). Each simulated sidecar (test/control/xds/sim-sidecar.ts)
// is one gRPC channel with its own TCP connection and one ADS stream (Delta by default, as `trellis proxy` uses;
// `--xds-api sotw` for state of the world): it subscribes CDS and LDS as wildcards, then EDS, RDS and VHDS by the
// names those refer to (as Envoy does), decodes every resource and ACKs every response.
// With `--replicas N --store etcd` the control plane runs as N replica processes on a 3-member etcd instead
// (control-replicas.ts), at the issue's size by default (2000 services, 50,000 endpoints, 5000 sidecars).
//
//   node dist/bench/control-scale.js [--services 1000] [--endpoints-per-service 10] [--proxies 500]
//        [--namespaces 10] [--changes 20] [--debounce-ms 100] [--xds-api delta|sotw] [--profile FILE] [--json]
//        [--sim-processes 1] [--replicas 1 --store memory | --replicas 3 --store etcd]
//   quick presets: --services 100 --proxies 50;  --replicas 3 --store etcd --services 100 --proxies 150
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { startControlPlane, type ControlPlane } from '../src/control/server.js';
import { createMemoryStore } from '../src/control/store/index.js';
import { Api, changes, mb, ms, now, parseArgs, pct, seed, settle, verdict, type Options } from './control-fixture.js';
import { runReplicas } from './control-replicas.js';
import { SimFleet } from './control-sim.js';

interface ChangeResult {
  label: string;
  kind: string;
  /** Apply call returned → last client ACKed the new state; undefined = timed out. */
  convergenceMs?: number;
  perProxyMs: number[];
  cpuSec: number;
  /** Apply call returned → the control plane had written every push of the change (ACKs not included). */
  pushedMs?: number;
}

async function runParent(o: Options): Promise<void> {
  const log = (s: string): void => void (o.json ? process.stderr : process.stdout).write(s + '\n');
  log(`control-plane scale: ${o.services} services, ${o.services * o.endpointsPerService} WorkloadEntry endpoints, ${o.namespaces} namespaces, ${o.proxies} sidecars (${o.xdsApi} xDS), ${o.changes} changes`);
  const t0 = now();
  const store = createMemoryStore();
  await store.commit(
    seed(o).map((resource) => ({ op: 'put' as const, resource })),
    { author: 'bench', message: 'seed' },
  );
  const cpuBefore = process.cpuUsage();
  const cp: ControlPlane = await startControlPlane({ store, xdsPort: 0, xdsTlsPort: 0, httpPort: 0, debounceMs: o.debounceMs, log: () => {} });
  log(`  control plane up in ${ms(now() - t0)} (seed + first snapshot), xDS :${cp.xdsPort}, API :${cp.httpPort}`);

  const fleet = new SimFleet(o.simProcesses);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

  try {
    // ---- initial sync
    const syncCpu0 = process.cpuUsage();
    const syncStart = now();
    const synced = await fleet.sync([cp.xdsPort!], o, 180_000);
    if (synced === undefined) throw new Error(`initial sync did not finish in 180 s (errors: ${fleet.errors.join('; ')})`);
    const syncMs = synced.at - syncStart;
    const syncCpu = process.cpuUsage(syncCpu0);
    log(`  initial sync: all ${o.proxies} sidecars hold CDS+EDS+LDS+RDS after ${ms(syncMs)} (first after ${ms(synced.firstAt - syncStart)}; ${synced.responses} responses; control-plane CPU ${((syncCpu.user + syncCpu.system) / 1e6).toFixed(1)} s)`);
    // let registration-driven pushes (each connecting sidecar registers as an endpoint) settle
    await settle(cp);
    const rssAfterSync = process.memoryUsage().rss;

    // ---- changes
    const profiler = o.profile === undefined ? undefined : await startProfile();
    const api = new Api(cp.httpPort, cp.adminToken);
    const results: ChangeResult[] = [];
    const list = changes(o);
    for (let k = 0; k < list.length; k++) {
      const c = list[k]!;
      const { converged } = await fleet.watch(k, c.expect, 60_000);
      const cpu0 = process.cpuUsage();
      // the control plane's own part: apply returned -> snapshot rebuilt and every push written to its stream
      let pushedAt: number | undefined;
      const off = cp.ingestion.onRebuild(() => {
        off();
        setImmediate(() => void cp.ads.settled().then(() => (pushedAt = now())));
      });
      await c.apply(api);
      const applied = now();
      const m = await converged;
      off();
      await cp.ads.settled();
      const cpu = process.cpuUsage(cpu0);
      const r: ChangeResult = { label: c.label, kind: c.kind, perProxyMs: m === undefined ? [] : m.map((t) => t - applied), cpuSec: (cpu.user + cpu.system) / 1e6 };
      if (pushedAt !== undefined) r.pushedMs = pushedAt - applied;
      if (m !== undefined) r.convergenceMs = Math.max(...r.perProxyMs);
      results.push(r);
      log(`  change ${String(k + 1).padStart(2)}: ${c.label.padEnd(40)} pushes written in ${r.pushedMs === undefined ? '?' : ms(r.pushedMs)}, all ${o.proxies} ACKed in ${r.convergenceMs === undefined ? 'TIMEOUT' : ms(r.convergenceMs)}, push CPU ${r.cpuSec.toFixed(2)} s`);
      await settle(cp);
    }
    clearInterval(rssTimer);
    if (profiler !== undefined) await profiler.stop(o.profile!);
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss, process.resourceUsage().maxRSS * 1024);
    const childStats = await fleet.stop();

    // ---- report
    const conv = results.filter((r) => r.convergenceMs !== undefined).map((r) => r.convergenceMs!);
    const perProxy = results.flatMap((r) => r.perProxyMs);
    const cpus = results.map((r) => r.cpuSec);
    const timeouts = results.length - conv.length;
    const byKind = new Map<string, ChangeResult[]>();
    for (const r of results) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    const totalCpu = process.cpuUsage(cpuBefore);
    const p99 = pct(conv, 99);
    const summary = {
      services: o.services,
      endpoints: o.services * o.endpointsPerService,
      proxies: o.proxies,
      changes: results.length,
      timeouts,
      convergenceAllProxiesMs: { p50: pct(conv, 50), p90: pct(conv, 90), p99, max: Math.max(...conv) },
      pushesWrittenMs: { p50: pct(results.flatMap((r) => (r.pushedMs === undefined ? [] : [r.pushedMs])), 50), p99: pct(results.flatMap((r) => (r.pushedMs === undefined ? [] : [r.pushedMs])), 99) },
      convergencePerProxyMs: { p50: pct(perProxy, 50), p90: pct(perProxy, 90), p99: pct(perProxy, 99) },
      pushCpuSecPerChange: { p50: pct(cpus, 50), mean: cpus.reduce((a, b) => a + b, 0) / Math.max(1, cpus.length), max: Math.max(...cpus) },
      byKind: Object.fromEntries(
        [...byKind].map(([k, rs]) => [k, { p50Ms: pct(rs.map((r) => r.convergenceMs ?? NaN), 50), maxMs: Math.max(...rs.map((r) => r.convergenceMs ?? Infinity)), cpuSec: pct(rs.map((r) => r.cpuSec), 50) }]),
      ),
      initialSyncMs: syncMs,
      initialSyncCpuSec: (syncCpu.user + syncCpu.system) / 1e6,
      rssMB: { afterSync: rssAfterSync / 2 ** 20, end: rss / 2 ** 20, peak: peakRss / 2 ** 20 },
      controlPlaneCpuSecTotal: (totalCpu.user + totalCpu.system) / 1e6,
      clientProcess: childStats,
      errors: fleet.errors,
    };
    log('');
    log(`results (${o.services} services / ${summary.endpoints} endpoints / ${o.proxies} sidecars / ${results.length} changes${timeouts > 0 ? `, ${timeouts} timed out` : ''})`);
    log(`  convergence, apply returned -> every sidecar ACKed:  p50 ${ms(summary.convergenceAllProxiesMs.p50)}   p99 ${ms(p99)}   max ${ms(summary.convergenceAllProxiesMs.max)}`);
    log(`      target: p99 < 1 s  -> ${verdict(timeouts === 0 && p99 < 1000)}     (production istiod reports pilot_proxy_convergence_time p90 1.5–4.5 s)`);
    log(`  control plane's part, apply returned -> every push written to its stream: p50 ${ms(summary.pushesWrittenMs.p50)}   p99 ${ms(summary.pushesWrittenMs.p99)}`);
    log(`  per-proxy convergence (pilot_proxy_convergence_time-like): p50 ${ms(summary.convergencePerProxyMs.p50)}   p90 ${ms(summary.convergencePerProxyMs.p90)}   p99 ${ms(summary.convergencePerProxyMs.p99)}`);
    for (const [k, v] of Object.entries(summary.byKind)) log(`      ${k.padEnd(24)} p50 ${ms(v.p50Ms)}  max ${ms(v.maxMs)}  push CPU ${v.cpuSec.toFixed(2)} s`);
    log(`  push CPU (control plane, per change): p50 ${summary.pushCpuSecPerChange.p50.toFixed(2)} s   mean ${summary.pushCpuSecPerChange.mean.toFixed(2)} s   max ${summary.pushCpuSecPerChange.max.toFixed(2)} s`);
    log(`  control-plane RSS: ${mb(rss)} at end, ${mb(peakRss)} peak  (target < 1 GB -> ${verdict(peakRss < 1024 ** 3)})`);
    log(`  initial sync of all ${o.proxies} sidecars: ${ms(syncMs)} (control-plane CPU ${summary.initialSyncCpuSec.toFixed(1)} s)`);
    if (summary.clientProcess !== undefined) {
      const c = summary.clientProcess;
      log(`  client process${c.processes > 1 ? `es (${c.processes})` : ''}: ${c.responses} responses, ${c.resources} resources (${c.distinctDecodes} distinct decodes), CPU ${c.cpuSec.toFixed(1)} s, RSS ${c.rssMB.toFixed(0)} MB`);
    }
    if (fleet.errors.length > 0) log(`  client errors: ${fleet.errors.slice(0, 5).join('; ')}`);
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } finally {
    clearInterval(rssTimer);
    await fleet.close();
    await cp.close();
  }
}

/** CPU profile of the control plane over the change phase only (open the .cpuprofile in Chrome DevTools). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err !== null ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const opts = parseArgs(process.argv.slice(2));
(opts.store === 'etcd' ? runReplicas(opts) : runParent(opts)).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
