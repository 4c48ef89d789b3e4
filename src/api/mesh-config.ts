// API stage: Istio MeshConfig (`trellis control --mesh-config FILE`) parsed and validated like a resource — the fields trellis
// applies, those it ignores with a reason, and those it refuses, every error naming file, field and line.
import { LineCounter, parseDocument, type Document } from 'yaml';
import { fail, ok, type Result } from '../common/result.js';
import { apiError, splitFieldPath, type ApiError } from './errors.js';
import { isDns1123Label } from './hosts.js';
import { MESH_FIELDS, PROXY_FIELDS, TOPOLOGY_FIELDS, type FieldFate } from './mesh-config-fields.js';
import { type ExtAuthzProvider, parseProviders } from './mesh-providers.js';
import { DEFAULT_MESH_TELEMETRY, type MeshTelemetryDefaults, parseAccessLogField, parseDefaultProviders, parseProxyTracing } from './mesh-telemetry.js';
import type { TelemetryProvider } from './telemetry-types.js';
import { isPlainObject, isSet, joinPath, type Report } from './rules.js';

export type { ExtAuthzProvider, HeaderPattern } from './mesh-providers.js';
export type { MeshTelemetryDefaults } from './mesh-telemetry.js';

/** The mesh-wide settings translation reads (`snap.mesh`). */
export interface MeshConfig {
  /** Absent: --trust-domain (default cluster.local) decides. */
  readonly trustDomain?: string;
  /** Identities in these trust domains are the mesh's own (AuthorizationPolicy principals match them too). */
  readonly trustDomainAliases: readonly string[];
  readonly rootNamespace?: string;
  /** Sidecars reach registry hosts only; a Sidecar's outboundTrafficPolicy overrides this default. */
  readonly outboundTrafficPolicy: 'REGISTRY_ONLY';
  /** envoyExtAuthzHttp / envoyExtAuthzGrpc providers, for CUSTOM AuthorizationPolicies. */
  readonly extAuthzProviders: readonly ExtAuthzProvider[];
  /** Tracing, metrics and access-log providers (zipkin, opentelemetry, prometheus, envoyFileAccessLog, envoy*Als). */
  readonly telemetryProviders: readonly TelemetryProvider[];
  /** Mesh-wide telemetry defaults the Telemetry resolver starts from. */
  readonly telemetry: MeshTelemetryDefaults;
  /** defaultConfig.gatewayTopology.numTrustedProxies: x-forwarded-for hops gateways trust (remote.ip, remoteIpBlocks). */
  readonly numTrustedProxies?: number;
  /** Fields given but ignored, with why (printed at start-up). */
  readonly ignored: readonly { field: string; reason: string }[];
}

export const DEFAULT_MESH_CONFIG: MeshConfig = Object.freeze({
  trustDomainAliases: [],
  outboundTrafficPolicy: 'REGISTRY_ONLY',
  extAuthzProviders: [],
  telemetryProviders: [],
  telemetry: DEFAULT_MESH_TELEMETRY,
  ignored: [],
});

const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

