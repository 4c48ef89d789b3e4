// HTTP API: the server on --http-port — routes, writes authenticated (admin token) and browser-safe, JSON errors (400 malformed, 404 unknown), listen/close.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkWriteRequest, isWriteMethod } from '../auth/write-guard.js';
import { requireAdmin, type Identity } from '../auth/credential.js';
import { scrubKeys } from '../../common/scrub-keys.js';
import { addConfigRoutes } from './config-routes.js';
import type { ApiDeps } from './deps.js';
import { HttpError, errorReply, send, type Reply } from './io.js';
import { isStoreError } from '../store/errors.js';
import { Router } from './router.js';
import { withSecretsHidden } from './secret-routes.js';
import { addStatusRoutes } from './status-routes.js';
import { addTokenRoutes } from './token-routes.js';
import { addCaRoutes } from './ca-routes.js';
import { addTapRoutes } from './tap-routes.js';
import { addTelemetryRoutes } from './telemetry-routes.js';
import { DashboardFiles } from '../dashboard/static.js';

/** Every route of the API (one place, so a test can sweep them all). */
export function buildRouter(deps: ApiDeps): Router {
  const router = new Router();
  addConfigRoutes(router, deps);
  addStatusRoutes(router, deps);
  addTokenRoutes(router, deps);
  addCaRoutes(router, deps);
  addTelemetryRoutes(router, deps);
  addTapRoutes(router, deps);
  return router;
}

export class ApiServer {
  private readonly router: Router;
  private readonly server: http.Server;
  /** The web UI's static files (`/`, `/assets/*`, `/vendor/*`): open to anyone, like a login page; its API calls carry the token. */
  private readonly dashboard: DashboardFiles;

  constructor(
    private readonly deps: ApiDeps,
    private readonly log: (msg: string) => void = () => {},
    dashboard?: DashboardFiles,
  ) {
    this.router = buildRouter(deps);
    this.dashboard = dashboard ?? new DashboardFiles();
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  /** Resolves with the bound port (0 = pick one). */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Browser-safe request shape first (so a page cannot even probe the token), then the admin credential. */
  private authenticateWrite(req: http.IncomingMessage): Identity {
    checkWriteRequest(req);
    return requireAdmin(req, this.deps.auth.adminToken);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (this.dashboard.serve(req, res, url.pathname)) return;
      const { handler, params, readOnly } = this.router.match(req.method ?? 'GET', url.pathname);
      const identity = isWriteMethod(req.method) && !readOnly ? this.authenticateWrite(req) : undefined;
      reply = await handler({ req, params, query: url.searchParams, ...(identity !== undefined ? { identity } : {}) });
    } catch (e) {
      if (e instanceof HttpError) reply = errorReply(e);
      else if (isStoreError(e, 'UNAVAILABLE')) reply = errorReply(new HttpError(503, e.message));
      else {
        this.log(`http: ${req.method} ${req.url} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        reply = { status: 500, json: { error: scrubKeys(e instanceof Error ? e.message : String(e)) } };
      }
    }
    // a body the handler did not read must not hang the connection
    if (!req.complete) req.resume();
    send(res, withSecretsHidden(reply));
  }
}
