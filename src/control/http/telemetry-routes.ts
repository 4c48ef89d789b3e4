// HTTP API: the mesh's metrics as the control plane gathered them — golden metrics, their history and the service
// graph (GET /api/v1/stats, /stats/history, /graph); admin only (paths, identities and rates describe the whole mesh).
// Replicas sharing a store each scrape their own proxies: the replica asked merges every replica's export
// (GET /api/v1/stats/export) and says which replicas answered.
import { parseDuration } from '../../api/duration.js';
import { requireAdmin } from '../auth/credential.js';
import { askPeers } from '../cluster/peer-api.js';
import type { MeshMetrics } from '../telemetry/mesh-metrics.js';
import { exportMetrics, MergedMetrics, parseMetricsExport } from '../telemetry/metrics-export.js';
import { graph, history, stats } from '../telemetry/queries.js';
import type { ApiDeps } from './deps.js';
import { HttpError, ok } from './io.js';
import type { Router } from './router.js';

function duration(q: URLSearchParams, key: string, dflt: string, maxMs: number): { ms: number; text: string } {
  const text = q.get(key) ?? dflt;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new HttpError(400, `"${key}" must be a duration such as 60s or 15m, got ${JSON.stringify(text)}`);
  if (ms > maxMs) throw new HttpError(400, `"${key}" ${text} is longer than the metrics kept (--metrics-retention ${maxMs / 1000}s)`);
  return { ms, text };
}

function kindOf(v: string | null, key: string): 'service' | 'workload' {
  const k = v ?? 'service';
  if (k !== 'service' && k !== 'workload') throw new HttpError(400, `"${key}" must be service or workload, got ${JSON.stringify(k)}`);
  return k;
}

export function addTelemetryRoutes(router: Router, deps: ApiDeps): void {
  const metrics = (): MeshMetrics => {
    if (deps.metrics === undefined) throw new HttpError(404, 'the control plane gathers no metrics (trellis control --metrics-interval 0)');
    return deps.metrics;
  };
  const max = (): number => metrics().opts.retentionMs;
  const scope = (q: URLSearchParams): { namespace?: string; name?: string } => ({
    ...(q.get('namespace') ? { namespace: q.get('namespace')! } : {}),
    ...(q.get('name') ? { name: q.get('name')! } : {}),
  });

  /** This replica's metrics, merged with every other replica's over the last `windowMs` when they share a store. */
  const meshView = async (windowMs: number): Promise<{ m: MeshMetrics; replicas?: { answered: string[]; unreachable: { replica: string; error: string }[] } }> => {
    const local = metrics();
    const r = deps.replicas;
    if (r === undefined) return { m: local };
    const self = r.self() ?? 'this replica';
    const peers = await r.peers().catch(() => []);
    if (peers.length === 0) return { m: local, replicas: { answered: [self], unreachable: [] } };
    const asked = await askPeers(peers, `/api/v1/stats/export?window=${Math.ceil(windowMs / 1000)}s`, r.token, parseMetricsExport);
    const m = new MergedMetrics(local.opts, [exportMetrics(local, windowMs, Date.now()), ...asked.answers.map((a) => a.body)]);
    return { m, replicas: { answered: [self, ...asked.answers.map((a) => a.replica)].sort(), unreachable: asked.unreachable } };
  };

  router.add('GET', '/api/v1/stats/export', ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const w = duration(query, 'window', '60s', max());
    return ok(exportMetrics(metrics(), w.ms, Date.now()));
  });
  router.add('GET', '/api/v1/stats', async ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const w = duration(query, 'window', '60s', max());
    const by = kindOf(query.get('by'), 'by');
    const { m, replicas } = await meshView(w.ms);
    return ok({ window: w.text, items: stats(m, by, w.ms, Date.now(), scope(query)), ...(replicas !== undefined ? { replicas } : {}) });
  });
  router.add('GET', '/api/v1/stats/history', async ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const kind = kindOf(query.get('kind'), 'kind');
    const namespace = query.get('namespace') ?? 'default';
    const name = query.get('name');
    if (name === null || name === '') throw new HttpError(400, '"name" is required');
    const w = duration(query, 'window', '15m', max());
    const step = duration(query, 'step', '10s', max());
    if (w.ms / step.ms > 2000) throw new HttpError(400, `window/step gives more than 2000 points; use a longer step`);
    const { m, replicas } = await meshView(w.ms);
    return ok({ kind, namespace, name, step: step.text, points: history(m, kind, namespace, name, w.ms, step.ms, Date.now()), ...(replicas !== undefined ? { replicas } : {}) });
  });
  router.add('GET', '/api/v1/graph', async ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const w = duration(query, 'window', '60s', max());
    const { m, replicas } = await meshView(w.ms);
    const now = Date.now();
    return ok({ window: w.text, generatedAt: now, ...graph(m, w.ms, now, query.get('namespace') ?? undefined), ...(replicas !== undefined ? { replicas } : {}) });
  });
}
