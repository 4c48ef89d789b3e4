// Translate stage: the Telemetry that applies to one proxy — mesh defaults, then the root namespace's, the namespace's and
// the workload's Telemetry resources (Istio's inheritance, most specific last) — per mode (CLIENT = outbound, SERVER = inbound).
import { parseDuration } from '../../api/duration.js';
import { isAccessLogProvider, isTracingProvider } from '../../api/telemetry-providers.js';
import type {
  AccessLogProvider, CustomTag, FileAccessLogProvider, MetricOverride, Telemetry, TelemetryProvider, TracingProvider, WorkloadMode, ZipkinProvider,
} from '../../api/telemetry-types.js';
import type { ProxyNode, Snapshot } from '../model/types.js';

export type TelemetryMode = 'CLIENT' | 'SERVER';

export interface ResolvedTracing {
  provider: TracingProvider;
  samplingPercent: number;
  customTags: Readonly<Record<string, CustomTag>>;
  disableSpanReporting: boolean;
  useRequestIdForTraceSampling: boolean;
}

export interface ResolvedAccessLog {
  provider: AccessLogProvider;
  /** CEL, as written in the Telemetry resource. */
  filterExpression?: string;
}

export interface ResolvedMetrics {
  /** A prometheus provider is in effect for this mode (Istio's default). */
  enabled: boolean;
  /** The overrides that apply to this mode, in order (later ones win). */
  overrides: readonly MetricOverride[];
  reportingIntervalMs?: number;
}

export interface ResolvedTelemetry {
  /** undefined = no tracing for this mode. */
  tracing(mode: TelemetryMode): ResolvedTracing | undefined;
  /** [] = no access logs for this mode. */
  accessLogs(mode: TelemetryMode): readonly ResolvedAccessLog[];
  metrics(mode: TelemetryMode): ResolvedMetrics;
}

/** The implicit providers Istio derives from MeshConfig fields. */
export const MESH_ACCESS_LOG_PROVIDER = 'envoy';
export const MESH_ZIPKIN_PROVIDER = 'zipkin';
const BUILTIN_PROMETHEUS: TelemetryProvider = { name: 'prometheus', kind: 'prometheus' };

const applies = (m: WorkloadMode | undefined, mode: TelemetryMode): boolean => m === undefined || m === 'CLIENT_AND_SERVER' || m === mode;

function selects(t: Telemetry, proxy: ProxyNode): boolean {
  const want = t.spec.selector?.matchLabels ?? {};
  return Object.entries(want).every(([k, v]) => proxy.labels[k] === v);
}

/** Mesh (root namespace, no selector), namespace (no selector), workload (selector): the first of each by name, as Istio picks the oldest. */
function layers(snap: Snapshot, proxy: ProxyNode): Telemetry[] {
  const root = snap.rootNamespace;
  const noSelector = (t: Telemetry): boolean => Object.keys(t.spec.selector?.matchLabels ?? {}).length === 0;
  const mesh = snap.telemetries.find((t) => t.metadata.namespace === root && noSelector(t));
  const ns = proxy.namespace === root ? undefined : snap.telemetries.find((t) => t.metadata.namespace === proxy.namespace && noSelector(t));
  const wl = snap.telemetries.find((t) => t.metadata.namespace === proxy.namespace && !noSelector(t) && selects(t, proxy));
  return [mesh, ns, wl].filter((t): t is Telemetry => t !== undefined);
}

/** Every provider the mesh knows: extensionProviders plus the implicit ones (accessLogFile, the zipkin address, prometheus). */
function providers(snap: Snapshot): Map<string, TelemetryProvider> {
  const out = new Map<string, TelemetryProvider>();
  out.set(BUILTIN_PROMETHEUS.name, BUILTIN_PROMETHEUS);
  const t = snap.mesh.telemetry;
  if (t.accessLogFile !== undefined) out.set(MESH_ACCESS_LOG_PROVIDER, meshFileProvider(t.accessLogFile, t.accessLogEncoding, t.accessLogFormat));
  if (t.tracing.zipkinAddress !== undefined) {
    const z: ZipkinProvider = { name: MESH_ZIPKIN_PROVIDER, kind: 'zipkin', service: qualify(t.tracing.zipkinAddress.host), port: t.tracing.zipkinAddress.port, maxTagLength: t.tracing.maxPathTagLength ?? 256, enable64bitTraceId: false, path: '/api/v2/spans' };
    out.set(z.name, z);
  }
  for (const p of snap.mesh.telemetryProviders) out.set(p.name, p);
  return out;
}

/** `zipkin.istio-system` (Istio's address form) → the service FQDN. */
function qualify(host: string): string {
  return host.split('.').length === 2 ? `${host}.svc.cluster.local` : host;
}

function meshFileProvider(path: string, encoding: 'TEXT' | 'JSON', format: string | undefined): FileAccessLogProvider {
  const base: FileAccessLogProvider = { name: MESH_ACCESS_LOG_PROVIDER, kind: 'envoyFileAccessLog', path, encoding };
  if (format === undefined) return base;
  if (encoding === 'JSON') {
    try {
      const labels: unknown = JSON.parse(format);
      if (typeof labels === 'object' && labels !== null && !Array.isArray(labels)) return { ...base, format: { labels: labels as Record<string, unknown> } };
    } catch {
      // not JSON: used as a text format, as Envoy would print it
    }
  }
  return { ...base, format: { text: format } };
}

