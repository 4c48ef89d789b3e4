// Benchmark: a small secured mesh for the benchmarks — a control plane, an app, and sidecars that join it with a
// token and the mesh root, as users run them; everything started here is stopped by close().
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startTrellis, type Child } from './child-process.js';
import { httpCall } from './http-call.js';

export interface BenchSidecar {
  child: Child;
  outbound: number;
  admin: number;
  inbound?: number;
}

export interface BenchMesh {
  dataDir: string;
  httpPort: number;
  xdsPort: number;
  rootsPem: string;
  appPort: number;
  apply(text: string): Promise<void>;
  remove(keys: string[]): Promise<void>;
  tokenFor(serviceAccount: string): Promise<string>;
  /** A sidecar in namespace `bench` for service `name` (its app on `extra`'s --app-port, if any); `nodeArgs` go to node. */
  sidecar(name: string, extra: string[], nodeArgs?: string[]): Promise<BenchSidecar>;
  /** Polls until the client sidecar answers 200 for `host`. */
  serving(client: BenchSidecar, host: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchMesh(prefix: string, controlArgs: string[] = []): Promise<BenchMesh> {
  const children: Child[] = [];
  const app = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok\n'));
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `trellis-bench-${prefix}-`));
  const appPort = await new Promise<number>((r) => app.listen(0, '127.0.0.1', () => r((app.address() as { port: number }).port)));
  const close = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.stop()));
    app.closeAllConnections();
    app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const control = startTrellis('control', ['control', '--data-dir', dataDir, '--xds-tls-port', '0', '--http-port', '0', ...controlArgs]);
    children.push(control);
    const xdsPort = Number(await control.waitFor(/^xds-tls listening on 127\.0\.0\.1:(\d+)$/m, 15_000));
    const httpPort = Number(await control.waitFor(/^http listening on 127\.0\.0\.1:(\d+)$/m, 15_000));
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()}` };
    const post = async (p: string, body: unknown): Promise<string> => {
      const r = await httpCall(httpPort, 'POST', p, admin, JSON.stringify(body));
      if (r.status !== 200) throw new Error(`${p} failed: ${r.status} ${r.body}`);
      return r.body;
    };
    const rootsPem = (JSON.parse((await httpCall(httpPort, 'GET', '/api/v1/ca/root', {}, '')).body) as { rootsPem: string }).rootsPem;
    const rootFile = path.join(dataDir, 'root.pem');
    fs.writeFileSync(rootFile, rootsPem);
    const tokenFor = async (sa: string): Promise<string> => (JSON.parse(await post('/api/v1/tokens', { namespace: 'bench', serviceAccount: sa })) as { token: string }).token;
    return {
      dataDir,
      httpPort,
      xdsPort,
      rootsPem,
      appPort,
      apply: async (text) => void (await post('/api/v1/apply', { text, author: 'bench' })),
      remove: async (keys) => void (await post('/api/v1/delete', { keys, author: 'bench' })),
      tokenFor,
      async sidecar(name, extra, nodeArgs = []) {
        const tokenFile = path.join(dataDir, `${name}.token`);
        fs.writeFileSync(tokenFile, await tokenFor(name), { mode: 0o600 });
        const child = startTrellis(name, ['proxy', '--control-plane', `127.0.0.1:${xdsPort}`, '--ca-root', rootFile, '--token-file', tokenFile, '--namespace', 'bench', '--service-account', name, '--service', name, '--labels', `app=${name}`, '--service-port', '8080', '--outbound-port', '0', '--inbound-port', '0', '--admin-port', '0', '--prometheus-port', '0', ...extra], nodeArgs);
        children.push(child);
        const outbound = Number(await child.waitFor(/^listener outbound listening on [\d.]+:(\d+)$/m, 15_000));
        const adminPort = Number(await child.waitFor(/^admin listening on [\d.]+:(\d+)$/m, 15_000));
        const inbound = extra.includes('--app-port') ? Number(await child.waitFor(/^listener inbound listening on [\d.]+:(\d+)$/m, 15_000)) : undefined;
        return { child, outbound, admin: adminPort, ...(inbound !== undefined ? { inbound } : {}) };
      },
      async serving(client, host) {
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          const r = await httpCall(client.outbound, 'GET', '/', { host }).catch(() => ({ status: 0, body: '' }));
          if (r.status === 200) return;
          await new Promise((res) => setTimeout(res, 50));
        }
        throw new Error(`the client sidecar does not reach ${host}`);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
