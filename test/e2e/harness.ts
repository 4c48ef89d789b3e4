// E2E harness: starts real `trellis proxy` processes and small upstream servers on 127.0.0.1, and cleans them up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, next to this compiled file's dist/test/e2e/. */
export const CLI = path.resolve(here, '../../src/cli/main.js');

export interface RunningProxy {
  proc: ChildProcess;
  listeners: Map<string, number>;
  adminPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `trellis proxy -c` on a bootstrap object (listeners/admin should use port 0). */
export async function startProxy(bootstrap: object, extraArgs: string[] = []): Promise<RunningProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-e2e-'));
  const file = path.join(dir, 'envoy.yaml');
  fs.writeFileSync(file, stringify(bootstrap));
  const proc = spawn(process.execPath, [CLI, 'proxy', '-c', file, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const listeners = new Map<string, number>();
  let adminPort = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start:\n${out}`)), 15000);
    const check = (): void => {
      for (const m of out.matchAll(/^listener (\S+) listening on [\d.]+:(\d+)$/gm)) listeners.set(m[1], Number(m[2]));
      const a = /^admin listening on [\d.]+:(\d+)$/m.exec(out);
      if (a !== null) {
        adminPort = Number(a[1]);
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}:\n${out}`));
    });
  });
  proc.removeAllListeners('exit');
  return {
    proc,
    listeners,
    adminPort,
    output: () => out,
    stop: () => stopProcess(proc).finally(() => fs.rmSync(dir, { recursive: true, force: true })),
  };
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export interface Upstream {
  port: number;
  name: string;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
  server: http.Server;
}