function checkTrustDomain(v: unknown, path: string, report: Report): string | undefined {
  if (typeof v !== 'string' || !TRUST_DOMAIN.test(v)) {
    report(path, `a trust domain is lower-case letters, digits, '.', '-' or '_', got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

function applyFate(fate: FieldFate, path: string, report: Report, ignored: { field: string; reason: string }[]): void {
  if ('refuse' in fate) report(path, `${path.split('.').pop()} is not supported by trellis (${fate.refuse})`);
  else ignored.push({ field: path, reason: fate.ignore });
}

/** ProxyConfig: the fields that mean something to trellis gateways are applied, the rest ignored or refused by name. */
function defaultConfig(v: unknown, path: string, report: Report, ignored: { field: string; reason: string }[]): { trusted?: number; tracing?: MeshTelemetryDefaults['tracing'] } {
  if (!isPlainObject(v)) {
    report(path, 'expected an object (ProxyConfig)');
    return {};
  }
  let trusted: number | undefined;
  let tracing: MeshTelemetryDefaults['tracing'] | undefined;
  for (const [k, val] of Object.entries(v)) {
    const at = joinPath(path, k);
    if (!isSet(val)) continue;
    if (k === 'gatewayTopology') {
      if (!isPlainObject(val)) {
        report(at, 'expected an object (Topology)');
        continue;
      }
      for (const [tk, tv] of Object.entries(val)) {
        const tat = joinPath(at, tk);
        const fate = TOPOLOGY_FIELDS[tk];
        if (fate === undefined) report(tat, `unknown field "${tk}" in Topology`);
        else if (fate !== 'apply') applyFate(fate, tat, report, ignored);
        else if (typeof tv !== 'number' || !Number.isInteger(tv) || tv < 0) report(tat, `expected a non-negative integer, got ${JSON.stringify(tv)}`);
        else trusted = tv;
      }
      continue;
    }
    if (k === 'tracing') {
      tracing = parseProxyTracing(val, at, report);
      continue;
    }
    const fate = PROXY_FIELDS[k];
    if (fate === undefined) report(at, `unknown field "${k}" in ProxyConfig`);
    else applyFate(fate, at, report, ignored);
  }
  return { ...(trusted !== undefined ? { trusted } : {}), ...(tracing !== undefined ? { tracing } : {}) };
}

function outboundPolicy(v: unknown, path: string, report: Report): void {
  if (!isPlainObject(v)) return report(path, 'expected an object (OutboundTrafficPolicy)');
  for (const [k, val] of Object.entries(v)) {
    const at = joinPath(path, k);
    if (k === 'mode') {
      if (val === 'REGISTRY_ONLY' || !isSet(val)) continue;
      if (val === 'ALLOW_ANY' || val === 'ALLOW_ANY_DYNAMIC_DNS') {
        // same refusal as a Sidecar's ALLOW_ANY: passing unknown hosts through needs the original destination (iptables)
        report(at, `${val} is not supported by trellis (unknown hosts are never passed through; REGISTRY_ONLY is what trellis does: declare external hosts with ServiceEntries)`);
      } else report(at, `invalid value ${JSON.stringify(val)}, expected one of REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS`);
    } else if (k === 'tls') report(at, 'tls is not supported by trellis (TLS origination for unknown hosts needs ALLOW_ANY)');
    else report(at, `unknown field "${k}" in OutboundTrafficPolicy`);
  }
}

/** Validates a MeshConfig object; `report` gets every problem (path relative to the MeshConfig). */
export function validateMeshConfig(v: unknown, report: Report): MeshConfig {
  const ignored: { field: string; reason: string }[] = [];
  if (!isPlainObject(v)) {
    report('', 'expected a MeshConfig object');
    return DEFAULT_MESH_CONFIG;
  }
  let trustDomain: string | undefined;
  let rootNamespace: string | undefined;
  let aliases: string[] = [];
  let numTrustedProxies: number | undefined;
  let telemetry: MeshTelemetryDefaults = DEFAULT_MESH_TELEMETRY;
  const providers = parseProviders(v.extensionProviders, 'extensionProviders', report);
  for (const [k, val] of Object.entries(v)) {
    if (!isSet(val)) continue;
    switch (k) {
      case 'trustDomain':
        trustDomain = checkTrustDomain(val, k, report);
        break;
      case 'trustDomainAliases':
        if (!Array.isArray(val)) report(k, 'expected a list of trust domains');
        else aliases = val.flatMap((a, i) => checkTrustDomain(a, joinPath(k, i), report) ?? []);
        break;
      case 'rootNamespace':
        if (typeof val !== 'string' || !isDns1123Label(val)) report(k, `${JSON.stringify(val)} is not a valid namespace (a DNS-1123 label)`);
        else rootNamespace = val;
        break;
      case 'extensionProviders':
        break;
      case 'outboundTrafficPolicy':
        outboundPolicy(val, k, report);
        break;
      case 'defaultProviders':
        telemetry = { ...telemetry, defaultProviders: parseDefaultProviders(val, k, new Set(providers.telemetry.map((p) => p.name)), report) };
        break;
      case 'defaultConfig': {
        const d = defaultConfig(val, k, report, ignored);
        numTrustedProxies = d.trusted;
        if (d.tracing !== undefined) telemetry = { ...telemetry, tracing: d.tracing };
        break;
      }
      case 'accessLogFile':
      case 'accessLogEncoding':
      case 'accessLogFormat':
        telemetry = { ...telemetry, ...parseAccessLogField(k, val, report) };
        break;
      case 'enableTracing':
        if (typeof val !== 'boolean') report(k, `expected true or false, got ${JSON.stringify(val)}`);
        else telemetry = { ...telemetry, enableTracing: val };
        break;
      case 'enableAutoMtls':
        // trellis always does auto-mTLS (Istio's default); turning it off mesh-wide is not translated
        if (val === true) ignored.push({ field: k, reason: 'auto mTLS is always on' });
        else report(k, val === false ? 'enableAutoMtls: false is not supported by trellis (auto mTLS is always on; use DestinationRule tls.mode DISABLE per host)' : `expected true or false, got ${JSON.stringify(val)}`);
        break;
      default: {
        const fate = MESH_FIELDS[k];
        if (fate === undefined) report(k, `unknown field "${k}" in MeshConfig`);
        else applyFate(fate, k, report, ignored);
      }
    }
  }
  return Object.freeze({
    ...(trustDomain !== undefined ? { trustDomain } : {}),
    trustDomainAliases: aliases,
    ...(rootNamespace !== undefined ? { rootNamespace } : {}),
    outboundTrafficPolicy: 'REGISTRY_ONLY',
    extAuthzProviders: providers.extAuthz,
    telemetryProviders: providers.telemetry,
    telemetry,
    ...(numTrustedProxies !== undefined ? { numTrustedProxies } : {}),
    ignored,
  });
}

/** Where the MeshConfig sits in the document: itself, IstioOperator spec.meshConfig, or the `istio` ConfigMap's data.mesh text. */
function meshRoot(doc: unknown): { prefix: string[]; embedded?: string } {
  if (!isPlainObject(doc)) return { prefix: [] };
  if (doc.kind === 'IstioOperator' && isPlainObject(doc.spec)) return { prefix: ['spec', 'meshConfig'] };
  if (doc.kind === 'ConfigMap' && isPlainObject(doc.data) && typeof doc.data.mesh === 'string') return { prefix: [], embedded: doc.data.mesh };
  return { prefix: [] };
}

function lineOf(doc: Document, lines: LineCounter, keys: (string | number)[]): number | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = doc.getIn(keys.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

/**
 * Parses a mesh config file: a MeshConfig YAML/JSON document, an IstioOperator (spec.meshConfig) or Istio's `istio`
 * ConfigMap (data.mesh). Every problem is an ApiError naming `MeshConfig <source>`, the field and the line.
 */
export function parseMeshConfig(text: string, source: string): Result<MeshConfig> {
  const resource = `MeshConfig ${source}`;
  const parse = (t: string): { doc: Document; lines: LineCounter; value: unknown; errors: ApiError[] } => {
    const lines = new LineCounter();
    const doc = parseDocument(t, { lineCounter: lines, prettyErrors: false });
    const errors = doc.errors.map((e) => apiError(resource, '', `invalid YAML: ${e.message.split('\n')[0]}`, { source, line: lines.linePos(e.pos[0]).line }));
    let value: unknown;
    if (errors.length === 0) {
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (e) {
        errors.push(apiError(resource, '', `invalid YAML: ${e instanceof Error ? e.message : String(e)}`, { source }));
      }
    }
    return { doc, lines, value, errors };
  };
  let p = parse(text);
  if (p.errors.length > 0) return fail(p.errors);
  let value = p.value;
  const root = meshRoot(value);
  let label = source;
  if (root.embedded !== undefined) {
    p = parse(root.embedded);
    if (p.errors.length > 0) return fail(p.errors);
    value = p.value;
    label = `${source} data.mesh`;
  } else if (root.prefix.length > 0) {
    const spec = (value as { spec: Record<string, unknown> }).spec;
    value = spec.meshConfig;
  }
  if (!isSet(value)) value = {};
  const errors: ApiError[] = [];
  const { doc, lines } = p;
  const mesh = validateMeshConfig(value, (field, reason) => {
    const line = lineOf(doc, lines, [...root.prefix, ...splitFieldPath(field)]);
    const shown = root.prefix.length > 0 && field !== '' ? `${root.prefix.join('.')}.${field}` : field;
    errors.push(apiError(resource, shown, reason, { source: label, ...(line !== undefined ? { line } : {}) }));
  });
  return errors.length > 0 ? fail(errors) : ok(mesh);
}

/** `--trust-domain` and the mesh config's trustDomain must agree when both are given; either alone decides. */
export function reconcileTrustDomain(flag: string | undefined, mesh: MeshConfig): { trustDomain?: string; error?: string } {
  if (flag !== undefined && mesh.trustDomain !== undefined && flag !== mesh.trustDomain) {
    return { error: `--trust-domain "${flag}" disagrees with the mesh config's trustDomain "${mesh.trustDomain}"` };
  }
  const td = flag ?? mesh.trustDomain;
  return td !== undefined ? { trustDomain: td } : {};
}
