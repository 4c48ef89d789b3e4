// Test helper: an in-memory fake of the control plane's HTTP API (/api/v1, the CLI contract) on 127.0.0.1:0 that records every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { analyze } from '../../src/api/analyze.js';
import { loadResources } from '../../src/api/load.js';
import { parseResources } from '../../src/api/parse.js';
import { resourceKey, type MeshResource } from '../../src/api/types.js';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  author: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
}

interface Reply {
  status: number;
  body: unknown;
}

type Handler = (req: Recorded) => Reply | undefined;

interface Revision {
  revision: number;
  time: string;
  author: string;
  message: string;
  changes: { key: string; op: string }[];
  state: Map<string, MeshResource>;
}

export const PROXIES = [
  {
    id: 'reviews-v1.default',
    namespace: 'default',
    labels: { app: 'reviews', version: 'v1' },
    type: 'sidecar',
    address: '10.0.0.5',
    connectedAt: new Date(Date.now() - 90_000).toISOString(),
    status: 'connected',
    types: {
      CDS: { status: 'SYNCED', sentVersion: '7', ackedVersion: '7' },
      LDS: { status: 'NACKED', sentVersion: '7', ackedVersion: '6', error: 'listener outbound: unknown filter' },
      EDS: { status: 'STALE', sentVersion: '8', ackedVersion: '7' },
    },
  },
  { id: 'productpage-v1.default', namespace: 'default', labels: {}, type: 'sidecar', address: '10.0.0.6', connectedAt: new Date().toISOString(), status: 'connected', types: { CDS: { status: 'SYNCED' }, LDS: { status: 'SYNCED' }, EDS: { status: 'SYNCED' }, RDS: { status: 'SYNCED' } } },
];

