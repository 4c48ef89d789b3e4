// API stage: MeshConfig's mesh-wide telemetry defaults (accessLogFile/Format/Encoding, enableTracing, defaultProviders,
// defaultConfig.tracing), which the Telemetry resolver starts from.
import { hostSyntaxError } from './hosts.js';
import { checkHeaderName, isPlainObject, isSet, joinPath, type Report } from './rules.js';
import type { CustomTag } from './telemetry-types.js';

export interface MeshTelemetryDefaults {
  /** defaultProviders by section; `metrics` undefined = Istio's default (prometheus). */
  defaultProviders: { tracing: readonly string[]; metrics?: readonly string[]; accessLogging: readonly string[] };
  /** accessLogFile: an implicit envoyFileAccessLog provider for every proxy. */
  accessLogFile?: string;
  accessLogEncoding: 'TEXT' | 'JSON';
  accessLogFormat?: string;
  /** Istio's default true; with no tracing provider it has no effect. */
  enableTracing: boolean;
  /** defaultConfig.tracing: percent sampled (Istio's default 1.0), the legacy zipkin address, custom tags. */
  tracing: { sampling: number; zipkinAddress?: { host: string; port: number }; customTags: Readonly<Record<string, CustomTag>>; maxPathTagLength?: number };
}

export const DEFAULT_MESH_TELEMETRY: MeshTelemetryDefaults = Object.freeze({
  defaultProviders: { tracing: [], accessLogging: [] },
  accessLogEncoding: 'TEXT',
  enableTracing: true,
  tracing: { sampling: 1, customTags: {} },
});

const TAG_KINDS = ['literal', 'environment', 'header'] as const;

/** Istio's CustomTag map (Telemetry tracing.customTags and ProxyConfig tracing.custom_tags): one kind per tag. */
export function parseCustomTags(v: unknown, path: string, report: Report): Record<string, CustomTag> {
  const out: Record<string, CustomTag> = {};
  if (!isSet(v)) return out;
  if (!isPlainObject(v)) {
    report(path, 'expected a map of tag name → {literal | environment | header}');
    return out;
  }
  for (const [name, tag] of Object.entries(v)) {
    const at = joinPath(path, name);
    if (name === '') report(at, 'a tag name must not be empty');
    if (!isPlainObject(tag)) {
      report(at, 'expected an object with one of literal, environment, header');
      continue;
    }
    const kinds = Object.keys(tag).filter((k) => isSet(tag[k]));
    if (kinds.length !== 1 || !(TAG_KINDS as readonly string[]).includes(kinds[0]!)) {
      report(at, `exactly one of literal, environment, header must be set${kinds.length > 0 ? `, got ${kinds.join(', ')}` : ''}`);
      continue;
    }
    const kind = kinds[0] as (typeof TAG_KINDS)[number];
    const body = tag[kind];
    if (!isPlainObject(body)) {
      report(joinPath(at, kind), 'expected an object');
      continue;
    }
    const allowed = kind === 'literal' ? ['value'] : ['name', 'defaultValue'];
    for (const k of Object.keys(body)) if (!allowed.includes(k)) report(joinPath(joinPath(at, kind), k), `unknown field "${k}"`);
    if (kind === 'literal') {
      if (typeof body.value !== 'string') report(joinPath(joinPath(at, kind), 'value'), 'required: a string');
      else out[name] = { literal: { value: body.value } };
      continue;
    }
    if (typeof body.name !== 'string' || body.name === '') {
      report(joinPath(joinPath(at, kind), 'name'), `required: the ${kind === 'header' ? 'header' : 'environment variable'} name`);
      continue;
    }
    if (kind === 'header') checkHeaderName(body.name, joinPath(joinPath(at, kind), 'name'), report);
    if (isSet(body.defaultValue) && typeof body.defaultValue !== 'string') report(joinPath(joinPath(at, kind), 'defaultValue'), 'expected a string');
    const dflt = typeof body.defaultValue === 'string' ? { defaultValue: body.defaultValue } : {};
    out[name] = kind === 'header' ? { header: { name: body.name.toLowerCase(), ...dflt } } : { environment: { name: body.name, ...dflt } };
  }
  return out;
}

