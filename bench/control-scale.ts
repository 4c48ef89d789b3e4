// Benchmark: control-plane scale — 1000 Services, 10,000 endpoints, 500 xDS clients; convergence, push CPU, RSS.
//
// The control plane runs in this process; the simulated sidecars run in a forked child process (so this
// process's cpuUsage()/RSS are the control plane's own). Each simulated sidecar (test/control/xds/sim-sidecar.ts)
// is one gRPC channel with its own TCP connection and one ADS stream (Delta by default, as `trellis proxy` uses;
// `--xds-api sotw` for state of the world): it subscribes CDS and LDS as wildcards, then EDS, RDS and VHDS by the
// names those refer to (as Envoy does), decodes every resource and ACKs every response.
//
//   node dist/bench/control-scale.js [--services 1000] [--endpoints-per-service 10] [--proxies 500]
//        [--namespaces 10] [--changes 20] [--debounce-ms 100] [--xds-api delta|sotw] [--profile FILE] [--json]
//   quick preset: --services 100 --proxies 50
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../src/control/server.js';
import { createMemoryStore } from '../src/control/store/index.js';
import type { StoredResource } from '../src/control/store/types.js';
import type { XdsNode } from '../src/xds/ads-service.js';
import { decodeResource, type Any, type Json } from '../src/xds/codec.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/xds/type-urls.js';
import { SimSidecar } from '../test/control/xds/sim-sidecar.js';

// ---------------------------------------------------------------------------------------------- options

interface Options {
  services: number;
  endpointsPerService: number;
  proxies: number;
  namespaces: number;
  changes: number;
  debounceMs: number;
  /** Every `routedEvery`-th service has a DestinationRule (subsets v1/v2) and a weighted VirtualService. */
  routedEvery: number;
  /** The simulated sidecars' ADS RPC: delta (with VHDS, as `trellis proxy` uses) or sotw. */
  xdsApi: 'sotw' | 'delta';
  /** Write a CPU profile of the control plane during the changes to this file. */
  profile?: string;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { services: 1000, endpointsPerService: 10, proxies: 500, namespaces: 10, changes: 20, debounceMs: 100, routedEvery: 10, xdsApi: 'delta', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--services') o.services = num();
    else if (a === '--endpoints-per-service') o.endpointsPerService = num();
    else if (a === '--proxies') o.proxies = num();
    else if (a === '--namespaces') o.namespaces = num();
    else if (a === '--changes') o.changes = num();
    else if (a === '--debounce-ms') o.debounceMs = num();
    else if (a === '--routed-every') o.routedEvery = Math.max(1, num());
    else if (a === '--xds-api') {
      const v = argv[++i];
      if (v !== 'sotw' && v !== 'delta') throw new Error('--xds-api is sotw or delta');
      o.xdsApi = v;
    } else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--json') o.json = true;
    else if (a === '--child') continue;
    else throw new Error(`unknown flag ${a}`);
  }
  o.namespaces = Math.max(1, Math.min(o.namespaces, o.services));
  return o;
}

const now = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------- mesh fixture

const nsOf = (i: number, o: Options): string => `ns-${i % o.namespaces}`;
const hostOf = (i: number, o: Options): string => `svc-${i}.${nsOf(i, o)}.svc.cluster.local`;
const PORT = 8080;

function service(i: number, o: Options): StoredResource {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: nsOf(i, o) },
    spec: { selector: { app: `svc-${i}` }, ports: [{ name: 'http', port: PORT, targetPort: PORT }] },
  };
}

function workloadEntry(name: string, i: number, address: string, version: string, o: Options): StoredResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'WorkloadEntry',
    metadata: { name, namespace: nsOf(i, o) },
    spec: { address, labels: { app: `svc-${i}`, version } },
  };
}

function destinationRule(i: number, maxConnections: number, o: Options): StoredResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: `svc-${i}`, namespace: nsOf(i, o) },
    spec: {
      host: hostOf(i, o),
      trafficPolicy: { connectionPool: { tcp: { maxConnections } } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    },
  };
}

