// Benchmark: control-plane scale with several replicas on etcd (`--replicas N --store etcd`).
//
// A 3-member etcd cluster on loopback (test/support/etcd-cluster.ts), N control-plane replicas, each its own process
// (control-scale-replica.ts) with its own data dir and free ports, and the simulated sidecars in several processes
// (control-sim.ts), spread round-robin over the replicas. The config is seeded once through replica 0 (bulk applies of
// the fixture), then every change goes through the replicas in turn and is timed from the apply returning until the
// last sidecar of every simulator process has ACKed it. Per-replica RSS and CPU come from /proc (their processes are
// their own); etcd's writes come from each member's Prometheus /metrics, read before and after every change.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredResource } from '../src/control/store/types.js';
import { startEtcdCluster, type EtcdCluster } from '../test/support/etcd-cluster.js';
import { cpuSecondsOf, rssOf } from './child-process.js';
import { Api, changes, ms, now, pct, seed, verdict, type Change, type ChangeKind, type Options } from './control-fixture.js';
import type { ReplicaOp, ReplicaOps, ReplicaReply, ReplicaRequest } from './control-scale-replica.js';
import { exitWithin, SimFleet, type FleetStats } from './control-sim.js';

const REPLICA_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'control-scale-replica.js');
/** Per apply while seeding: the record holds every row and each row is a kv put too, under etcd's 1.5 MiB request limit. */
const SEED_BATCH_BYTES = 400_000;
const SEED_BATCH_MAX = 2000;
const CHANGE_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------- replica processes

class ReplicaProc {
  private seq = 0;
  private readonly calls = new Map<number, { resolve: (v: ReplicaOps[ReplicaOp]['out']) => void; reject: (e: Error) => void }>();
  readonly child: ChildProcess;
  api: Api | undefined;
  xdsPort = 0;

