// Telemetry: the --prometheus-port server — GET /stats/prometheus with every stat (Envoy + istio_*), merged with the app's own.
import http from 'node:http';
import { formatPrometheus } from './stats-format.js';
import type { StatsSnapshot } from './stats-snapshot.js';
import { portInUseMessage } from '../../common/port-in-use.js';

export interface AppMetrics {
  readonly port: number;
  /** Default /metrics, as Istio's prometheus.io/path. */
  readonly path: string;
}

export interface PrometheusServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly stats: () => Promise<StatsSnapshot>;
  readonly app?: AppMetrics;
  readonly appTimeoutMs?: number;
  readonly appMaxBytes?: number;
}

/** Fetches the app's metrics text from 127.0.0.1; '' on error, timeout or oversize (the proxy's own stats still serve). */
export function fetchAppMetrics(app: AppMetrics, timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: app.port, path: app.path, timeout: timeoutMs }, (res) => {
      if ((res.statusCode ?? 0) !== 200) {
        res.resume();
        return resolve('');
      }
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxBytes) {
          req.destroy();
          resolve('');
        } else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => resolve(''));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

export async function startPrometheusServer(o: PrometheusServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/stats/prometheus') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void (async () => {
      let body = formatPrometheus(await o.stats());
      if (o.app !== undefined) {
        const appText = await fetchAppMetrics(o.app, o.appTimeoutMs ?? 2000, o.appMaxBytes ?? 10 * 1024 * 1024);
        if (appText !== '') body += (body.endsWith('\n') || body === '' ? '' : '\n') + appText;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? portInUseMessage('--prometheus-port', o.port, 'another sidecar') : `--prometheus-port ${o.port}: ${e.message}`)));
    server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : o.port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
