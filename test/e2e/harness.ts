// E2E harness: starts real `trellis proxy` processes and small upstream servers on 127.0.0.1, and cleans them up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
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