function virtualService(i: number, w1: number, o: Options): StoredResource {
  const host = hostOf(i, o);
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: `svc-${i}`, namespace: nsOf(i, o) },
    spec: {
      hosts: [host],
      http: [
        {
          route: [
            { destination: { host, subset: 'v1' }, weight: w1 },
            { destination: { host, subset: 'v2' }, weight: 100 - w1 },
          ],
        },
      ],
    },
  };
}

function seed(o: Options): StoredResource[] {
  const out: StoredResource[] = [];
  for (let i = 0; i < o.services; i++) {
    out.push(service(i, o));
    for (let e = 0; e < o.endpointsPerService; e++) {
      const version = e < Math.ceil(o.endpointsPerService * 0.8) ? 'v1' : 'v2';
      out.push(workloadEntry(`svc-${i}-${e}`, i, `10.${1 + (i >> 8)}.${i & 255}.${e + 1}`, version, o));
    }
    if (i % o.routedEvery === 0) {
      out.push(destinationRule(i, 1024, o));
      out.push(virtualService(i, 90, o));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- changes

/** What a client must have (or no longer have) once a change reached it. */
interface Expectation {
  typeUrl: string;
  /** Resource name to look in. */
  resource: string;
  /** For RDS: only this virtual host (its name) of the resource is searched. */
  vhost?: string;
  needle: string;
  absent: boolean;
}

interface Change {
  label: string;
  kind: 'VirtualService weight' | 'DestinationRule policy' | 'WorkloadEntry add' | 'WorkloadEntry remove';
  apply: (api: Api) => Promise<void>;
  expect: Expectation;
}

function changes(o: Options): Change[] {
  const routed: number[] = [];
  for (let i = 0; i < o.services; i += o.routedEvery) routed.push(i);
  const out: Change[] = [];
  let lastAdded: { i: number; name: string; address: string } | undefined;
  for (let k = 0; k < o.changes; k++) {
    const i = routed[(k * 7) % routed.length]!;
    const host = hostOf(i, o);
    const cluster = `outbound|${PORT}||${host}`;
    switch (k % 4) {
      case 0: {
        const w = 20 + (k % 40);
        out.push({
          label: `VS svc-${i} weights ${w}/${100 - w}`,
          kind: 'VirtualService weight',
          apply: (api) => api.apply(virtualService(i, w, o)),
          // with VHDS the virtual host is a resource of its own; inline, it is searched inside `outbound`
          expect:
            o.xdsApi === 'delta'
              ? { typeUrl: VIRTUAL_HOST_TYPE, resource: `outbound/${host}:${PORT}`, needle: `"weight":${100 - w}`, absent: false }
              : { typeUrl: ROUTE_TYPE, resource: 'outbound', vhost: `${host}:${PORT}`, needle: `"weight":${100 - w}`, absent: false },
        });
        break;
      }
      case 1: {
        const max = 50_000 + k;
        out.push({
          label: `DR svc-${i} maxConnections ${max}`,
          kind: 'DestinationRule policy',
          apply: (api) => api.apply(destinationRule(i, max, o)),
          expect: { typeUrl: CLUSTER_TYPE, resource: cluster, needle: String(max), absent: false },
        });
        break;
      }
      case 2: {
        const added = { i, name: `svc-${i}-extra-${k}`, address: `10.200.${k >> 8}.${k & 255}` };
        lastAdded = added;
        out.push({
          label: `WE add ${added.address} to svc-${i}`,
          kind: 'WorkloadEntry add',
          apply: (api) => api.apply(workloadEntry(added.name, added.i, added.address, 'v1', o)),
          expect: { typeUrl: ENDPOINT_TYPE, resource: cluster, needle: `"${added.address}"`, absent: false },
        });
        break;
      }
      default: {
        const gone = lastAdded!;
        out.push({
          label: `WE remove ${gone.address} from svc-${gone.i}`,
          kind: 'WorkloadEntry remove',
          apply: (api) => api.remove(`WorkloadEntry/${nsOf(gone.i, o)}/${gone.name}`),
          expect: { typeUrl: ENDPOINT_TYPE, resource: `outbound|${PORT}||${hostOf(gone.i, o)}`, needle: `"${gone.address}"`, absent: true },
        });
      }
    }
  }
  return out;
}

/** The control plane's HTTP API, as `trellis apply` / `trellis delete` call it. */
class Api {
  constructor(
    private readonly port: number,
    private readonly adminToken: string,
  ) {}

  apply(r: StoredResource): Promise<void> {
    return this.post('/api/v1/apply', { text: JSON.stringify(r), author: 'bench' });
  }

  remove(key: string): Promise<void> {
    return this.post('/api/v1/delete', { keys: [key], author: 'bench' });
  }

  private post(path: string, body: object): Promise<void> {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${this.adminToken}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }
}

// ---------------------------------------------------------------------------------------------- child: simulated sidecars

type ToChild = { op: 'start'; port: number; opts: Options } | { op: 'watch'; id: number; expect: Expectation } | { op: 'stop' };
type ToParent =
  | { op: 'synced'; at: number; first: number; last: number; responses: number }
  | { op: 'armed'; id: number }
  | { op: 'converged'; id: number; times: number[]; missing: number }
  | { op: 'stats'; responses: number; resources: number; decodes: number; cpuUser: number; cpuSystem: number; rss: number }
  | { op: 'error'; message: string };

/**
 * Decoded resources by content: the 500 simulated sidecars receive the same bytes, and decoding each copy
 * would make the simulator (not the control plane) the bottleneck on a 2-core machine. Every resource of
 * every response is still hashed and looked up; only identical bytes share one decode.
 */
const decoded = new Map<string, { name: string; json: Json }>();
let decodes = 0;
let resourceCount = 0;
function decodeShared(any: Any): { name: string; json: Json } {
  resourceCount++;
  const key = any.type_url + createHash('sha1').update(any.value).digest('base64');
  let d = decoded.get(key);
  if (d === undefined) {
    if (decoded.size > 200_000) decoded.clear();
    const r = decodeResource(any);
    d = { name: r.name, json: r.json };
    decoded.set(key, d);
    decodes++;
  }
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

class Simulator {
  private readonly sidecars: SimSidecar[] = [];
  private readonly synced = new Set<SimSidecar>();
  private readonly watches = new Map<number, ActiveWatch>();
  private startedAt = 0;
  private firstSynced = 0;
  responses = 0;

  constructor(private readonly send: (m: ToParent) => void) {}

  start(port: number, o: Options): void {
    this.startedAt = now();
    for (let j = 0; j < o.proxies; j++) {
      // sidecar j belongs to a workload of service (j * 2) mod S: namespace and labels follow that service
      const svc = (j * 2) % o.services;
      const ns = nsOf(svc, o);
      const ip = `10.100.${j >> 8}.${j & 255}`;
      const node: XdsNode = {
        id: `sidecar~${ip}~svc-${svc}-pod-${j}.${ns}~${ns}.svc.cluster.local`,
        metadata: { NAMESPACE: ns, INSTANCE_IPS: ip, LABELS: `app=svc-${svc},version=v1` },
      };
      const s: SimSidecar = new SimSidecar(port, node, {
        api: o.xdsApi,
        decode: decodeShared,
        onResponse: (typeUrl) => this.onResponse(j, s, typeUrl),
        onError: (e) => this.error(`sidecar ${j}: ${e.message}`),
      });
      this.sidecars.push(s);
    }
  }

  private onResponse(index: number, s: SimSidecar, typeUrl: string): void {
    this.responses++;
    this.observe(index, s, typeUrl, now());
    if (this.synced.has(s) || !isSynced(s)) return;
    this.synced.add(s);
    if (this.synced.size === 1) this.firstSynced = now();
    if (this.synced.size === this.sidecars.length) {
      this.send({ op: 'synced', at: now(), first: this.firstSynced - this.startedAt, last: now() - this.startedAt, responses: this.responses });
    }
  }

  watch(id: number, expect: Expectation): void {
    const w: ActiveWatch = { id, expect, times: new Array(this.sidecars.length).fill(undefined), done: 0, memo: new WeakMap() };
    this.watches.set(id, w);
    this.send({ op: 'armed', id });
  }

  /** A sidecar ACKed a response of `typeUrl` at `t`: does it now hold what an open watch waits for? */
  private observe(index: number, s: SimSidecar, typeUrl: string, t: number): void {
    for (const w of this.watches.values()) {
      if (w.expect.typeUrl !== typeUrl || w.times[index] !== undefined) continue;
      if (!this.holds(s, w)) continue;
      w.times[index] = t;
      if (++w.done === this.sidecars.length) {
        this.watches.delete(w.id);
        this.send({ op: 'converged', id: w.id, times: w.times as number[], missing: 0 });
      }
    }
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

function runChild(): void {
  const send = (m: ToParent): void => void process.send!(m);
  const sim = new Simulator(send);
  process.on('message', (m: ToChild) => {
    if (m.op === 'start') sim.start(m.port, m.opts);
    else if (m.op === 'watch') sim.watch(m.id, m.expect);
    else {
      sim.stats();
      sim.stop();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

// ---------------------------------------------------------------------------------------------- parent: control plane + measurement

class ChildLink {
  private readonly waiters = new Map<string, (m: ToParent) => void>();
  readonly errors: string[] = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: ToParent) => {
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

  send(m: ToChild): void {
    this.child.send(m);
  }

  wait<T extends ToParent>(key: string, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, ms);
      this.waiters.set(key, (m) => {
        clearTimeout(t);
        resolve(m as T);
      });
    });
  }
}

function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;

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

  const child = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const link = new ChildLink(child);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

  try {
    // ---- initial sync
    const syncCpu0 = process.cpuUsage();
    const syncStart = now();
    link.send({ op: 'start', port: cp.xdsPort!, opts: o });
    const synced = await link.wait<Extract<ToParent, { op: 'synced' }>>('synced', 180_000);
    if (synced === undefined) throw new Error(`initial sync did not finish in 180 s (errors: ${link.errors.join('; ')})`);
    const syncMs = synced.at - syncStart;
    const syncCpu = process.cpuUsage(syncCpu0);
    log(`  initial sync: all ${o.proxies} sidecars hold CDS+EDS+LDS+RDS after ${ms(syncMs)} (first after ${ms(synced.first)}; ${synced.responses} responses; control-plane CPU ${((syncCpu.user + syncCpu.system) / 1e6).toFixed(1)} s)`);
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
      link.send({ op: 'watch', id: k, expect: c.expect });
      await link.wait(`armed:${k}`, 10_000);
      const cpu0 = process.cpuUsage();
      const converged = link.wait<Extract<ToParent, { op: 'converged' }>>(`converged:${k}`, 60_000);
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
      const r: ChangeResult = { label: c.label, kind: c.kind, perProxyMs: m === undefined ? [] : m.times.map((t) => t - applied), cpuSec: (cpu.user + cpu.system) / 1e6 };
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
    link.send({ op: 'stop' });
    const childStats = await link.wait<Extract<ToParent, { op: 'stats' }>>('stats', 5000);

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
      clientProcess: childStats === undefined ? undefined : { responses: childStats.responses, resources: childStats.resources, distinctDecodes: childStats.decodes, cpuSec: (childStats.cpuUser + childStats.cpuSystem) / 1e6, rssMB: childStats.rss / 2 ** 20 },
      errors: link.errors,
    };
    const verdict = (ok: boolean): string => (ok ? 'MEETS' : 'MISSES');
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
      log(`  client process: ${c.responses} responses, ${c.resources} resources (${c.distinctDecodes} distinct decodes), CPU ${c.cpuSec.toFixed(1)} s, RSS ${c.rssMB.toFixed(0)} MB`);
    }
    if (link.errors.length > 0) log(`  client errors: ${link.errors.slice(0, 5).join('; ')}`);
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } finally {
    clearInterval(rssTimer);
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    child.kill();
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

/** Waits until no rebuild is pending and no push is queued or running. */
async function settle(cp: ControlPlane): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    cp.ingestion.flush();
    await cp.ads.idle();
  }
}

const argv = process.argv.slice(2);
if (argv.includes('--child')) runChild();
else {
  runParent(parseArgs(argv)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}