  constructor(readonly index: number) {
    this.child = fork(REPLICA_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (r: ReplicaReply) => {
      const c = this.calls.get(r.seq);
      if (c === undefined) return;
      this.calls.delete(r.seq);
      if (r.ok) c.resolve(r.value);
      else c.reject(new Error(`replica ${index}: ${r.error}`));
    });
    // a replica that dies fails every call in flight at once rather than at its timeout
    this.child.once('exit', (code, signal) => {
      for (const c of this.calls.values()) c.reject(new Error(`replica ${index} exited (${code ?? signal})`));
      this.calls.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  call<K extends ReplicaOp>(op: K, arg: ReplicaOps[K]['in'], timeoutMs = 60_000): Promise<ReplicaOps[K]['out']> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.calls.delete(seq);
        reject(new Error(`replica ${this.index}: ${op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T): void => {
        clearTimeout(t);
        f(v);
      };
      this.calls.set(seq, { resolve: done((v) => resolve(v as ReplicaOps[K]['out'])), reject: done(reject) });
      if (!this.child.connected) return reject(new Error(`replica ${this.index} is gone`));
      this.child.send({ seq, op, arg } as ReplicaRequest);
    });
  }

  cpuSec(): number {
    return this.alive() ? cpuSecondsOf(this.pid) : NaN;
  }

  rss(): { rssMb: number; peakMb: number } {
    return this.alive() ? rssOf(this.pid) : { rssMb: NaN, peakMb: NaN };
  }

  private alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    await this.call('stop', null, 10_000).catch(() => undefined);
    // the replica exits when its IPC channel closes (a replica that died already closed it)
    if (this.child.connected) this.child.disconnect();
    await exitWithin(this.child, 3000);
  }
}

// ---------------------------------------------------------------------------------------------- etcd's counters

/** What one etcd member reports of its applied writes (puts/deletes/txns are applied on every member, by raft). */
interface EtcdCounters {
  puts: number;
  deletes: number;
  /** Transactions of more than one operation (etcd 3.4 counts a txn only then; every Trellis commit is one). */
  txns: number;
  /** etcd's store revision: one per write request that changed something. */
  revision: number;
  leader: boolean;
  cpuSec: number;
  rssBytes: number;
}

const METRICS: Record<string, keyof EtcdCounters> = {
  etcd_mvcc_put_total: 'puts',
  etcd_mvcc_delete_total: 'deletes',
  etcd_mvcc_txn_total: 'txns',
  etcd_debugging_mvcc_current_revision: 'revision',
  etcd_server_is_leader: 'leader',
  process_cpu_seconds_total: 'cpuSec',
  process_resident_memory_bytes: 'rssBytes',
};

async function countersOf(endpoint: string): Promise<EtcdCounters> {
  const text = await (await fetch(`http://${endpoint}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const c: EtcdCounters = { puts: 0, deletes: 0, txns: 0, revision: 0, leader: false, cpuSec: 0, rssBytes: 0 };
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    const field = name === undefined ? undefined : METRICS[name];
    if (field === undefined || value === undefined) continue;
    if (field === 'leader') c.leader = Number(value) === 1;
    else c[field] = Number(value);
  }
  return c;
}

const clusterCounters = (cluster: EtcdCluster): Promise<EtcdCounters[]> => Promise.all(cluster.endpoints.map(countersOf));

interface EtcdWrites {
  /** puts + deletes, and the txns and etcd revisions, as the leader counted them. */
  keys: number;
  puts: number;
  deletes: number;
  txns: number;
  revisions: number;
  /** Did every member count the same puts and deletes (it should: each applies the same raft log)? */
  consistent: boolean;
  perMember: number[];
}

function writesBetween(before: EtcdCounters[], after: EtcdCounters[]): EtcdWrites {
  const d = after.map((a, i) => ({ puts: a.puts - before[i]!.puts, deletes: a.deletes - before[i]!.deletes, txns: a.txns - before[i]!.txns, revisions: a.revision - before[i]!.revision }));
  const leader = Math.max(0, after.findIndex((a) => a.leader));
  const l = d[leader]!;
  const perMember = d.map((x) => x.puts + x.deletes);
  return { keys: l.puts + l.deletes, puts: l.puts, deletes: l.deletes, txns: l.txns, revisions: l.revisions, consistent: perMember.every((x) => x === perMember[0]), perMember };
}

/** Counters once every member has applied as many writes as the leader (followers apply a moment later). */
async function settledCounters(cluster: EtcdCluster): Promise<EtcdCounters[]> {
  for (let i = 0; ; i++) {
    const c = await clusterCounters(cluster);
    if (i >= 20 || c.every((x) => x.revision === c[0]!.revision)) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------- phases

interface Env {
  o: Options;
  log: (s: string) => void;
  cluster: EtcdCluster;
  replicas: ReplicaProc[];
  /** Set once the simulators are forked (so cleanup can find them). */
  fleet?: SimFleet;
  dir: string;
}

async function startReplicas(env: Env, prefix: string, sealKeyFile: string): Promise<void> {
  for (let i = 0; i < env.o.replicas; i++) {
    const r = new ReplicaProc(i);
    env.replicas.push(r);
    const dataDir = path.join(env.dir, `replica-${i}`);
    fs.mkdirSync(dataDir);
    // one at a time: the first creates the shared CA and signing key, the others adopt them
    const up = await r.call('start', { etcdUrl: env.cluster.storeUrl, prefix, sealKeyFile, dataDir, debounceMs: env.o.debounceMs });
    r.api = new Api(up.httpPort, up.adminToken);
    r.xdsPort = up.xdsPort;
    env.log(`  replica ${i} up in ${ms(up.startMs)} (pid ${r.pid}, xDS :${up.xdsPort}, API :${up.httpPort})`);
  }
}

/** Batches of the fixture small enough for one etcd request each. */
function batches(rs: readonly StoredResource[]): StoredResource[][] {
  const out: StoredResource[][] = [];
  let cur: StoredResource[] = [];
  let bytes = 0;
  for (const r of rs) {
    const size = JSON.stringify(r).length;
    if (cur.length > 0 && (bytes + size > SEED_BATCH_BYTES || cur.length >= SEED_BATCH_MAX)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Applies the fixture through replica 0, then waits until every replica's mirror holds its last revision. */
async function seedConfig(env: Env): Promise<{ ms: number; applies: number; resources: number; etcd: EtcdWrites }> {
  const t0 = now();
  const before = await clusterCounters(env.cluster);
  const list = batches(seed(env.o));
  for (const b of list) await env.replicas[0]!.api!.applyAll(b);
  const rev = await env.replicas[0]!.call('revision', null);
  await Promise.all(env.replicas.map((r) => waitRevision(r, rev)));
  await Promise.all(env.replicas.map((r) => r.call('settle', null, 300_000)));
  const etcd = writesBetween(before, await settledCounters(env.cluster));
  return { ms: now() - t0, applies: list.length, resources: list.reduce((a, b) => a + b.length, 0), etcd };
}

async function waitRevision(r: ReplicaProc, rev: number): Promise<void> {
  const deadline = now() + 120_000;
  while ((await r.call('revision', null)) < rev) {
    if (now() > deadline) throw new Error(`replica ${r.index} did not reach revision ${rev} in 120 s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

interface Usage {
  replicaCpu: number[];
  simCpu: number;
  etcd: EtcdCounters[];
}

async function usage(env: Env): Promise<Usage> {
  const simCpu = env.fleet === undefined ? 0 : env.fleet.pids.reduce((a, p) => a + safeCpu(p), 0);
  return { replicaCpu: env.replicas.map((r) => r.cpuSec()), simCpu, etcd: await clusterCounters(env.cluster) };
}

function safeCpu(pid: number): number {
  try {
    return cpuSecondsOf(pid);
  } catch {
    return 0; // the process has exited
  }
}

interface UsageDelta {
  replicaCpuSec: number[];
  simCpuSec: number;
  etcdCpuSec: number;
  etcd: EtcdWrites;
}

function since(a: Usage, b: Usage): UsageDelta {
  return {
    replicaCpuSec: b.replicaCpu.map((x, i) => x - a.replicaCpu[i]!),
    simCpuSec: b.simCpu - a.simCpu,
    etcdCpuSec: b.etcd.reduce((s, x, i) => s + x.cpuSec - a.etcd[i]!.cpuSec, 0),
    etcd: writesBetween(a.etcd, b.etcd),
  };
}

type Health = ReplicaOps['health']['out'];

async function initialSync(env: Env, fleet: SimFleet): Promise<{ ms: number; firstMs: number; responses: number; use: UsageDelta; health: Health[] }> {
  const o = env.o;
  const u0 = await usage(env);
  const t0 = now();
  // each connecting sidecar registers as an endpoint, which moves endpoints for every stream: on 2 cores the sync
  // is CPU-bound, so allow 600 ms a sidecar
  const timeout = Math.max(180_000, o.proxies * 600);
  const synced = await fleet.sync(env.replicas.map((r) => r.xdsPort), o, timeout);
  if (synced === undefined) throw new Error(`initial sync did not finish in ${ms(timeout)} (errors: ${fleet.errors.slice(0, 5).join('; ')})`);
  // said at once: at the largest sizes the settling below can outlast the run
  const rss = env.replicas.map((r) => r.rss());
  env.log(`  every sidecar synced after ${ms(synced.at - t0)} (first after ${ms(synced.firstAt - t0)}); replica RSS now ${rss.map((x) => `${x.rssMb.toFixed(0)}`).join(' / ')} MB, peak ${rss.map((x) => `${x.peakMb.toFixed(0)}`).join(' / ')} MB; settling registrations`);
  // registration-driven pushes (each connecting sidecar registers as an endpoint, through etcd to every replica)
  await Promise.all(env.replicas.map((r) => r.call('settle', null, 300_000)));
  const u1 = await usage(env);
  const health = await Promise.all(env.replicas.map((r) => r.call('health', null)));
  return { ms: synced.at - t0, firstMs: synced.firstAt - t0, responses: synced.responses, use: since(u0, u1), health };
}

interface ChangeResult {
  label: string;
  kind: ChangeKind;
  /** The replica the change was applied through. */
  via: number;
  /** Apply returned → last sidecar (of every simulator process) ACKed; undefined = timed out. */
  convergenceMs?: number;
  perProxyMs: number[];
  /** Apply returned → the slowest replica had written every push of the change (ACKs not included). */
  pushedMs?: number;
  use: UsageDelta;
}

async function runChange(env: Env, fleet: SimFleet, c: Change, k: number): Promise<ChangeResult> {
  const via = env.replicas[k % env.replicas.length]!;
  const { converged } = await fleet.watch(k, c.expect, CHANGE_TIMEOUT_MS);
  await Promise.all(env.replicas.map((r) => r.call('armPush', null)));
  const u0 = await usage(env);
  await c.apply(via.api!);
  const applied = now();
  const times = await converged;
  const pushed = await Promise.all(env.replicas.map((r) => r.call('pushedAt', null)));
  await Promise.all(env.replicas.map((r) => r.call('settle', null)));
  const u1 = { ...(await usage(env)), etcd: await settledCounters(env.cluster) };
  const r: ChangeResult = { label: c.label, kind: c.kind, via: via.index, perProxyMs: times === undefined ? [] : times.map((t) => t - applied), use: since(u0, u1) };
  if (pushed.every((p) => p !== null)) r.pushedMs = Math.max(...(pushed as number[])) - applied;
  if (times !== undefined) r.convergenceMs = Math.max(...r.perProxyMs);
  return r;
}

// ---------------------------------------------------------------------------------------------- report

interface Rss {
  /** VmHWM once the seed is on every replica (the seed's rebuilds), before any sidecar connected. */
  peakAfterSeedMB: number;
  afterSyncMB: number;
  endMB: number;
  peakMB: number;
}

function kindSummary(rs: readonly ChangeResult[]): object {
  const conv = rs.map((r) => r.convergenceMs ?? Infinity);
  const w = rs.map((r) => r.use.etcd);
  return {
    changes: rs.length,
    timeouts: rs.filter((r) => r.convergenceMs === undefined).length,
    p50Ms: pct(conv, 50),
    p99Ms: pct(conv, 99),
    maxMs: Math.max(...conv),
    pushedP50Ms: pct(rs.map((r) => r.pushedMs ?? Infinity), 50),
    replicaCpuSecMean: mean(rs.map((r) => r.use.replicaCpuSec.reduce((a, b) => a + b, 0))) / Math.max(1, rs[0]?.use.replicaCpuSec.length ?? 1),
    etcdKeysWritten: { min: Math.min(...w.map((x) => x.keys)), median: pct(w.map((x) => x.keys), 50), max: Math.max(...w.map((x) => x.keys)) },
    etcdPuts: pct(w.map((x) => x.puts), 50),
    etcdDeletes: pct(w.map((x) => x.deletes), 50),
    etcdTxns: pct(w.map((x) => x.txns), 50),
    etcdRevisions: pct(w.map((x) => x.revisions), 50),
    etcdMembersAgree: w.every((x) => x.consistent),
  };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

interface Report {
  o: Options;
  seeded: Awaited<ReturnType<typeof seedConfig>>;
  sync: Awaited<ReturnType<typeof initialSync>>;
  results: ChangeResult[];
  rss: Rss[];
  replicaCpuTotal: number[];
  sims: FleetStats | undefined;
  errors: string[];
  etcdEnd: EtcdCounters[];
}

function summarize(r: Report): Record<string, unknown> {
  const byKind = new Map<string, ChangeResult[]>();
  for (const c of r.results) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const endpoint = r.results.filter((c) => c.kind === 'WorkloadEntry add' || c.kind === 'WorkloadEntry remove');
  const changeCpu = r.results.map((c) => c.use.replicaCpuSec);
  return {
    services: r.o.services,
    endpoints: r.o.services * r.o.endpointsPerService,
    proxies: r.o.proxies,
    replicas: r.o.replicas,
    simProcesses: r.o.simProcesses,
    etcdMembers: r.etcdEnd.length,
    changes: r.results.length,
    timeouts: r.results.filter((c) => c.convergenceMs === undefined).length,
    seed: { ms: r.seeded.ms, applies: r.seeded.applies, resources: r.seeded.resources, etcdKeysWritten: r.seeded.etcd.keys, etcdTxns: r.seeded.etcd.txns },
    initialSync: { registeredWorkloads: r.sync.health.map((h) => h.workloads), replicaFailuresLogged: r.sync.health.map((h) => h.failures), ms: r.sync.ms, firstMs: r.sync.firstMs, responses: r.sync.responses, replicaCpuSec: r.sync.use.replicaCpuSec, simulatorCpuSec: r.sync.use.simCpuSec, etcdCpuSec: r.sync.use.etcdCpuSec, etcdKeysWritten: r.sync.use.etcd.keys, etcdRevisions: r.sync.use.etcd.revisions },
    convergenceAllProxiesMs: (() => {
      const conv = r.results.map((c) => c.convergenceMs ?? Infinity);
      return { p50: pct(conv, 50), p99: pct(conv, 99), max: Math.max(...conv) };
    })(),
    byKind: Object.fromEntries([...byKind].map(([k, rs]) => [k, kindSummary(rs)])),
    endpointChanges: kindSummary(endpoint),
    perProxyMs: (() => {
      const all = r.results.flatMap((c) => c.perProxyMs);
      return { p50: pct(all, 50), p90: pct(all, 90), p99: pct(all, 99) };
    })(),
    replicaCpuSecPerChange: r.o.replicas > 0 ? Array.from({ length: r.o.replicas }, (_, i) => mean(changeCpu.map((c) => c[i]!))) : [],
    simulatorCpuSecPerChange: mean(r.results.map((c) => c.use.simCpuSec)),
    etcdCpuSecPerChange: mean(r.results.map((c) => c.use.etcdCpuSec)),
    replicaRssMB: r.rss,
    replicaCpuSecTotal: r.replicaCpuTotal,
    etcdRssMB: r.etcdEnd.map((e) => e.rssBytes / 2 ** 20),
    simulators: r.sims,
    errors: r.errors,
  };
}

function printReport(r: Report, log: (s: string) => void): void {
  const o = r.o;
  const s = summarize(r);
  const p99Of = (rs: ChangeResult[]): number => pct(rs.map((c) => c.convergenceMs ?? Infinity), 99);
  const vs = r.results.filter((c) => c.kind === 'VirtualService weight');
  const ep = r.results.filter((c) => c.kind === 'WorkloadEntry add' || c.kind === 'WorkloadEntry remove');
  log('');
  log(`results (${o.replicas} replicas on a ${r.etcdEnd.length}-member etcd / ${o.services} services / ${o.services * o.endpointsPerService} endpoints / ${o.proxies} sidecars in ${o.simProcesses} simulator processes / ${r.results.length} changes)`);
  log(`  seed: ${r.seeded.resources} resources in ${r.seeded.applies} applies through replica 0, on every replica after ${ms(r.seeded.ms)}; etcd: ${r.seeded.etcd.keys} keys written in ${r.seeded.etcd.txns} txns`);
  log(`  initial sync of all ${o.proxies} sidecars: ${ms(r.sync.ms)} (first after ${ms(r.sync.firstMs)})  target < 30 s -> ${verdict(r.sync.ms < 30_000)}`);
  log(`      CPU during it: replicas ${r.sync.use.replicaCpuSec.map((x) => x.toFixed(1)).join(' / ')} s, simulators ${r.sync.use.simCpuSec.toFixed(1)} s, etcd ${r.sync.use.etcdCpuSec.toFixed(1)} s; etcd writes ${r.sync.use.etcd.keys} keys (${(r.sync.use.etcd.keys / Math.max(1, o.proxies)).toFixed(1)} per sidecar: its registration)`);
  log(`      registered workloads per replica ${r.sync.health.map((h) => h.workloads).join(' / ')} of ${o.proxies}; failures logged ${r.sync.health.map((h) => h.failures).join(' / ')}${r.sync.health.some((h) => h.lastFailure !== null) ? ` (last: ${r.sync.health.find((h) => h.lastFailure !== null)!.lastFailure!.slice(0, 200)})` : ''}`);
  log('  convergence, apply returned -> every sidecar of every simulator ACKed:');
  for (const [k, rs] of groupByKind(r.results)) {
    const conv = rs.map((c) => c.convergenceMs ?? Infinity);
    const w = rs.map((c) => c.use.etcd);
    log(`      ${k.padEnd(24)} p50 ${ms(pct(conv, 50)).padStart(7)}  p99 ${ms(pct(conv, 99)).padStart(7)}  max ${ms(Math.max(...conv)).padStart(7)}  replicas' pushes written p50 ${ms(pct(rs.map((c) => c.pushedMs ?? Infinity), 50))}  etcd keys/apply ${pct(w.map((x) => x.keys), 50)} (${pct(w.map((x) => x.puts), 50)} put, ${pct(w.map((x) => x.deletes), 50)} delete) in ${pct(w.map((x) => x.txns), 50)} txn`);
  }
  log(`      target: VirtualService edit p99 < 1 s -> ${verdict(vs.length > 0 && p99Of(vs) < 1000)};  endpoint change p99 < 1 s -> ${verdict(ep.length > 0 && p99Of(ep) < 1000)} (p99 ${ms(p99Of(ep))} over ${ep.length})`);
  const pp = s.perProxyMs as { p50: number; p90: number; p99: number };
  log(`  per-proxy convergence: p50 ${ms(pp.p50)}   p90 ${ms(pp.p90)}   p99 ${ms(pp.p99)}`);
  const agree = r.results.every((c) => c.use.etcd.consistent);
  log(`  etcd writes are the leader's counts (etcd_mvcc_put_total/delete_total/txn_total deltas); every member counted the same for ${agree ? 'every change' : 'some changes only'}`);
  const cpuPer = s.replicaCpuSecPerChange as number[];
  log(`  CPU per change: replicas ${cpuPer.map((x) => x.toFixed(2)).join(' / ')} s, simulators ${(s.simulatorCpuSecPerChange as number).toFixed(2)} s, etcd ${(s.etcdCpuSecPerChange as number).toFixed(2)} s`);
  r.rss.forEach((x, i) => log(`  replica ${i}: RSS peak after seed ${x.peakAfterSeedMB.toFixed(0)} MB, after sync ${x.afterSyncMB.toFixed(0)} MB, end ${x.endMB.toFixed(0)} MB, peak ${x.peakMB.toFixed(0)} MB; CPU total ${r.replicaCpuTotal[i]!.toFixed(1)} s`));
  log(`      target: per-replica RSS < 1 GB -> ${verdict(r.rss.every((x) => x.peakMB < 1024))}`);
  log(`  etcd members RSS at end: ${r.etcdEnd.map((e) => (e.rssBytes / 2 ** 20).toFixed(0)).join(' / ')} MB`);
  if (r.sims !== undefined) log(`  simulators: ${r.sims.responses} responses, ${r.sims.resources} resources (${r.sims.distinctDecodes} distinct decodes), CPU ${r.sims.cpuSec.toFixed(1)} s, RSS ${r.sims.rssMB.toFixed(0)} MB in all`);
  if (r.errors.length > 0) log(`  client errors: ${r.errors.slice(0, 5).join('; ')}`);
}

function groupByKind(rs: readonly ChangeResult[]): Map<string, ChangeResult[]> {
  const m = new Map<string, ChangeResult[]>();
  for (const r of rs) m.set(r.kind, [...(m.get(r.kind) ?? []), r]);
  return m;
}

// ---------------------------------------------------------------------------------------------- main

/** Runs the whole bench; the etcd members, replicas, simulators and temp dir are gone when it settles, failed or not. */
export async function runReplicas(o: Options): Promise<void> {
  const log = (s: string): void => void (o.json ? process.stderr : process.stdout).write(s + '\n');
  log(`control-plane scale, ${o.replicas} replicas on etcd: ${o.services} services, ${o.services * o.endpointsPerService} WorkloadEntry endpoints, ${o.namespaces} namespaces, ${o.proxies} sidecars (${o.xdsApi} xDS) in ${o.simProcesses} simulator processes, ${o.changes} changes`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-'));
  const sealKeyFile = path.join(dir, 'store.key');
  fs.writeFileSync(sealKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  let cluster: EtcdCluster | undefined;
  let env: Env | undefined;
  try {
    cluster = await startEtcdCluster({ members: 3 });
    log(`  etcd: ${cluster.endpoints.length} members at ${cluster.endpoints.join(', ')}`);
    env = { o, log, cluster, replicas: [], dir };
    await startReplicas(env, `/bench-${randomUUID()}/`, sealKeyFile);
    await measure(env);
  } catch (e) {
    await printTails(env?.replicas ?? [], log);
    throw e;
  } finally {
    // every step runs whatever the one before did: a failed stop must not leave etcd or a temp dir behind
    await quietly(() => env?.fleet?.close(), log);
    for (const r of env?.replicas ?? []) await quietly(() => r.stop(), log);
    await quietly(() => cluster?.stop(), log);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(env: Env): Promise<void> {
  const { o, log } = env;
  const seeded = await seedConfig(env);
  const seedPeak = env.replicas.map((r) => r.rss().peakMb);
  log(`  seeded ${seeded.resources} resources in ${seeded.applies} applies; every replica holds them after ${ms(seeded.ms)} (etcd: ${seeded.etcd.keys} keys, ${seeded.etcd.txns} txns)`);
  const fleet = new SimFleet(o.simProcesses);
  env.fleet = fleet;
  const sync = await initialSync(env, fleet);
  log(`  initial sync: all ${o.proxies} sidecars hold CDS+EDS+LDS+RDS after ${ms(sync.ms)} (${sync.responses} responses; replica CPU ${sync.use.replicaCpuSec.map((x) => x.toFixed(1)).join(' / ')} s, simulators ${sync.use.simCpuSec.toFixed(1)} s)`);
  const afterSync = env.replicas.map((r) => r.rss().rssMb);
  const results: ChangeResult[] = [];
  const list = changes(o);
  for (let k = 0; k < list.length; k++) {
    const r = await runChange(env, fleet, list[k]!, k);
    results.push(r);
    log(`  change ${String(k + 1).padStart(2)} via replica ${r.via}: ${r.label.padEnd(36)} pushes written ${r.pushedMs === undefined ? '?' : ms(r.pushedMs)}, all ${o.proxies} ACKed in ${r.convergenceMs === undefined ? 'TIMEOUT' : ms(r.convergenceMs)}, replica CPU ${r.use.replicaCpuSec.map((x) => x.toFixed(2)).join('/')} s, etcd ${r.use.etcd.keys} keys/${r.use.etcd.txns} txn`);
  }
  const end = env.replicas.map((r) => r.rss());
  const replicaCpuTotal = env.replicas.map((r) => r.cpuSec());
  const etcdEnd = await clusterCounters(env.cluster);
  const sims = await fleet.stop();
  const report: Report = { o, seeded, sync, results, rss: end.map((e, i) => ({ peakAfterSeedMB: seedPeak[i]!, afterSyncMB: afterSync[i]!, endMB: e.rssMb, peakMB: e.peakMb })), replicaCpuTotal, sims, errors: fleet.errors, etcdEnd };
  printReport(report, log);
  if (o.json) process.stdout.write(JSON.stringify(summarize(report), null, 2) + '\n');
}

async function quietly(step: () => Promise<void> | undefined, log: (s: string) => void): Promise<void> {
  try {
    await step();
  } catch (e) {
    log(`  cleanup: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function printTails(replicas: readonly ReplicaProc[], log: (s: string) => void): Promise<void> {
  for (const r of replicas) {
    const tail = await r.call('logTail', null, 2000).catch(() => []);
    if (tail.length > 0) log(`--- replica ${r.index}'s last log lines\n${tail.join('\n')}`);
  }
}
