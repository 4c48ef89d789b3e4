// Admin: the Envoy-compatible admin HTTP server (/stats, /stats/prometheus, /clusters, /server_info, /ready, /quitquitquit …).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessLog } from '../config/types.js';
import { compileAccessLogs } from '../telemetry/access-log.js';
import { serverStatsSnapshot, withServerStats } from '../telemetry/server-stats.js';
import { formatPrometheus, formatStatsJson, formatStatsText, selectStats, type StatsQuery } from '../telemetry/stats-format.js';
import type { StatsSnapshot } from '../telemetry/stats-snapshot.js';
import { clustersJson, formatClustersText } from './clusters-format.js';
import type { ClusterStatus } from './cluster-status.js';
import { ServerStateTracker, durationSeconds, serverInfoBody } from './server-state.js';
import { toJson } from './to-json.js';
import { runtimeEndpoints, type RuntimeAdmin } from './runtime-endpoints.js';
import { Re2 } from '../../common/re2.js';
import { bindNamed } from '../../common/port-in-use.js';

export { clusterStatusFrom, type ClusterStatus, type HostStatus } from './cluster-status.js';

export interface AdminSource {
  stats(): Promise<StatsSnapshot>;
  clusters(): ClusterStatus[] | Promise<ClusterStatus[]>;
  configDump(): unknown;
  /** Envoy admin.v3.ServerInfo-shaped object (version, state, uptime_current_epoch, command_line_options, node…). */
  serverInfo(): object;
  ready(): boolean;
  quit(): Promise<void>;
  /** Told when /healthcheck/fail or /healthcheck/ok flips, so health-check filters can follow. */
  setHealthCheckFailed?(failed: boolean): void;
  /** Envoy's layered runtime: /runtime and /runtime_modify. */
  runtime?: RuntimeAdmin;
}

export interface AdminServerOptions {
  address: string;
  port: number;
  source: AdminSource;
  /** bootstrap.admin.access_log */
  accessLog?: AccessLog[];
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  type: string;
  body: string;
  after?: () => void;
}

export interface Endpoint {
  help: string;
  /** Mutating endpoints require POST, as in Envoy. */
  post: boolean;
  run(q: URLSearchParams): Reply | Promise<Reply>;
}

const TEXT = 'text/plain; charset=UTF-8';
const JSON_TYPE = 'application/json';
const PROM = 'text/plain; version=0.0.4';

const text = (body: string, status = 200): Reply => ({ status, type: TEXT, body });
const json = (v: unknown): Reply => ({ status: 200, type: JSON_TYPE, body: `${toJson(v)}\n` });

