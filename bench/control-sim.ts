// Benchmark: control-plane scale — the simulated sidecars. Each simulator process (control-scale-sim.ts) runs a share of
// the sidecars (test/control/xds/sim-sidecar.ts: one gRPC channel with its own TCP connection and one ADS stream each)
// and reports over IPC when they have all synced and when each change reached every one of them. SimFleet is the
// parent's side: it forks the processes, spreads the sidecars round-robin over them and over the control-plane
// replicas' xDS ports, and merges what the processes report. Both bench modes use it, so they measure the same way.
import { fork, type ChildProcess } from 'node:child_process';
import { hash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XdsNode } from '../src/xds/ads-service.js';
import { decodeResource, type Any, type Json } from '../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/xds/type-urls.js';
import { SimSidecar } from '../test/control/xds/sim-sidecar.js';
import { nsOf, now, type Expectation, type Options } from './control-fixture.js';

// ---------------------------------------------------------------------------------------------- IPC protocol

/**
 * start: this process runs sidecars j ≡ shard (mod shards); sidecar j connects to ports[j mod ports.length], so with
 * several replicas each gets every ports.length-th sidecar whatever the process count.
 */
export type ToSim =
  | { op: 'start'; ports: number[]; shard: number; shards: number; opts: Options }
  | { op: 'watch'; id: number; expect: Expectation }
  | { op: 'stop' };
export type FromSim =
  | { op: 'synced'; at: number; firstAt: number; responses: number }
  | { op: 'armed'; id: number }
  | { op: 'converged'; id: number; times: number[] }
  | { op: 'stats'; responses: number; resources: number; decodes: number; cpuUser: number; cpuSystem: number; rss: number }
  | { op: 'error'; message: string };

// ---------------------------------------------------------------------------------------------- child: simulated sidecars

/**
 * Decoded resources by content: the simulated sidecars receive the same bytes, and decoding each copy would make
 * the simulator (not the control plane) the bottleneck on a 2-core machine. Every resource of every response is
 * still compared byte for byte with what it is taken for; only identical bytes share one decode. The key is the
 * resource's name and version where the response gives them (Delta), a hash of its bytes otherwise (SotW).
 */
interface Decoded {
  bytes: Buffer;
  version: string | undefined;
  name: string;
  json: Json;
}
/** Type URL → resource name (or, without one, a hash of the bytes) → the variants seen (namespaces may differ). */
const decoded = new Map<string, Map<string, Decoded[]>>();
let decodedCount = 0;
let decodes = 0;
let resourceCount = 0;
/** One string per resource name for all the sidecars of this process (each response brings its own copies). */
const names = new Map<string, string>();
function intern(name: string): string {
  let n = names.get(name);
  if (n === undefined) {
    if (names.size > 200_000) names.clear();
    names.set(name, (n = name));
  }
  return n;
}

function decodeShared(any: Any, name?: string, version?: string): { name: string; json: Json } {
  resourceCount++;
  let byKey = decoded.get(any.type_url);
  if (byKey === undefined) decoded.set(any.type_url, (byKey = new Map()));
  const key = name ?? hash('sha1', any.value, 'base64');
  let variants = byKey.get(key);
  if (variants === undefined) byKey.set(key, (variants = []));
  for (const d of variants) if (d.version === version && d.bytes.equals(any.value)) return d;
  if (decodedCount > 200_000) {
    decoded.clear();
    decodedCount = 0;
  }
  const r = decodeResource(any);
  // a copy: the value is a view into its whole response's buffer, which must not stay alive for it
  const d: Decoded = { bytes: Buffer.from(any.value), version, name: r.name, json: r.json };
  // the newest first (the next response most likely carries it); old variants age out
  variants.unshift(d);
  if (variants.length > 16) variants.pop();
  decodedCount++;
  decodes++;
  return d;
}

interface ActiveWatch {
  id: number;
  expect: Expectation;
  /** Per client: the ACK time once it holds the expected state. */
  times: (number | undefined)[];
  done: number;
  /** Predicate results per decoded resource object (shared decodes ⇒ computed once per distinct content). */
  memo: WeakMap<object, boolean>;
}

/** Has the simulated sidecar every type it subscribed to, with every subscribed EDS/RDS resource? */
function isSynced(s: SimSidecar): boolean {
  for (const t of [CLUSTER_TYPE, LISTENER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE]) if (!s.acked.has(t)) return false;
  if (s.subscribed(VIRTUAL_HOST_TYPE).length > 0 && !s.acked.has(VIRTUAL_HOST_TYPE)) return false;
  const eds = s.subscribed(ENDPOINT_TYPE);
  return eds.length > 0 && s.namesOf(ENDPOINT_TYPE).length === eds.length && s.namesOf(ROUTE_TYPE).length === s.subscribed(ROUTE_TYPE).length;
}