/** An HTTP upstream answering `name` (or via a custom handler); it records requests it saw. */
export async function startUpstream(name: string, handler?: http.RequestListener): Promise<Upstream> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    if (handler) return handler(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('x-upstream', name);
      res.end(`${name} ${req.method} ${req.url} ${Buffer.concat(chunks).length}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    name,
    requests,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(port: number, opts: { path?: string; method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers: { host: opts.host ?? 'example.com', ...opts.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function adminGet(port: number, p: string, method = 'GET'): Promise<Reply> {
  return request(port, { path: p, method, host: '127.0.0.1' });
}

/** Static cluster in Envoy shape pointing at local upstream ports. */
export function staticCluster(name: string, ports: number[], extra: object = {}): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }],
    },
    ...extra,
  };
}

/** A bootstrap with one HTTP listener (port 0) and the given route config, clusters and filters. */
export function httpBootstrap(opts: { routeConfig: object; clusters: object[]; httpFilters?: object[]; hcm?: object; listener?: object }): object {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'ingress',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress_http',
                    route_config: opts.routeConfig,
                    http_filters: opts.httpFilters ?? [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                    ...opts.hcm,
                  },
                },
              ],
            },
          ],
          ...opts.listener,
        },
      ],
      clusters: opts.clusters,
    },
  };
}

// ---- helpers for the resilience and load-balancing suites (appended)

/** Polls `check` until it returns true (or a truthy value), failing after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition', everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh path in a new temp directory (for access logs). */
export function tempFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-e2e-')), name);
}

/** Lines of a file written so far ([] while it does not exist). */
export function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

/** An HCM access_log entry writing `format` lines to `file` (envoy.access_loggers.file). */
export function fileAccessLog(file: string, format: string): object {
  return {
    name: 'envoy.access_loggers.file',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
      path: file,
      log_format: { text_format_source: { inline_string: format } },
    },
  };
}

/** One counter or gauge from the proxy's admin /stats (Envoy's `name: value` text); 0 when it is not there yet. */
export async function adminStat(adminPort: number, name: string): Promise<number> {
  const body = (await adminGet(adminPort, '/stats')).body;
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(body);
  return m === null ? 0 : Number(m[1]);
}

/**
 * The value of one Prometheus sample from the proxy's /stats/prometheus, or undefined when absent.
 * `labels` are matched as a subset (e.g. { envoy_cluster_name: 'x' }).
 */
export async function promValue(adminPort: number, metric: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const body = (await adminGet(adminPort, '/stats/prometheus')).body;
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== metric) continue;
    const have = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(l[1], l[2]);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

/** Runs `n` requests with at most `concurrency` in flight; replies in issue order. */
export async function requestMany(n: number, concurrency: number, make: (i: number) => Promise<Reply>): Promise<Reply[]> {
  const out: Reply[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return out;
}

/** A 127.0.0.1 port that nothing listens on (bound on port 0, then released). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Counts replies by the x-upstream response header. */
export function countBy(replies: readonly Reply[], header = 'x-upstream'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) {
    const k = String(r.headers[header]);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

// ---- protocol helpers (protocols.test.ts, grpc.test.ts)

export const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };

/** One listener (port 0) whose only filter is an http_connection_manager with the given route config and extra HCM fields. */
export function hcmListener(name: string, opts: { routeConfig: object; httpFilters?: object[]; hcm?: object; listener?: object }): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              route_config: opts.routeConfig,
              http_filters: opts.httpFilters ?? [ROUTER_FILTER],
              ...opts.hcm,
            },
          },
        ],
      },
    ],
    ...opts.listener,
  };
}

/** A bootstrap with several listeners and clusters. */
export function multiBootstrap(listeners: object[], clusters: object[]): object {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { listeners, clusters },
  };
}

/** Cluster protocol options: `{ explicit_http_config: { http2_protocol_options: {} } }` or `{ use_downstream_protocol_config: {} }`. */
export function httpProtocolOptions(options: object): object {
  return {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        ...options,
      },
    },
  };
}

export const H2_UPSTREAM = httpProtocolOptions({ explicit_http_config: { http2_protocol_options: {} } });

/**
 * Writes `data` on a raw TCP socket (then sends FIN if `halfClose`) and collects what comes back until the peer
 * closes, `done(received)` says enough, or `timeoutMs` passes. Resolves with everything received and whether the peer closed.
 */
export function rawExchange(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  opts: { done?: (received: string) => boolean; timeoutMs?: number; halfClose?: boolean } = {},
): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      s.destroy();
      resolve({ data: got, closed });
    };
    const t = setTimeout(() => finish(false), opts.timeoutMs ?? 3000);
    s.on('connect', () => {
      for (const d of Array.isArray(data) ? data : [data]) s.write(d);
      if (opts.halfClose === true) s.end();
    });
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (opts.done?.(got)) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(t);
        reject(e);
      }
    });
  });
}

export interface H2Upstream {
  port: number;
  server: http2.Http2Server;
  close(): Promise<void>;
}

/** A cleartext HTTP/2 (prior knowledge) upstream. */
export async function startH2Upstream(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void): Promise<H2Upstream> {
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** One port serving HTTP/1.1 and HTTP/2 prior knowledge (decided by the first bytes), as a USE_DOWNSTREAM upstream needs. */
export async function startDualUpstream(handler: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void): Promise<H2Upstream> {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.once('readable', () => {
      const first = sock.read() as Buffer | null;
      if (first === null) return;
      sock.unshift(first);
      (first.toString('latin1', 0, 3) === 'PRI' ? h2 : h1).emit('connection', sock);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    server: h2,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TcpGreeter {
  port: number;
  /** Everything the server read, in order (latin1). */
  seen(): string;
  close(): Promise<void>;
}

/** A TCP server that greets each connection with `name\n` (it speaks first, as databases do), then echoes. */
export async function tcpGreeter(name: string): Promise<TcpGreeter> {
  const sockets = new Set<net.Socket>();
  let seen = '';
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => (seen += d.toString('latin1')));
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen: () => seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends `text` over TCP to `port` and resolves everything that came back until the echo (or '' when refused). */
export function tcpExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let data = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.endsWith(text)) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(data);
    });
  });
}
