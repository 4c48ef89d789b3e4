// API stage: MeshConfig extensionProviders for telemetry (tracing, access logs, metrics), checked field by field with
// Istio's defaults; providers trellis cannot serve are refused by name.
import { durationError, parseDuration } from './duration.js';
import { bool, port, serviceRef } from './mesh-providers.js';
import { checkHeaderName, isPlainObject, isSet, joinPath, type Report } from './rules.js';
import type { AccessLogProvider, TelemetryProvider, TracingProvider } from './telemetry-types.js';

export const TELEMETRY_PROVIDER_KINDS = ['zipkin', 'opentelemetry', 'prometheus', 'envoyFileAccessLog', 'envoyHttpAls', 'envoyTcpAls', 'envoyOtelAls'] as const;

const FIELDS: Readonly<Record<string, readonly string[]>> = {
  zipkin: ['service', 'port', 'maxTagLength', 'enable64bitTraceId', 'path'],
  opentelemetry: ['service', 'port', 'maxTagLength', 'http', 'grpc', 'resourceDetectors'],
  prometheus: [],
  envoyFileAccessLog: ['path', 'logFormat'],
  envoyHttpAls: ['service', 'port', 'logName', 'filterStateObjectsToLog', 'additionalRequestHeadersToLog', 'additionalResponseHeadersToLog', 'additionalResponseTrailersToLog'],
  envoyTcpAls: ['service', 'port', 'logName', 'filterStateObjectsToLog'],
  envoyOtelAls: ['service', 'port', 'logName', 'logFormat'],
};
/** Fields Istio has that would change what is sent or sampled, refused rather than dropped. */
const REFUSED_FIELDS: Readonly<Record<string, string>> = {
  dynatraceSampler: 'the Dynatrace sampler is not supported; sampling is Telemetry randomSamplingPercentage',
  traceContextOption: 'only B3 propagation is supported for zipkin (W3C trace context comes with the opentelemetry provider)',
  headers: 'extra collector headers are not supported for zipkin',
  timeout: 'a collector timeout is not supported for zipkin',
};

function strings(o: Record<string, unknown>, key: string, path: string, report: Report): string[] {
  const v = o[key];
  if (!isSet(v)) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    report(joinPath(path, key), 'expected a list of non-empty strings');
    return [];
  }
  return v as string[];
}

function maxTagLength(o: Record<string, unknown>, path: string, report: Report): number {
  const v = o.maxTagLength;
  if (!isSet(v)) return 256;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) report(joinPath(path, 'maxTagLength'), 'expected a positive integer');
  return typeof v === 'number' ? v : 256;
}

function timeoutMs(v: unknown, path: string, report: Report, dflt: number): number {
  if (!isSet(v)) return dflt;
  const why = durationError(v);
  if (why !== undefined) {
    report(path, why);
    return dflt;
  }
  return parseDuration(v as string) ?? dflt;
}

/** Istio's HttpHeader list ([{name, value}]) → a map; names checked. */
function headerList(v: unknown, path: string, report: Report): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isSet(v)) return out;
  if (!Array.isArray(v)) {
    report(path, 'expected a list of {name, value}');
    return out;
  }
  v.forEach((h, i) => {
    const at = joinPath(path, i);
    if (!isPlainObject(h) || typeof h.name !== 'string' || typeof h.value !== 'string') return report(at, 'expected {name, value} strings');
    for (const k of Object.keys(h)) if (k !== 'name' && k !== 'value') report(joinPath(at, k), `unknown field "${k}" in HttpHeader`);
    checkHeaderName(h.name, joinPath(at, 'name'), report);
    out[h.name.toLowerCase()] = h.value;
  });
  return out;
}

function logFormat(v: unknown, path: string, report: Report): { text?: string; labels?: Record<string, unknown> } | undefined {
  if (!isSet(v)) return undefined;
  if (!isPlainObject(v)) {
    report(path, 'expected an object (LogFormat)');
    return undefined;
  }
  const keys = Object.keys(v).filter((k) => isSet(v[k]));
  for (const k of keys) if (k !== 'text' && k !== 'labels') report(joinPath(path, k), `unknown field "${k}" in LogFormat`);
  if (keys.includes('text') && keys.includes('labels')) report(path, 'only one of text and labels may be set');
  if (isSet(v.text) && typeof v.text !== 'string') report(joinPath(path, 'text'), 'expected a format string');
  if (isSet(v.labels) && !isPlainObject(v.labels)) report(joinPath(path, 'labels'), 'expected an object of label → format operator');
  if (typeof v.text === 'string') return { text: v.text };
  if (isPlainObject(v.labels)) return { labels: v.labels };
  return undefined;
}

function collector(name: string, o: Record<string, unknown>, path: string, report: Report): { name: string; service: string; port: number } {
  const svc = serviceRef(o.service, joinPath(path, 'service'), report);
  return { name, service: svc?.host ?? '', port: port(o.port, joinPath(path, 'port'), report) };
}