/** Sidecar j's node: a workload of service (j * 2) mod S, so namespace and labels follow that service. */
function nodeOf(j: number, o: Options): XdsNode {
  const svc = (j * 2) % o.services;
  const ns = nsOf(svc, o);
  const ip = `10.100.${j >> 8}.${j & 255}`;
  return {
    id: `sidecar~${ip}~svc-${svc}-pod-${j}.${ns}~${ns}.svc.cluster.local`,
    metadata: { NAMESPACE: ns, INSTANCE_IPS: ip, LABELS: `app=svc-${svc},version=v1` },
  };
}

export class Simulator {
  private readonly sidecars: SimSidecar[] = [];
  private readonly synced = new Set<SimSidecar>();
  private readonly watches = new Map<number, ActiveWatch>();
  private firstSynced = 0;
  responses = 0;

  constructor(private readonly send: (m: FromSim) => void) {}

  start(m: Extract<ToSim, { op: 'start' }>): void {
    const o = m.opts;
    for (let j = m.shard; j < o.proxies; j += m.shards) {
      const index = this.sidecars.length;
      const s: SimSidecar = new SimSidecar(m.ports[j % m.ports.length]!, nodeOf(j, o), {
        api: o.xdsApi,
        decode: decodeShared,
        intern,
        onResponse: (typeUrl) => this.onResponse(index, s, typeUrl),
        onError: (e) => this.error(`sidecar ${j}: ${e.message}`),
      });
      this.sidecars.push(s);
    }
    if (this.sidecars.length === 0) this.send({ op: 'synced', at: now(), firstAt: now(), responses: 0 });
  }

  private onResponse(index: number, s: SimSidecar, typeUrl: string): void {
    this.responses++;
    this.observe(index, s, typeUrl, now());
    if (this.synced.has(s) || !isSynced(s)) return;
    this.synced.add(s);
    if (this.synced.size === 1) this.firstSynced = now();
    if (this.synced.size === this.sidecars.length) this.send({ op: 'synced', at: now(), firstAt: this.firstSynced, responses: this.responses });
  }

  watch(id: number, expect: Expectation): void {
    const w: ActiveWatch = { id, expect, times: new Array(this.sidecars.length).fill(undefined), done: 0, memo: new WeakMap() };
    this.watches.set(id, w);
    this.send({ op: 'armed', id });
    if (this.sidecars.length === 0) this.finish(w);
  }

  /** A sidecar ACKed a response of `typeUrl` at `t`: does it now hold what an open watch waits for? */
  private observe(index: number, s: SimSidecar, typeUrl: string, t: number): void {
    for (const w of this.watches.values()) {
      if (w.expect.typeUrl !== typeUrl || w.times[index] !== undefined) continue;
      if (!this.holds(s, w)) continue;
      w.times[index] = t;
      if (++w.done === this.sidecars.length) this.finish(w);
    }
  }

  private finish(w: ActiveWatch): void {
    this.watches.delete(w.id);
    this.send({ op: 'converged', id: w.id, times: w.times as number[] });
  }

  private holds(s: SimSidecar, w: ActiveWatch): boolean {
    const r = s.resources.get(w.expect.typeUrl)?.get(w.expect.resource);
    if (r === undefined) return w.expect.absent;
    let v = w.memo.get(r);
    if (v === undefined) {
      let scope: unknown = r;
      if (w.expect.vhost !== undefined) scope = (r.virtual_hosts as Json[] | undefined)?.find((h) => h.name === w.expect.vhost);
      const has = scope !== undefined && JSON.stringify(scope).includes(w.expect.needle);
      v = w.expect.absent ? !has : has;
      w.memo.set(r, v);
    }
    return v;
  }

  stats(): void {
    const cpu = process.cpuUsage();
    this.send({ op: 'stats', responses: this.responses, resources: resourceCount, decodes, cpuUser: cpu.user, cpuSystem: cpu.system, rss: process.memoryUsage().rss });
  }

  error(message: string): void {
    this.send({ op: 'error', message });
  }

  stop(): void {
    for (const s of this.sidecars) s.close();
  }
}