function statsQuery(q: URLSearchParams): StatsQuery | string {
  const out: StatsQuery = { usedOnly: q.has('usedonly') };
  const f = q.get('filter');
  if (f !== null && f !== '') {
    // RE2, as in Envoy: a user's pattern must not be able to stall the proxy's one thread.
    const re = Re2.compile(f);
    if (typeof re === 'string') return `${re}\n`;
    out.filter = re;
  }
  return out;
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const { source } = opts;
  const startedAt = Date.now();
  const tracker = new ServerStateTracker(() => source.ready());
  const accessLog = compileAccessLogs(opts.accessLog ?? []);

  const serverInfo = (): Record<string, unknown> => {
    const info = source.serverInfo();
    const reported = (info as { state?: unknown }).state;
    return serverInfoBody(info, tracker.state(reported), startedAt, Date.now());
  };

  const statsWithServer = async (): Promise<StatsSnapshot> => {
    const snap = await source.stats();
    const info = serverInfo();
    const now = Date.now();
    const up = durationSeconds(info.uptime_current_epoch) ?? 0;
    const mem = process.memoryUsage();
    const server = serverStatsSnapshot({
      startTimeMs: now - up * 1000,
      nowMs: now,
      state: tracker.state(info.state),
      concurrency: (info.command_line_options as { concurrency: number }).concurrency,
      version: String(info.version),
      memory: { heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, rss: mem.rss },
    });
    return withServerStats(snap, server);
  };

  const prometheus = async (q: URLSearchParams): Promise<Reply> => {
    const sq = statsQuery(q);
    if (typeof sq === 'string') return text(sq, 400);
    return { status: 200, type: PROM, body: formatPrometheus(selectStats(await statsWithServer(), sq)) };
  };

  const setHc = (failed: boolean): Reply => {
    tracker.healthCheckFailed = failed;
    source.setHealthCheckFailed?.(failed);
    return text('OK\n');
  };

  const endpoints: Record<string, Endpoint> = {
    '/': { help: 'print out list of admin commands', post: false, run: () => text(help()) },
    '/help': { help: 'print out list of admin commands', post: false, run: () => text(help()) },
    '/ready': {
      help: 'print server state, return 200 if LIVE, otherwise return 503',
      post: false,
      run: () => {
        const state = tracker.state((source.serverInfo() as { state?: unknown }).state);
        return text(`${state}\n`, state === 'LIVE' ? 200 : 503);
      },
    },
    '/server_info': { help: 'print server version/status information', post: false, run: () => json(serverInfo()) },
    '/config_dump': { help: 'dump current Trellis configs', post: false, run: () => json(source.configDump()) },
    '/clusters': {
      help: 'upstream cluster status (?format=json)',
      post: false,
      run: async (q) => {
        const cs = await source.clusters();
        return q.get('format') === 'json' ? json(clustersJson(cs)) : text(formatClustersText(cs));
      },
    },
    '/stats': {
      help: 'print server stats (?format=json|prometheus, ?filter=regex, ?usedonly)',
      post: false,
      run: async (q) => {
        const format = q.get('format');
        if (format === 'prometheus') return prometheus(q);
        const sq = statsQuery(q);
        if (typeof sq === 'string') return text(sq, 400);
        const snap = selectStats(await statsWithServer(), sq);
        if (format === 'json') return { status: 200, type: JSON_TYPE, body: formatStatsJson(snap) };
        return text(formatStatsText(snap));
      },
    },
    '/stats/prometheus': { help: 'print server stats in prometheus format', post: false, run: prometheus },
    '/memory': {
      help: 'print current allocation/heap usage',
      post: false,
      run: () => {
        const m = process.memoryUsage();
        // uint64 fields are strings in proto3 JSON, as Envoy prints them.
        return json({
          allocated: String(m.heapUsed),
          heap_size: String(m.heapTotal),
          pageheap_unmapped: '0',
          pageheap_free: '0',
          total_thread_cache: '0',
          total_physical_bytes: String(m.rss),
        });
      },
    },
    '/healthcheck/fail': { help: 'cause the server to fail health checks', post: true, run: () => setHc(true) },
    '/healthcheck/ok': { help: 'cause the server to pass health checks', post: true, run: () => setHc(false) },
    ...(source.runtime !== undefined ? runtimeEndpoints(source.runtime) : {}),
    '/quitquitquit': {
      help: 'exit the server',
      post: true,
      run: () => ({ ...text('OK\n'), after: () => void source.quit() }),
    },
  };

  function help(): string {
    const lines = Object.entries(endpoints)
      .filter(([p]) => p !== '/help')
      .map(([p, e]) => `  ${p}: ${e.help}${e.post ? ' (POST)' : ''}`);
    return `admin commands are:\n${lines.join('\n')}\n`;
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const ep = Object.hasOwn(endpoints, url.pathname) ? endpoints[url.pathname] : undefined;
    let reply: Reply;
    const method = req.method ?? 'GET';
    if (ep === undefined) reply = text(`invalid path. admin commands are:\n${help()}`, 404);
    else if (ep.post && method !== 'POST') reply = text(`Method ${method} not allowed, POST required.\n`, 405);
    else {
      try {
        reply = await ep.run(url.searchParams);
      } catch (err) {
        reply = text(`admin: ${url.pathname} failed: ${err instanceof Error ? err.message : String(err)}\n`, 500);
      }
    }
    const body = Buffer.from(reply.body);
    res.writeHead(reply.status, {
      'content-type': reply.type,
      'content-length': body.length,
      'cache-control': 'no-cache, max-age=0',
      'x-content-type-options': 'nosniff',
    });
    if (reply.after !== undefined) res.once('finish', reply.after);
    res.end(body);
    if (accessLog.enabled) logRequest(req, url, reply.status, body.length);
  };

  const logRequest = (req: IncomingMessage, url: URL, status: number, bytesSent: number): void => {
    const s = req.socket;
    accessLog.log({
      startTime: Date.now(),
      durationMs: 0,
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      authority: req.headers.host ?? '',
      protocol: `HTTP/${req.httpVersion}`,
      responseCode: status,
      responseFlags: '-',
      bytesReceived: 0,
      bytesSent,
      upstreamHost: '-',
      upstreamCluster: '-',
      upstreamServiceTimeMs: undefined,
      downstreamRemoteAddress: `${s.remoteAddress ?? ''}:${s.remotePort ?? 0}`,
      downstreamLocalAddress: `${s.localAddress ?? ''}:${s.localPort ?? 0}`,
      requestHeaders: req.headers,
      responseHeaders: {},
      routeName: '',
      requestId: '',
    });
  };

  const server = createServer((req, res) => {
    // Drain any request body first (POSTs may carry one); the admin API reads only the query.
    req.resume();
    void handle(req, res);
  });

  // the admin port is --admin-port (or admin.address, which --admin-port overrides): a taken one is named by that flag
  await bindNamed(
    '--admin-port',
    opts.port,
    'another sidecar',
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    }),
  );

  return {
    port: (server.address() as AddressInfo).port,
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await accessLog.close();
    },
  };
}
