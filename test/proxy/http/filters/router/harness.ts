// Test harness for the router filter: a real ConnectionManager and ActiveStream over a fake downstream, fake
// clusters and a fake pool whose upstream streams the test answers by hand (timers faked by the caller).
import { Duplex } from 'node:stream';
import type { DownstreamStream } from '../../../../../src/proxy/http/downstream.js';
import type { HeaderMap } from '../../../../../src/proxy/router/types.js';
import type { Bootstrap, HttpConnectionManager } from '../../../../../src/proxy/config/types.js';
import type { ConnectionPool, UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../../../../src/proxy/upstream/pool/types.js';
import type { PoolManager } from '../../../../../src/proxy/upstream/pool/pool-manager.js';
import { ConnectionManager } from '../../../../../src/proxy/http/connection-manager.js';
import { ActiveStream } from '../../../../../src/proxy/http/active-stream.js';
import { parseBootstrap } from '../../../../../src/proxy/config/parse-bootstrap.js';
import { compileRouteTable } from '../../../../../src/proxy/router/route-table.js';
import { FakeCluster, FakeClusterManager, FakeStats, fakeHost } from '../../../tcp/fakes.js';

/** The downstream side of one request: what the proxy answered. */
export class FakeDownstream implements DownstreamStream {
  readonly protocol = 'HTTP/1.1' as const;
  readonly rawPath: string;
  readonly authority: string;
  readonly contentLength: number;
  responseStarted = false;
  status = 0;
  responseHeaders: HeaderMap = {};
  body = '';
  ended = false;
  wasReset = false;
  trailers: HeaderMap | undefined;
  private onData: ((c: Buffer) => void) | null = null;
  private onEnd: ((t: HeaderMap | undefined) => void) | null = null;
  private abortCb: (() => void) | null = null;

  constructor(
    readonly method: string,
    path: string,
    readonly headers: HeaderMap,
    readonly hasBody: boolean,
    authority = 'svc',
  ) {
    this.authority = authority;
    this.rawPath = path;
    this.contentLength = -1;
  }
  readBody(onData: (c: Buffer) => void, onEnd: (t: HeaderMap | undefined) => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
  }
  /** The client sends body bytes, then ends. */
  send(chunk: string, end = false): void {
    if (chunk !== '') this.onData!(Buffer.from(chunk));
    if (end) this.onEnd!(undefined);
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
    this.body += chunk.toString();
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
  onAbort(cb: () => void): void {
    this.abortCb = cb;
  }
  /** The client goes away. */
  abort(): void {
    this.abortCb?.();
  }
}

/** One request the router sent upstream; the test answers it. */
export class FakeUpstream implements UpstreamStream {
  body = '';
  ended = false;
  aborted = false;
  constructor(
    readonly host: string,
    readonly head: UpstreamRequestHead,
    readonly handler: UpstreamResponseHandler,
  ) {}
  write(chunk: Buffer): boolean {
    this.body += chunk.toString();
    return true;
  }
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
  onDrain(): void {}
  pauseResponse(): void {}
  resumeResponse(): void {}
  respond(status: number, body = '', headers: HeaderMap = {}): void {
    this.handler.onHeaders(status, headers);
    if (body !== '') this.handler.onData(Buffer.from(body));
    this.handler.onEnd(undefined);
  }
}

export interface RouterRig {
  cm: ConnectionManager;
  /** Raw connections opened for CONNECT tunnels (the upstream end: read what the proxy wrote, push what the target sends). */
  tunnels: PassThroughPair[];
  stats: FakeStats;
  cluster: FakeCluster;
  /** Every upstream request, in order. */
  upstreams: FakeUpstream[];
  request(opts?: { method?: string; path?: string; headers?: HeaderMap; body?: boolean; authority?: string }): FakeDownstream;
}

/** One raw upstream connection: `socket` is what the proxy holds; `written` collects its writes; `send` / `end` act as the target. */
export class PassThroughPair {
  written = '';
  ended = false;
  readonly socket: Duplex;
  constructor() {
    const self = this;
    this.socket = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        self.written += chunk.toString();
        cb();
      },
      final(cb) {
        self.ended = true;
        cb();
      },
    });
  }
  send(data: string): void {
    this.socket.push(Buffer.from(data));
  }
  end(): void {
    this.socket.push(null);
  }
}

/** A rig for one route (`match`, default `{prefix: '/'}`) to cluster "a" (hosts h0, h1), with `route` merged into the route action. */
export function routerRig(route: Record<string, unknown> = {}, hcm: Record<string, unknown> = {}, match: Record<string, unknown> = { prefix: '/' }): RouterRig {
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
                    route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match, route: { cluster: 'a', ...route } }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                    ...hcm,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [{ name: 'a', type: 'STATIC', load_assignment: { cluster_name: 'a', endpoints: [] } }],
    },
  };
  const parsed = parseBootstrap(raw, { baseDir: '.' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const b: Bootstrap = parsed.value;
  const hcmConfig = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager;
  if (hcmConfig.route_specifier.kind !== 'route_config') throw new Error('inline routes expected');
  const table = compileRouteTable(hcmConfig.route_specifier.route_config, { random: () => 0.5 });
  const stats = new FakeStats();
  const cluster = new FakeCluster('a', [fakeHost('10.0.0.1', 80), fakeHost('10.0.0.2', 80)], stats.scope('cluster', 'a'), b.static_resources.clusters[0]);
  const upstreams: FakeUpstream[] = [];
  const pool = (host: string): ConnectionPool => ({
    protocol: 'http/1.1',
    request: (head, handler) => {
      const u = new FakeUpstream(host, head, handler);
      upstreams.push(u);
      return u;
    },
    connectRaw: () => {},
    drain: () => {},
    close: () => {},
  });
  const tunnels: PassThroughPair[] = [];
  const rawPool = (): ConnectionPool => ({
    ...pool('raw'),
    connectRaw: (cb) => {
      const t = new PassThroughPair();
      tunnels.push(t);
      cb(null, t.socket);
    },
  });
  const pools = { pool: (_c: unknown, h: { key: string }) => pool(h.key), rawPool } as unknown as PoolManager;
  const cm = new ConnectionManager(hcmConfig, {
    stats,
    clusters: new FakeClusterManager([cluster]),
    pools,
    routeTable: () => () => table,
    accessLogger: () => null,
    random: () => 0.5,
  });
  const info = { remoteAddress: '127.0.0.1', remotePort: 5000, localAddress: '127.0.0.1', localPort: 10000, listenerName: 'l', filterChainName: '' };
  return {
    cm,
    tunnels,
    stats,
    cluster,
    upstreams,
    request: (o = {}) => {
      const ds = new FakeDownstream(o.method ?? 'GET', o.path ?? '/', { host: o.authority ?? 'svc', ...o.headers }, o.body ?? false, o.authority);
      new ActiveStream(cm, ds, info).start();
      return ds;
    },
  };
}