function tracing(snap: Snapshot, all: Map<string, TelemetryProvider>, stack: readonly Telemetry[], mode: TelemetryMode): ResolvedTracing | undefined {
  const mesh = snap.mesh.telemetry;
  let names: readonly string[] = mesh.defaultProviders.tracing.length > 0 ? mesh.defaultProviders.tracing : mesh.enableTracing && mesh.tracing.zipkinAddress !== undefined ? [MESH_ZIPKIN_PROVIDER] : [];
  let sampling = mesh.tracing.sampling;
  let tags: Record<string, CustomTag> = { ...mesh.tracing.customTags };
  let disable = false;
  let useRequestId = true;
  for (const t of stack) {
    for (const e of t.spec.tracing ?? []) {
      if (!applies(e.match?.mode, mode)) continue;
      if (e.providers !== undefined && e.providers.length > 0) names = e.providers.map((p) => p.name);
      if (e.randomSamplingPercentage !== undefined) sampling = e.randomSamplingPercentage;
      if (e.customTags !== undefined) tags = { ...e.customTags }; // a field set here replaces the parent's (Istio)
      if (e.disableSpanReporting !== undefined) disable = e.disableSpanReporting;
      if (e.useRequestIdForTraceSampling !== undefined) useRequestId = e.useRequestIdForTraceSampling;
    }
  }
  const provider = names.map((n) => all.get(n)).find((p): p is TracingProvider => p !== undefined && isTracingProvider(p));
  if (provider === undefined) return undefined;
  return { provider, samplingPercent: sampling, customTags: tags, disableSpanReporting: disable, useRequestIdForTraceSampling: useRequestId };
}

function accessLogs(snap: Snapshot, all: Map<string, TelemetryProvider>, stack: readonly Telemetry[], mode: TelemetryMode): ResolvedAccessLog[] {
  const mesh = snap.mesh.telemetry;
  const defaults = mesh.defaultProviders.accessLogging.length > 0 ? mesh.defaultProviders.accessLogging : mesh.accessLogFile !== undefined ? [MESH_ACCESS_LOG_PROVIDER] : [];
  const on = new Map<string, string | undefined>(defaults.map((n) => [n, undefined]));
  for (const t of stack) {
    for (const e of t.spec.accessLogging ?? []) {
      if (!applies(e.match?.mode, mode)) continue;
      const names = e.providers !== undefined && e.providers.length > 0 ? e.providers.map((p) => p.name) : defaults;
      for (const n of names) {
        if (e.disabled === true) on.delete(n);
        else on.set(n, e.filter?.expression); // a more specific entry replaces the provider's settings, filter included
      }
    }
  }
  const out: ResolvedAccessLog[] = [];
  for (const [name, filter] of on) {
    const p = all.get(name);
    if (p === undefined || !isAccessLogProvider(p)) continue;
    out.push(filter !== undefined ? { provider: p, filterExpression: filter } : { provider: p });
  }
  return out;
}

function metrics(snap: Snapshot, all: Map<string, TelemetryProvider>, stack: readonly Telemetry[], mode: TelemetryMode): ResolvedMetrics {
  const isProm = (n: string): boolean => all.get(n)?.kind === 'prometheus';
  let names: readonly string[] = snap.mesh.telemetry.defaultProviders.metrics ?? [BUILTIN_PROMETHEUS.name];
  const overrides: MetricOverride[] = [];
  let interval: number | undefined;
  for (const t of stack) {
    for (const e of t.spec.metrics ?? []) {
      if (e.providers !== undefined && e.providers.length > 0) {
        names = e.providers.map((p) => p.name);
        if (!names.some(isProm)) continue; // an entry for other providers says nothing about Prometheus
      }
      if (e.reportingInterval !== undefined) interval = parseDuration(e.reportingInterval) ?? interval;
      for (const o of e.overrides ?? []) {
        const m = o.match ?? {};
        const omode = m.mode ?? 'CLIENT_AND_SERVER';
        if (!applies(omode, mode)) continue;
        const tagOverrides: Record<string, { operation: 'UPSERT' | 'REMOVE'; value?: string }> = {};
        for (const [k, v] of Object.entries(o.tagOverrides ?? {})) tagOverrides[k] = v.value !== undefined ? { operation: v.operation ?? 'UPSERT', value: v.value } : { operation: v.operation ?? 'UPSERT' };
        overrides.push({
          metric: m.customMetric !== undefined ? { custom: m.customMetric } : (m.metric ?? 'ALL_METRICS'),
          mode: omode,
          ...(o.disabled !== undefined ? { disabled: o.disabled } : {}),
          tagOverrides,
        });
      }
    }
  }
  return { enabled: names.some(isProm), overrides, ...(interval !== undefined ? { reportingIntervalMs: interval } : {}) };
}

const cache = new WeakMap<Snapshot, WeakMap<ProxyNode, ResolvedTelemetry>>();

export function resolveTelemetry(snap: Snapshot, proxy: ProxyNode): ResolvedTelemetry {
  let perSnap = cache.get(snap);
  if (perSnap === undefined) cache.set(snap, (perSnap = new WeakMap()));
  let r = perSnap.get(proxy);
  if (r === undefined) {
    const all = providers(snap);
    const stack = layers(snap, proxy);
    const memo = new Map<string, unknown>();
    const once = <T>(key: string, f: () => T): T => {
      if (!memo.has(key)) memo.set(key, f());
      return memo.get(key) as T;
    };
    r = {
      tracing: (mode) => once(`t${mode}`, () => tracing(snap, all, stack, mode)),
      accessLogs: (mode) => once(`a${mode}`, () => accessLogs(snap, all, stack, mode)),
      metrics: (mode) => once(`m${mode}`, () => metrics(snap, all, stack, mode)),
    };
    perSnap.set(proxy, r);
  }
  return r;
}