export const XDS: Record<string, unknown[]> = {
  listeners: [
    { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: 'outbound', address: { socket_address: { address: '127.0.0.1', port_value: 15001 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', rds: { route_config_name: 'outbound' } } }] }] },
    { name: 'inbound', address: { socket_address: { address: '0.0.0.0', port_value: 15006 } }, filter_chains: [{ filter_chain_match: { destination_port: 9080 }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cluster: 'inbound|9080||' } }] }] },
  ],
  routes: [
    {
      name: 'outbound',
      virtual_hosts: [
        {
          name: 'reviews.default.svc.cluster.local:9080',
          domains: ['reviews', 'reviews.default', 'reviews.default.svc.cluster.local', 'reviews:9080'],
          routes: [
            { match: { prefix: '/', headers: [{ name: 'end-user' }] }, route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local' }, metadata: { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews' } } } },
            { match: { prefix: '/' }, route: { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local' } },
          ],
        },
      ],
    },
  ],
  clusters: [
    { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', type: 'EDS', metadata: { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews' } } } },
    { name: 'inbound|9080||', type: 'STATIC' },
    { name: 'outbound|443||api.example.com', type: 'STRICT_DNS' },
  ],
  endpoints: [
    { cluster_name: 'outbound|9080|v1|reviews.default.svc.cluster.local', endpoints: [{ locality: { region: 'eu' }, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.5', port_value: 15006 } } }, health_status: 'HEALTHY' }] }] },
  ],
};

export class FakeControlPlane {
  readonly requests: Recorded[] = [];
  private readonly overrides: { method: string; path: string; handler: Handler }[] = [];
  private readonly revisions: Revision[] = [];
  private state = new Map<string, MeshResource>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Replace the reply for one method+path (e.g. to inject an error); undefined from the handler falls through. */
  on(method: string, path: string, handler: Handler): void {
    this.overrides.unshift({ method, path, handler });
  }

  last(): Recorded {
    const r = this.requests[this.requests.length - 1];
    if (r === undefined) throw new Error('no request recorded');
    return r;
  }

  /** Seed the store as if `trellis apply` had run (one revision). */
  seed(text: string, author = 'seed', message = 'seed'): void {
    const r = this.apply({ text, author, message });
    if (r.status !== 200) throw new Error(`seed failed: ${JSON.stringify(r.body)}`);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const rec: Recorded = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      author: req.headers['x-trellis-author'] as string | undefined,
      authorization: req.headers.authorization,
      body: raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>),
    };
    this.requests.push(rec);
    const override = this.overrides.find((o) => o.method === rec.method && o.path === rec.path);
    const reply = override?.handler(rec) ?? this.route(rec);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  private route(r: Recorded): Reply {
    const p = r.path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    const b = r.body ?? {};
    if (r.method === 'GET' && r.path === '/api/v1/resources') {
      const list = [...this.state.values()].filter((x) => (r.query.kind === undefined || x.kind === r.query.kind) && (r.query.namespace === undefined || x.metadata.namespace === r.query.namespace));
      return { status: 200, body: list };
    }
    if (r.method === 'GET' && p[2] === 'resources' && p.length === 6) {
      const found = this.state.get(`${p[3]}/${p[4]}/${p[5]}`);
      return found === undefined ? { status: 404, body: { error: `${p[3]} ${p[4]}/${p[5]} not found` } } : { status: 200, body: found };
    }
    if (r.method === 'POST' && r.path === '/api/v1/apply') return this.apply(b);
    if (r.method === 'POST' && r.path === '/api/v1/delete') return this.delete(b);
    if (r.method === 'GET' && r.path === '/api/v1/revisions') {
      const limit = r.query.limit === undefined ? this.revisions.length : Number(r.query.limit);
      return { status: 200, body: this.revisions.slice(-limit).map(({ state: _s, ...info }) => info) };
    }
    if (r.method === 'POST' && r.path === '/api/v1/rollback') {
      const target = this.revisions.find((x) => x.revision === b.to);
      if (target === undefined) return { status: 404, body: { errors: [{ path: 'to', message: `no revision ${String(b.to)}` }] } };
      return { status: 200, body: { revision: this.commit(new Map(target.state), [{ key: '*', op: 'rollback' }], b) } };
    }
    if (r.method === 'GET' && r.path === '/api/v1/diff') {
      const from = this.at(Number(r.query.from));
      const to = r.query.to === undefined ? this.state : this.at(Number(r.query.to));
      const out: unknown[] = [];
      for (const key of new Set([...from.keys(), ...to.keys()])) {
        const before = from.get(key);
        const after = to.get(key);
        if (before === undefined) out.push({ key, op: 'added', after });
        else if (after === undefined) out.push({ key, op: 'removed', before });
        else if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ key, op: 'changed', before, after });
      }
      return { status: 200, body: out };
    }
    if (r.method === 'POST' && r.path === '/api/v1/analyze') {
      const extra = typeof b.text === 'string' ? parseResources(b.text) : { ok: true as const, value: [] };
      if (!extra.ok) return { status: 400, body: { errors: extra.errors } };
      return { status: 200, body: { messages: analyze([...this.state.values(), ...extra.value]) } };
    }
    if (r.method === 'GET' && r.path === '/api/v1/proxies') return { status: 200, body: PROXIES };
    if (r.method === 'GET' && p[2] === 'proxies' && p[4] === 'config') {
      if (!PROXIES.some((x) => x.id === p[3])) return { status: 404, body: { error: `proxy ${p[3]} not found` } };
      return { status: 200, body: p[5] === 'all' ? XDS : (XDS[p[5] ?? ''] ?? []) };
    }
    if (r.method === 'GET' && r.path === '/api/v1/ca/root') return { status: 200, body: { trustDomain: 'cluster.local', rootsPem: '' } };
    return { status: 404, body: { error: `no route ${r.method} ${r.path}` } };
  }

  private at(revision: number): Map<string, MeshResource> {
    return this.revisions.find((x) => x.revision === revision)?.state ?? new Map();
  }

  private commit(next: Map<string, MeshResource>, changes: { key: string; op: string }[], b: Record<string, unknown>): number {
    const revision = this.revisions.length + 1;
    this.state = next;
    this.revisions.push({ revision, time: new Date().toISOString(), author: String(b.author ?? ''), message: String(b.message ?? ''), changes, state: new Map(next) });
    return revision;
  }

  private apply(b: Record<string, unknown>): Reply {
    const loaded = loadResources(String(b.text ?? ''));
    if (!loaded.ok) return { status: 400, body: { errors: loaded.errors } };
    const next = new Map(this.state);
    const changes: { key: string; op: string }[] = [];
    for (const res of loaded.value) {
      const key = resourceKey(res);
      const old = next.get(key);
      const stamped = { ...res, metadata: { ...res.metadata, creationTimestamp: (old?.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? new Date(Date.now() - 300_000).toISOString() } } as unknown as MeshResource;
      changes.push({ key, op: old === undefined ? 'created' : JSON.stringify(old.spec) === JSON.stringify(res.spec) ? 'unchanged' : 'updated' });
      next.set(key, stamped);
    }
    if (b.dryRun === true) return { status: 200, body: { revision: this.revisions.length, changes } };
    return { status: 200, body: { revision: this.commit(next, changes, b), changes } };
  }

  private delete(b: Record<string, unknown>): Reply {
    let keys: string[];
    if (Array.isArray(b.keys)) keys = b.keys.map(String);
    else {
      const parsed = parseResources(String(b.text ?? ''));
      if (!parsed.ok) return { status: 400, body: { errors: parsed.errors } };
      keys = parsed.value.map(resourceKey);
    }
    const missing = keys.filter((k) => !this.state.has(k));
    if (missing.length > 0) return { status: 404, body: { errors: missing.map((k) => ({ path: k, message: 'not found' })) } };
    const next = new Map(this.state);
    for (const k of keys) next.delete(k);
    return { status: 200, body: { revision: this.commit(next, keys.map((key) => ({ key, op: 'delete' })), b), deleted: keys } };
  }
}
