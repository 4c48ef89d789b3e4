// Test rig for the Lua filter: a real ConnectionManager, ActiveStream, filter manager and router over a fake downstream
// and fake pools (cluster "backend" at 10.0.0.1, cluster "svc" at 10.0.0.2 for httpCall); the test answers upstreams.
import type { DownstreamStream } from '../../../../../src/proxy/http/downstream.js';
import type { HeaderMap } from '../../../../../src/proxy/router/types.js';
import type { Bootstrap, HttpConnectionManager } from '../../../../../src/proxy/config/types.js';
import type { ConnectionPool, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../../../../src/proxy/upstream/pool/types.js';
import type { PoolManager } from '../../../../../src/proxy/upstream/pool/pool-manager.js';
import type { DownstreamConnectionInfo } from '../../../../../src/proxy/http/types.js';
import type { RuntimeSnapshot } from '../../../../../src/proxy/runtime-config/snapshot.js';
import { ConnectionManager } from '../../../../../src/proxy/http/connection-manager.js';
import { ActiveStream } from '../../../../../src/proxy/http/active-stream.js';
import { parseBootstrap } from '../../../../../src/proxy/config/parse-bootstrap.js';
import { compileRouteTable } from '../../../../../src/proxy/router/route-table.js';
import { FakeCluster, FakeClusterManager, FakeStats, fakeHost } from '../../../tcp/fakes.js';

export const LUA = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua';
export const LUA_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute';

/** The client's side of one request: what it sends and what the proxy answered. */
export class Client implements DownstreamStream {
  readonly rawPath: string;
  readonly authority: string;
  readonly contentLength: number;
  responseStarted = false;
  status = 0;
  responseHeaders: HeaderMap = {};
  chunks: Buffer[] = [];
  ended = false;
  wasReset = false;
  trailers: HeaderMap | undefined;
  private onData: ((c: Buffer) => void) | null = null;
  private onEnd: ((t: HeaderMap | undefined) => void) | null = null;
  private early: (Buffer | { end: HeaderMap | undefined })[] = [];

  constructor(
    readonly method: string,
    path: string,
    readonly headers: HeaderMap,
    readonly hasBody: boolean,
    readonly protocol: 'HTTP/1.1' | 'HTTP/2' = 'HTTP/1.1',
  ) {
    this.rawPath = path;
    this.authority = typeof headers.host === 'string' ? headers.host : 'svc';
    const cl = headers['content-length'];
    this.contentLength = typeof cl === 'string' ? Number(cl) : -1;
  }
  get body(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
  readBody(onData: (c: Buffer) => void, onEnd: (t: HeaderMap | undefined) => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    for (const e of this.early.splice(0)) {
      if (Buffer.isBuffer(e)) onData(e);
      else onEnd(e.end);
    }
  }
  /** The client sends body bytes (and ends, with or without trailers). */
  send(chunk: string | Buffer, end = false, trailers?: HeaderMap): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    if (b.length > 0) {
      if (this.onData !== null) this.onData(b);
      else this.early.push(b);
    }
    if (end) {
      if (this.onEnd !== null) this.onEnd(trailers);
      else this.early.push({ end: trailers });
    }
  }
  pauseBody(): void {}
  resumeBody(): void {}
  respondHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    this.responseStarted = true;
    this.status = status;
    this.responseHeaders = headers;
    if (endStream) this.ended = true;
  }
  respondData(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }
  respondEnd(trailers: HeaderMap | undefined): void {
    this.trailers = trailers;
    this.ended = true;
  }
  onResponseDrain(): void {}
  reset(): void {
    this.wasReset = true;
  }
  private abortCb: (() => void) | null = null;
  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }
  /** The client goes away. */
  abort(): void {
    this.abortCb?.();
  }
}