function tracing(name: string, kind: 'zipkin' | 'opentelemetry', o: Record<string, unknown>, path: string, report: Report): TracingProvider {
  const base = { ...collector(name, o, path, report), maxTagLength: maxTagLength(o, path, report) };
  if (kind === 'zipkin') {
    const p = o.path;
    if (isSet(p) && (typeof p !== 'string' || !p.startsWith('/'))) report(joinPath(path, 'path'), 'expected a path starting with "/"');
    return { ...base, kind, enable64bitTraceId: bool(o, 'enable64bitTraceId', path, report), path: typeof p === 'string' && p !== '' ? p : '/api/v2/spans' };
  }
  if (isSet(o.http) && isSet(o.grpc)) report(path, 'only one of http and grpc may be set');
  const out: TracingProvider = { ...base, kind };
  if (isPlainObject(o.http)) {
    const h = o.http;
    const at = joinPath(path, 'http');
    for (const k of Object.keys(h)) if (!['path', 'timeout', 'headers'].includes(k)) report(joinPath(at, k), `unknown field "${k}" in OpenTelemetryTracingProvider.HttpService`);
    const p = typeof h.path === 'string' && h.path !== '' ? (h.path.startsWith('/') ? h.path : `/${h.path}`) : '/v1/traces';
    out.http = { path: p, timeoutMs: timeoutMs(h.timeout, joinPath(at, 'timeout'), report, 5000), headers: headerList(h.headers, joinPath(at, 'headers'), report) };
  } else if (isSet(o.http)) report(joinPath(path, 'http'), 'expected an object');
  if (isPlainObject(o.grpc)) {
    const g = o.grpc;
    const at = joinPath(path, 'grpc');
    for (const k of Object.keys(g)) if (!['timeout', 'initialMetadata'].includes(k)) report(joinPath(at, k), `unknown field "${k}" in OpenTelemetryTracingProvider.GrpcService`);
    out.grpc = { timeoutMs: timeoutMs(g.timeout, joinPath(at, 'timeout'), report, 5000), initialMetadata: headerList(g.initialMetadata, joinPath(at, 'initialMetadata'), report) };
  } else if (isSet(o.grpc)) report(joinPath(path, 'grpc'), 'expected an object');
  return out;
}

function accessLog(name: string, kind: AccessLogProvider['kind'], o: Record<string, unknown>, path: string, report: Report): AccessLogProvider {
  if (kind === 'envoyFileAccessLog') {
    if (typeof o.path !== 'string' || o.path === '') report(joinPath(path, 'path'), 'required: the file to write (e.g. /dev/stdout)');
    const format = logFormat(o.logFormat, joinPath(path, 'logFormat'), report);
    return { name, kind, path: typeof o.path === 'string' ? o.path : '', ...(format !== undefined ? { format } : {}) };
  }
  const base = { ...collector(name, o, path, report), logName: typeof o.logName === 'string' ? o.logName : '' };
  if (isSet(o.logName) && typeof o.logName !== 'string') report(joinPath(path, 'logName'), 'expected a string');
  if (kind === 'envoyOtelAls') {
    report(path, 'OpenTelemetry access logs (envoyOtelAls) are not supported by trellis; use envoyFileAccessLog, envoyHttpAls or envoyTcpAls');
    const format = logFormat(o.logFormat, joinPath(path, 'logFormat'), report);
    return { ...base, kind, ...(format !== undefined ? { format } : {}) };
  }
  return {
    ...base,
    kind,
    filterStateObjectsToLog: strings(o, 'filterStateObjectsToLog', path, report),
    additionalRequestHeadersToLog: strings(o, 'additionalRequestHeadersToLog', path, report),
    additionalResponseHeadersToLog: strings(o, 'additionalResponseHeadersToLog', path, report),
    additionalResponseTrailersToLog: strings(o, 'additionalResponseTrailersToLog', path, report),
  };
}

/** One telemetry provider of kind `kind` (one of TELEMETRY_PROVIDER_KINDS); every problem reported under `path`. */
export function parseTelemetryProvider(name: string, kind: string, body: unknown, path: string, report: Report): TelemetryProvider | undefined {
  const o = isSet(body) ? body : {};
  if (!isPlainObject(o)) {
    report(path, 'expected an object');
    return undefined;
  }
  const allowed = FIELDS[kind];
  if (allowed === undefined) return undefined;
  for (const k of Object.keys(o)) {
    if (allowed.includes(k)) continue;
    if (REFUSED_FIELDS[k] !== undefined) report(joinPath(path, k), `${k} is not supported by trellis (${REFUSED_FIELDS[k]})`);
    else report(joinPath(path, k), `unknown field "${k}" in the ${kind} provider`);
  }
  switch (kind) {
    case 'zipkin':
    case 'opentelemetry':
      return tracing(name, kind, o, path, report);
    case 'prometheus':
      return { name, kind };
    case 'envoyFileAccessLog':
    case 'envoyHttpAls':
    case 'envoyTcpAls':
    case 'envoyOtelAls':
      return accessLog(name, kind, o, path, report);
  }
  return undefined;
}

export function isTracingProvider(p: TelemetryProvider): p is TracingProvider {
  return p.kind === 'zipkin' || p.kind === 'opentelemetry';
}

export function isAccessLogProvider(p: TelemetryProvider): p is AccessLogProvider {
  return p.kind === 'envoyFileAccessLog' || p.kind === 'envoyHttpAls' || p.kind === 'envoyTcpAls' || p.kind === 'envoyOtelAls';
}