function hostPort(v: unknown, path: string, report: Report): { host: string; port: number } | undefined {
  const m = typeof v === 'string' ? /^([^:]+):(\d{1,5})$/.exec(v) : null;
  const port = m ? Number(m[2]) : 0;
  if (m === null || port < 1 || port > 65535) {
    report(path, `expected host:port, got ${JSON.stringify(v)}`);
    return undefined;
  }
  const why = hostSyntaxError(m[1]!.toLowerCase(), { allowWildcard: false });
  if (why !== undefined) report(path, why);
  return { host: m[1]!.toLowerCase(), port };
}

/** ProxyConfig.tracing (defaultConfig.tracing). */
export function parseProxyTracing(v: unknown, path: string, report: Report): MeshTelemetryDefaults['tracing'] {
  const out: { sampling: number; zipkinAddress?: { host: string; port: number }; customTags: Record<string, CustomTag>; maxPathTagLength?: number } = { sampling: 1, customTags: {} };
  if (!isPlainObject(v)) {
    report(path, 'expected an object (Tracing)');
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    const at = joinPath(path, k);
    if (!isSet(val)) continue;
    switch (k) {
      case 'sampling':
        if (typeof val !== 'number' || !(val >= 0 && val <= 100)) report(at, 'expected a percentage 0-100');
        else out.sampling = val;
        break;
      case 'zipkin': {
        if (!isPlainObject(val)) {
          report(at, 'expected an object with address');
          break;
        }
        for (const zk of Object.keys(val)) if (zk !== 'address') report(joinPath(at, zk), `unknown field "${zk}" in ZipkinTracer`);
        const hp = hostPort(val.address, joinPath(at, 'address'), report);
        if (hp !== undefined) out.zipkinAddress = hp;
        break;
      }
      case 'custom_tags':
      case 'customTags':
        out.customTags = parseCustomTags(val, at, report);
        break;
      case 'max_path_tag_length':
      case 'maxPathTagLength':
        if (typeof val !== 'number' || !Number.isInteger(val) || val < 1) report(at, 'expected a positive integer');
        else out.maxPathTagLength = val;
        break;
      case 'lightstep':
      case 'datadog':
      case 'stackdriver':
      case 'openCensusAgent':
        report(at, `${k} is not supported by trellis (use a zipkin address, or an opentelemetry provider with Telemetry)`);
        break;
      case 'tlsSettings':
        report(at, 'tlsSettings is not supported by trellis (the collector is reached as its DestinationRule says)');
        break;
      default:
        report(at, `unknown field "${k}" in Tracing`);
    }
  }
  return out;
}

function names(v: unknown, path: string, known: ReadonlySet<string>, report: Report): string[] {
  if (!Array.isArray(v)) {
    report(path, 'expected a list of provider names');
    return [];
  }
  return v.flatMap((n, i) => {
    if (typeof n === 'string' && known.has(n)) return [n];
    report(joinPath(path, i), `provider ${JSON.stringify(n)} is not defined in extensionProviders`);
    return [];
  });
}

/** defaultProviders: names must exist (Istio rejects dangling names). */
export function parseDefaultProviders(v: unknown, path: string, known: ReadonlySet<string>, report: Report): MeshTelemetryDefaults['defaultProviders'] {
  const out: { tracing: string[]; metrics?: string[]; accessLogging: string[] } = { tracing: [], accessLogging: [] };
  if (!isPlainObject(v)) {
    report(path, 'expected an object (DefaultProviders)');
    return out;
  }
  for (const [k, list] of Object.entries(v)) {
    const at = joinPath(path, k);
    if (!isSet(list)) continue;
    if (k === 'tracing' || k === 'accessLogging' || k === 'metrics') out[k] = names(list, at, known, report);
    else report(at, `unknown field "${k}" in DefaultProviders`);
  }
  return out;
}

/** The mesh-level access log fields. */
export function parseAccessLogField(k: 'accessLogFile' | 'accessLogEncoding' | 'accessLogFormat', val: unknown, report: Report): Partial<MeshTelemetryDefaults> {
  if (k === 'accessLogEncoding') {
    if (val !== 'TEXT' && val !== 'JSON') {
      report(k, `expected TEXT or JSON, got ${JSON.stringify(val)}`);
      return {};
    }
    return { accessLogEncoding: val };
  }
  if (typeof val !== 'string') {
    report(k, 'expected a string');
    return {};
  }
  if (val === '') return {};
  return k === 'accessLogFile' ? { accessLogFile: val } : { accessLogFormat: val };
}