/** The simulator process's main: obeys the parent, and exits when the parent goes (no orphan holding 1000s of streams). */
export function runSimChild(): void {
  const send = (m: FromSim): void => void process.send!(m);
  const sim = new Simulator(send);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: ToSim) => {
    if (m.op === 'start') sim.start(m);
    else if (m.op === 'watch') sim.watch(m.id, m.expect);
    else {
      sim.stats();
      sim.stop();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

// ---------------------------------------------------------------------------------------------- parent: one link per process

class SimLink {
  private readonly waiters = new Map<string, (m: FromSim) => void>();

  constructor(
    readonly child: ChildProcess,
    private readonly errors: string[],
  ) {
    child.on('message', (m: FromSim) => {
      if (m.op === 'error') {
        if (this.errors.length < 20) this.errors.push(m.message);
        return;
      }
      const key = m.op === 'armed' || m.op === 'converged' ? `${m.op}:${m.id}` : m.op;
      const w = this.waiters.get(key);
      if (w !== undefined) {
        this.waiters.delete(key);
        w(m);
      }
    });
  }

  send(m: ToSim): void {
    if (this.child.connected) this.child.send(m);
  }

  /** The next message under `key`; registered now, so call it before whatever provokes the message. */
  wait<K extends FromSim['op']>(key: string, ms: number): Promise<Extract<FromSim, { op: K }> | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, ms);
      this.waiters.set(key, (m) => {
        clearTimeout(t);
        resolve(m as Extract<FromSim, { op: K }>);
      });
    });
  }
}

const SIM_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'control-scale-sim.js');

export interface FleetSync {
  /** When the last process's last sidecar synced, and the first sidecar of any process. */
  at: number;
  firstAt: number;
  responses: number;
}

export interface FleetStats {
  processes: number;
  responses: number;
  resources: number;
  distinctDecodes: number;
  cpuSec: number;
  /** Summed over the processes. */
  rssMB: number;
}

/** The simulator processes, as one: a change has converged when it reached every sidecar of every process. */
export class SimFleet {
  readonly errors: string[] = [];
  private readonly links: SimLink[];

  constructor(processes: number) {
    // a simulator holds every resource of each of its sidecars: thousands of sidecars need more than the default heap
    this.links = Array.from({ length: processes }, () => new SimLink(fork(SIM_ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=8192'] }), this.errors));
  }

  get pids(): number[] {
    return this.links.map((l) => l.child.pid ?? -1);
  }

  /** Connects every sidecar and resolves once all of them hold CDS+EDS+LDS+RDS(+VHDS); undefined on timeout. */
  async sync(ports: number[], o: Options, timeoutMs: number): Promise<FleetSync | undefined> {
    const waits = this.links.map((l) => l.wait<'synced'>('synced', timeoutMs));
    this.links.forEach((l, shard) => l.send({ op: 'start', ports, shard, shards: this.links.length, opts: o }));
    const all = await Promise.all(waits);
    if (all.some((s) => s === undefined)) return undefined;
    const done = all as Extract<FromSim, { op: 'synced' }>[];
    return { at: Math.max(...done.map((s) => s.at)), firstAt: Math.min(...done.map((s) => s.firstAt)), responses: done.reduce((a, s) => a + s.responses, 0) };
  }

  /**
   * Arms a watch for change `id` in every process. Resolves once armed (so the change can be applied right after)
   * with the promise of its convergence: every sidecar's ACK time, undefined if any process timed out. The promise is
   * wrapped in an object because an async function's result promise would otherwise adopt it and wait for it.
   */
  async watch(id: number, expect: Expectation, timeoutMs: number): Promise<{ converged: Promise<number[] | undefined> }> {
    const armed = this.links.map((l) => l.wait<'armed'>(`armed:${id}`, 10_000));
    const waits = this.links.map((l) => l.wait<'converged'>(`converged:${id}`, timeoutMs));
    for (const l of this.links) l.send({ op: 'watch', id, expect });
    await Promise.all(armed);
    return { converged: Promise.all(waits).then((ms) => (ms.some((m) => m === undefined) ? undefined : ms.flatMap((m) => m!.times))) };
  }

  /** Closes every sidecar and returns the processes' own counters. */
  async stop(): Promise<FleetStats | undefined> {
    const waits = this.links.map((l) => l.wait<'stats'>('stats', 5000));
    for (const l of this.links) l.send({ op: 'stop' });
    const stats = await Promise.all(waits);
    if (stats.some((s) => s === undefined)) return undefined;
    const ss = stats as Extract<FromSim, { op: 'stats' }>[];
    const sum = (f: (s: (typeof ss)[number]) => number): number => ss.reduce((a, s) => a + f(s), 0);
    return { processes: ss.length, responses: sum((s) => s.responses), resources: sum((s) => s.resources), distinctDecodes: sum((s) => s.decodes), cpuSec: sum((s) => s.cpuUser + s.cpuSystem) / 1e6, rssMB: sum((s) => s.rss) / 2 ** 20 };
  }

  /** Waits briefly for the processes to exit after stop(), then kills whatever is left. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => exitWithin(l.child, 2000)));
  }
}

/** Resolves once `child` exited, SIGKILLing it after `ms`. */
export async function exitWithin(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
