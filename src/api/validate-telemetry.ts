// API stage: Telemetry rules beyond shape (Istio's webhook): one tracing provider, tag overrides well formed, filters parseable.
import { parseDimension } from '../common/istio-dimension.js';
import { celExpressionError } from '../common/cel.js';
import { asObject, checkLabels, joinPath, type Report } from './rules.js';

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function validateTelemetry(spec: Record<string, unknown>, report: Report): void {
  checkLabels(asObject(spec.selector)?.matchLabels, 'spec.selector.matchLabels', report);
  list(spec.tracing).forEach((t, i) => {
    const providers = list(asObject(t)?.providers);
    // Istio: "Only one provider is supported" per tracing entry
    if (providers.length > 1) report(joinPath(joinPath('spec.tracing', i), 'providers'), `at most one tracing provider may be named, got ${providers.length}`);
  });
  list(spec.accessLogging).forEach((a, i) => {
    const expression = asObject(asObject(a)?.filter)?.expression;
    if (typeof expression !== 'string') return;
    // the sidecars evaluate it as Envoy's CEL access log filter: refuse here what they could not run
    const why = celExpressionError(expression);
    if (why !== undefined) report(joinPath(joinPath('spec.accessLogging', i), 'filter.expression'), why);
  });
  list(spec.metrics).forEach((m, i) => {
    list(asObject(m)?.overrides).forEach((o, j) => {
      const tags = asObject(asObject(o)?.tagOverrides) ?? {};
      for (const [name, raw] of Object.entries(tags)) {
        const at = joinPath(joinPath(joinPath(joinPath('spec.metrics', i), 'overrides'), j), `tagOverrides.${name}`);
        const t = asObject(raw) ?? {};
        const op = t.operation ?? 'UPSERT';
        if (op === 'UPSERT' && (typeof t.value !== 'string' || t.value === '')) report(joinPath(at, 'value'), 'UPSERT needs a value expression');
        else if (op === 'UPSERT' && typeof t.value === 'string') {
          const d = parseDimension(t.value);
          if (typeof d === 'string') report(joinPath(at, 'value'), d);
        }
        if (op === 'REMOVE' && t.value !== undefined) report(joinPath(at, 'value'), 'REMOVE takes no value');
      }
    });
  });
}
