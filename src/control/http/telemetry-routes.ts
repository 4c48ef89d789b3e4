// HTTP API: the mesh's metrics as the control plane gathered them — golden metrics, their history and the service
// graph (GET /api/v1/stats, /stats/history, /graph); admin only (paths, identities and rates describe the whole mesh).
import { parseDuration } from '../../api/duration.js';
import { requireAdmin } from '../auth/credential.js';
import type { MeshMetrics } from '../telemetry/mesh-metrics.js';
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

  router.add('GET', '/api/v1/stats', ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const w = duration(query, 'window', '60s', max());
    return ok({ window: w.text, items: stats(metrics(), kindOf(query.get('by'), 'by'), w.ms, Date.now(), scope(query)) });
  });
  router.add('GET', '/api/v1/stats/history', ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const kind = kindOf(query.get('kind'), 'kind');
    const namespace = query.get('namespace') ?? 'default';
    const name = query.get('name');
    if (name === null || name === '') throw new HttpError(400, '"name" is required');
    const w = duration(query, 'window', '15m', max());
    const step = duration(query, 'step', '10s', max());
    if (w.ms / step.ms > 2000) throw new HttpError(400, `window/step gives more than 2000 points; use a longer step`);
    return ok({ kind, namespace, name, step: step.text, points: history(metrics(), kind, namespace, name, w.ms, step.ms, Date.now()) });
  });
  router.add('GET', '/api/v1/graph', ({ req, query }) => {
    requireAdmin(req, deps.auth.adminToken);
    const w = duration(query, 'window', '60s', max());
    const now = Date.now();
    return ok({ window: w.text, generatedAt: now, ...graph(metrics(), w.ms, now, query.get('namespace') ?? undefined) });
  });
}