/** One request the proxy sent to a cluster; the test answers it. */
export class Upstream implements UpstreamStream {
  readonly chunks: Buffer[] = [];
  ended = false;
  endTrailers: HeaderMap | undefined;
  aborted = false;
  constructor(
    readonly cluster: string,
    readonly head: UpstreamRequestHead,
    readonly handler: UpstreamResponseHandler,
  ) {}
  get body(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
  write(chunk: Buffer): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }
  end(trailers?: HeaderMap): void {
    this.ended = true;
    this.endTrailers = trailers;
  }
  abort(): void {
    this.aborted = true;
  }
  onDrain(): void {}
  pauseResponse(): void {}
  resumeResponse(): void {}
  respond(status: number, body: string | Buffer = '', headers: HeaderMap = {}, trailers?: HeaderMap): void {
    this.handler.onHeaders(status, headers);
    const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    if (b.length > 0) this.handler.onData(b);
    this.handler.onEnd(trailers);
  }
  /** Streams the answer in pieces (the last call ends it). */
  head_(status: number, headers: HeaderMap = {}): void {
    this.handler.onHeaders(status, headers);
  }
  data(chunk: string): void {
    this.handler.onData(Buffer.from(chunk, 'latin1'));
  }
  finish(trailers?: HeaderMap): void {
    this.handler.onEnd(trailers);
  }
}

export interface LuaRig {
  cm: ConnectionManager;
  stats: FakeStats;
  /** Every upstream request (router and httpCall), in order. */
  upstreams: Upstream[];
  request(opts?: { method?: string; path?: string; headers?: HeaderMap; body?: boolean; conn?: Partial<DownstreamConnectionInfo>; protocol?: 'HTTP/1.1' | 'HTTP/2' }): Client;
  upstream(cluster: string): Upstream[];
}

/** `lua`: the Lua typed_config fields; `routes`: route entries (default: everything to "backend"). */
export function luaRig(lua: object, opts: { routes?: object[]; filters?: object[]; runtime?: Record<string, number> } = {}): LuaRig {
  const routes = opts.routes ?? [{ match: { prefix: '/' }, route: { cluster: 'backend', timeout: '0s' } }];
  const raw = {
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'in',
                    // requests a test leaves unanswered must not keep the process alive
                    stream_idle_timeout: '0s',
                    route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes }] },
                    http_filters: [
                      ...(opts.filters ?? [{ name: 'envoy.filters.http.lua', typed_config: { '@type': LUA, ...lua } }]),
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: ['backend', 'svc'].map((name) => ({ name, type: 'STATIC', load_assignment: { cluster_name: name, endpoints: [] } })),
    },
  };
  const parsed = parseBootstrap(raw, { baseDir: '.' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const b: Bootstrap = parsed.value;
  const hcmConfig = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
  if (hcmConfig.route_specifier.kind !== 'route_config') throw new Error('inline routes expected');
  const table = compileRouteTable(hcmConfig.route_specifier.route_config, { random: () => 0.5 });
  const stats = new FakeStats();
  const backend = new FakeCluster('backend', [fakeHost('10.0.0.1', 80)], stats.scope('cluster', 'backend'), b.static_resources.clusters[0]);
  const svc = new FakeCluster('svc', [fakeHost('10.0.0.2', 80)], stats.scope('cluster', 'svc'), b.static_resources.clusters[1]);
  const upstreams: Upstream[] = [];
  const pool = (cluster: string): ConnectionPool => ({
    protocol: 'http/1.1',
    request: (head, handler) => {
      const u = new Upstream(cluster, head, handler);
      upstreams.push(u);
      return u;
    },
    connectRaw: () => {},
    drain: () => {},
    close: () => {},
  });
  const pools = { pool: (c: { name: string }) => pool(c.name) } as unknown as PoolManager;
  const cm = new ConnectionManager(hcmConfig, {
    stats,
    clusters: new FakeClusterManager([backend, svc]),
    pools,
    routeTable: () => () => table,
    accessLogger: () => null,
    random: () => 0.5,
    runtime: { snapshot: () => ({ getInteger: (k: string, d: number) => opts.runtime?.[k] ?? d }) as unknown as RuntimeSnapshot },
  });
  const base: DownstreamConnectionInfo = { remoteAddress: '10.1.2.3', remotePort: 5000, localAddress: '127.0.0.1', localPort: 10000, listenerName: 'l', filterChainName: '' };
  return {
    cm,
    stats,
    upstreams,
    upstream: (cluster) => upstreams.filter((u) => u.cluster === cluster),
    request: (o = {}) => {
      const c = new Client(o.method ?? 'GET', o.path ?? '/', { host: 'svc.local', ...o.headers }, o.body ?? false, o.protocol);
      new ActiveStream(cm, c, { ...base, ...o.conn }).start();
      return c;
    },
  };
}

/** Lets queued microtasks and immediate callbacks run (async httpCall starts, continuations). */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
