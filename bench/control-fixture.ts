// Benchmark: control-plane scale — the options, the mesh fixture (Services, WorkloadEntries, DestinationRules,
// VirtualServices), the changes applied during the run, and the HTTP API client that applies them. Shared by the
// in-process mode (control-scale.ts) and the several-replicas-on-etcd mode (control-replicas.ts).
import { request } from 'node:http';
import type { ControlPlane } from '../src/control/server.js';
import type { StoredResource } from '../src/control/store/types.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE, VIRTUAL_HOST_TYPE } from '../src/xds/type-urls.js';

// ---------------------------------------------------------------------------------------------- options

export interface Options {
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
  /** Write a CPU profile of the control plane during the changes to this file (in-process mode only). */
  profile?: string;
  json: boolean;
  /** Control-plane replicas, each its own process (needs `store: 'etcd'` above 1). */
  replicas: number;
  /** memory: one in-process control plane on an in-memory store; etcd: replica processes on a 3-member etcd. */
  store: 'memory' | 'etcd';
  /** Processes the simulated sidecars are spread over (round-robin). */
  simProcesses: number;
}

/** The in-process mode's size (what docs/performance.md's first table measures). */
const MEMORY_DEFAULTS = { services: 1000, endpointsPerService: 10, proxies: 500, simProcesses: 1 };
/** The replicated size: 5,000 sidecars across the replicas, 2,000 services, 50,000 endpoints. */
const ETCD_DEFAULTS = { services: 2000, endpointsPerService: 25, proxies: 5000, simProcesses: 3 };

type Flag = 'services' | 'endpointsPerService' | 'proxies' | 'simProcesses';

export function parseArgs(argv: string[]): Options {
  const o: Options = { ...MEMORY_DEFAULTS, namespaces: 10, changes: 20, debounceMs: 100, routedEvery: 10, xdsApi: 'delta', json: false, replicas: 1, store: 'memory' };
  // the size defaults depend on --store, which may come after them: remember what was given
  const given = new Set<Flag>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    const sized = (f: Flag): void => {
      o[f] = num();
      given.add(f);
    };
    if (a === '--services') sized('services');
    else if (a === '--endpoints-per-service') sized('endpointsPerService');
    else if (a === '--proxies') sized('proxies');
    else if (a === '--sim-processes') sized('simProcesses');
    else if (a === '--namespaces') o.namespaces = num();
    else if (a === '--changes') o.changes = num();
    else if (a === '--debounce-ms') o.debounceMs = num();
    else if (a === '--routed-every') o.routedEvery = Math.max(1, num());
    else if (a === '--replicas') o.replicas = Math.max(1, Math.floor(num()));
    else if (a === '--store') {
      const v = argv[++i];
      if (v !== 'memory' && v !== 'etcd') throw new Error('--store is memory or etcd');
      o.store = v;
    } else if (a === '--xds-api') {
      const v = argv[++i];
      if (v !== 'sotw' && v !== 'delta') throw new Error('--xds-api is sotw or delta');
      o.xdsApi = v;
    } else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown flag ${a}`);
  }
  if (o.replicas > 1 && o.store !== 'etcd') throw new Error('--replicas above 1 needs --store etcd (an in-memory store cannot be shared between processes)');
  if (o.store === 'etcd') {
    if (o.profile !== undefined) throw new Error('--profile profiles the in-process control plane; with --store etcd the replicas are other processes');
    for (const f of Object.keys(ETCD_DEFAULTS) as Flag[]) if (!given.has(f)) o[f] = ETCD_DEFAULTS[f];
  }
  o.namespaces = Math.max(1, Math.min(o.namespaces, o.services));
  o.simProcesses = Math.max(1, Math.min(Math.floor(o.simProcesses), o.proxies));
  return o;
}

// ---------------------------------------------------------------------------------------------- mesh fixture

export const nsOf = (i: number, o: Options): string => `ns-${i % o.namespaces}`;
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

/** Endpoint e of service i: addresses stay unique up to 255 × 256 services and 254 endpoints per service. */
const endpointAddress = (i: number, e: number): string => `10.${1 + (i >> 8)}.${i & 255}.${e + 1}`;

export function seed(o: Options): StoredResource[] {
  const out: StoredResource[] = [];
  for (let i = 0; i < o.services; i++) {
    out.push(service(i, o));
    for (let e = 0; e < o.endpointsPerService; e++) {
      const version = e < Math.ceil(o.endpointsPerService * 0.8) ? 'v1' : 'v2';
      out.push(workloadEntry(`svc-${i}-${e}`, i, endpointAddress(i, e), version, o));
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
export interface Expectation {
  typeUrl: string;
  /** Resource name to look in. */
  resource: string;
  /** For RDS: only this virtual host (its name) of the resource is searched. */
  vhost?: string;
  needle: string;
  absent: boolean;
}

export type ChangeKind = 'VirtualService weight' | 'DestinationRule policy' | 'WorkloadEntry add' | 'WorkloadEntry remove';

export interface Change {
  label: string;
  kind: ChangeKind;
  apply: (api: Api) => Promise<void>;
  expect: Expectation;
}

export function changes(o: Options): Change[] {
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

// ---------------------------------------------------------------------------------------------- API client

/** The control plane's HTTP API, as `trellis apply` / `trellis delete` call it. */
export class Api {
  constructor(
    readonly port: number,
    private readonly adminToken: string,
  ) {}

  apply(r: StoredResource): Promise<void> {
    return this.applyAll([r]);
  }

  /** One apply of many documents: one revision, as `trellis apply -f` of a multi-document file. */
  applyAll(rs: readonly StoredResource[]): Promise<void> {
    return this.post('/api/v1/apply', { text: rs.map((r) => JSON.stringify(r)).join('\n---\n'), author: 'bench' });
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
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 500)}`))));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }
}

// ---------------------------------------------------------------------------------------------- figures

export const now = (): number => performance.timeOrigin + performance.now();

export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const ms = (x: number): string => (!Number.isFinite(x) ? 'n/a' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
export const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;
export const verdict = (ok: boolean): string => (ok ? 'MEETS' : 'MISSES');

/** Waits until no rebuild is pending and no push is queued or running. */
export async function settle(cp: ControlPlane): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    cp.ingestion.flush();
    await cp.ads.idle();
  }
}
