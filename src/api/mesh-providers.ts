// API stage: MeshConfig extensionProviders — the ext_authz providers CUSTOM AuthorizationPolicies name and the telemetry
// providers (telemetry-providers.ts), checked and kept for translation; the rest refused by name.
import { durationError, parseDuration } from './duration.js';
import { checkHeaderName, isPlainObject, isSet, joinPath, type Report } from './rules.js';
import { hostSyntaxError, isDns1123Label } from './hosts.js';
import { parseTelemetryProvider, TELEMETRY_PROVIDER_KINDS } from './telemetry-providers.js';
import type { TelemetryProvider } from './telemetry-types.js';

/** An Istio header pattern ("abc" exact, "abc*" prefix, "*abc" suffix), matched case-insensitively as Istio does. */
export type HeaderPattern = { exact: string } | { prefix: string } | { suffix: string };

/** envoyExtAuthzHttp / envoyExtAuthzGrpc, with Istio's defaults applied. */
export interface ExtAuthzProvider {
  name: string;
  kind: 'http' | 'grpc';
  /** FQDN of the authorization service (the `[<ns>/]` qualifier removed). */
  host: string;
  /** The `<ns>/` qualifier, when the provider names one. */
  namespace?: string;
  port: number;
  /** Istio's default is 600s. */
  timeoutMs: number;
  failOpen: boolean;
  /** HTTP status sent when the service cannot be reached; Istio's default 403. */
  statusOnError: number;
  clearRouteCache: boolean;
  includeRequestBodyInCheck?: { maxRequestBytes: number; allowPartialMessage: boolean; packAsBytes: boolean };
  // HTTP only
  pathPrefix: string;
  includeRequestHeadersInCheck: HeaderPattern[];
  includeAdditionalHeadersInCheck: Record<string, string>;
  headersToUpstreamOnAllow: HeaderPattern[];
  headersToDownstreamOnDeny: HeaderPattern[];
  headersToDownstreamOnAllow: HeaderPattern[];
}

const EXT_AUTHZ = ['envoyExtAuthzHttp', 'envoyExtAuthzGrpc'] as const;
/** Provider kinds that would change what is served or trusted, and that trellis does not implement. */
const REFUSED_PROVIDERS: Readonly<Record<string, string>> = {
  sds: 'SDS certificate providers are not supported; workload certificates come from the mesh CA',
  lightstep: 'use the opentelemetry or zipkin tracing provider',
  datadog: 'use the opentelemetry or zipkin tracing provider',
  stackdriver: 'use the opentelemetry or zipkin tracing provider',
  opencensus: 'use the opentelemetry or zipkin tracing provider',
  skywalking: 'use the opentelemetry or zipkin tracing provider',
};

const HTTP_FIELDS = new Set([
  'service', 'port', 'timeout', 'pathPrefix', 'failOpen', 'clearRouteCache', 'statusOnError', 'includeHeadersInCheck',
  'includeRequestHeadersInCheck', 'includeAdditionalHeadersInCheck', 'includeRequestBodyInCheck', 'headersToUpstreamOnAllow',
  'headersToDownstreamOnDeny', 'headersToDownstreamOnAllow',
]);
const GRPC_FIELDS = new Set(['service', 'port', 'timeout', 'failOpen', 'clearRouteCache', 'statusOnError', 'includeRequestBodyInCheck']);

/** "abc" exact, "abc*" prefix, "*abc" suffix (Istio's header lists; no presence form). */
export function headerPattern(v: string): HeaderPattern {
  if (v.length > 1 && v.endsWith('*')) return { prefix: v.slice(0, -1) };
  if (v.length > 1 && v.startsWith('*')) return { suffix: v.slice(1) };
  return { exact: v };
}

function strings(o: Record<string, unknown>, key: string, path: string, report: Report): string[] {
  const v = o[key];
  if (!isSet(v)) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    report(joinPath(path, key), 'expected a list of strings');
    return [];
  }
  return v as string[];
}

function patterns(o: Record<string, unknown>, key: string, path: string, report: Report): HeaderPattern[] {
  return strings(o, key, path, report).map((h, i) => {
    const at = joinPath(joinPath(path, key), i);
    if (h === '' || h === '*') report(at, h === '' ? 'header name must not be empty' : 'a bare "*" is not a header pattern (exact, "prefix*" or "*suffix")');
    else checkHeaderName(h.replace(/^\*|\*$/g, ''), at, report);
    return headerPattern(h);
  });
}

/** `[<namespace>/]<hostname>`: Istio needs the hostname fully qualified (a Service or ServiceEntry host). */
export function serviceRef(v: unknown, path: string, report: Report): { host: string; namespace?: string } | undefined {
  if (typeof v !== 'string' || v === '') {
    report(path, 'required: the service as [<namespace>/]<hostname>');
    return undefined;
  }
  const slash = v.indexOf('/');
  const ns = slash >= 0 ? v.slice(0, slash) : undefined;
  const host = (slash >= 0 ? v.slice(slash + 1) : v).toLowerCase();
  if (ns !== undefined && !isDns1123Label(ns)) report(path, `"${ns}" is not a namespace name`);
  const why = hostSyntaxError(host, { allowWildcard: false });
  if (why !== undefined) report(path, why);
  return ns !== undefined ? { host, namespace: ns } : { host };
}

export function port(v: unknown, path: string, report: Report): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    report(path, `required: a port number 1-65535, got ${JSON.stringify(v)}`);
    return 0;
  }
  return n;
}

export function bool(o: Record<string, unknown>, key: string, path: string, report: Report): boolean {
  const v = o[key];
  if (!isSet(v)) return false;
  if (typeof v !== 'boolean') report(joinPath(path, key), `expected true or false, got ${JSON.stringify(v)}`);
  return v === true;
}

function requestBody(v: unknown, path: string, report: Report): ExtAuthzProvider['includeRequestBodyInCheck'] {
  if (!isSet(v)) return undefined;
  if (!isPlainObject(v)) {
    report(path, 'expected an object');
    return undefined;
  }
  for (const k of Object.keys(v)) if (!['maxRequestBytes', 'allowPartialMessage', 'packAsBytes'].includes(k)) report(joinPath(path, k), `unknown field "${k}" in EnvoyExternalAuthorizationRequestBody`);
  const max = v.maxRequestBytes;
  if (!isSet(max) || typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 0xffffffff) {
    report(joinPath(path, 'maxRequestBytes'), 'required: a byte count of at least 1');
  }
  return {
    maxRequestBytes: typeof max === 'number' ? max : 0,
    allowPartialMessage: bool(v, 'allowPartialMessage', path, report),
    packAsBytes: bool(v, 'packAsBytes', path, report),
  };
}

function extAuthz(name: string, kind: 'http' | 'grpc', o: Record<string, unknown>, path: string, report: Report): ExtAuthzProvider {
  const allowed = kind === 'http' ? HTTP_FIELDS : GRPC_FIELDS;
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) report(joinPath(path, k), `unknown field "${k}" in EnvoyExternalAuthorization${kind === 'http' ? 'Http' : 'Grpc'}Provider`);
  }
  const svc = serviceRef(o.service, joinPath(path, 'service'), report);
  let timeoutMs = 600_000;
  if (isSet(o.timeout)) {
    const why = durationError(o.timeout);
    if (why !== undefined) report(joinPath(path, 'timeout'), why);
    else timeoutMs = parseDuration(o.timeout as string)!;
  }
  let statusOnError = 403;
  if (isSet(o.statusOnError)) {
    const s = typeof o.statusOnError === 'string' && /^\d+$/.test(o.statusOnError) ? Number(o.statusOnError) : o.statusOnError;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 200 || s > 599) report(joinPath(path, 'statusOnError'), `must be an HTTP status code 200-599, got ${JSON.stringify(o.statusOnError)}`);
    else statusOnError = s;
  }
  const prefix = o.pathPrefix;
  if (isSet(prefix) && (typeof prefix !== 'string' || (prefix !== '' && !prefix.startsWith('/')))) report(joinPath(path, 'pathPrefix'), 'must start with "/"');
  const additional: Record<string, string> = {};
  if (isSet(o.includeAdditionalHeadersInCheck)) {
    const h = o.includeAdditionalHeadersInCheck;
    if (!isPlainObject(h)) report(joinPath(path, 'includeAdditionalHeadersInCheck'), 'expected a map of header name to value');
    else {
      for (const [k, v] of Object.entries(h)) {
        const at = joinPath(joinPath(path, 'includeAdditionalHeadersInCheck'), k);
        checkHeaderName(k, at, report);
        if (typeof v !== 'string') report(at, 'expected a string value');
        else additional[k.toLowerCase()] = v;
      }
    }
  }
  // includeHeadersInCheck is the deprecated name of includeRequestHeadersInCheck; Istio takes either.
  const requestHeaders = [...patterns(o, 'includeRequestHeadersInCheck', path, report), ...patterns(o, 'includeHeadersInCheck', path, report)];
  const body = requestBody(o.includeRequestBodyInCheck, joinPath(path, 'includeRequestBodyInCheck'), report);
  return {
    name,
    kind,
    host: svc?.host ?? '',
    ...(svc?.namespace !== undefined ? { namespace: svc.namespace } : {}),
    port: port(o.port, joinPath(path, 'port'), report),
    timeoutMs,
    failOpen: bool(o, 'failOpen', path, report),
    statusOnError,
    clearRouteCache: bool(o, 'clearRouteCache', path, report),
    ...(body !== undefined ? { includeRequestBodyInCheck: body } : {}),
    pathPrefix: typeof prefix === 'string' ? prefix : '',
    includeRequestHeadersInCheck: requestHeaders,
    includeAdditionalHeadersInCheck: additional,
    headersToUpstreamOnAllow: patterns(o, 'headersToUpstreamOnAllow', path, report),
    headersToDownstreamOnDeny: patterns(o, 'headersToDownstreamOnDeny', path, report),
    headersToDownstreamOnAllow: patterns(o, 'headersToDownstreamOnAllow', path, report),
  };
}

export interface Providers {
  extAuthz: ExtAuthzProvider[];
  telemetry: TelemetryProvider[];
}

/** The extensionProviders list: names unique and DNS-like, exactly one provider kind each. */
export function parseProviders(v: unknown, path: string, report: Report): Providers {
  const out: Providers = { extAuthz: [], telemetry: [] };
  if (!isSet(v)) return out;
  if (!Array.isArray(v)) {
    report(path, 'expected a list of providers');
    return out;
  }
  const seen = new Set<string>();
  v.forEach((p, i) => {
    const at = joinPath(path, i);
    if (!isPlainObject(p)) return report(at, 'expected an object (ExtensionProvider)');
    const name = p.name;
    if (typeof name !== 'string' || name === '') report(joinPath(at, 'name'), 'required: a unique provider name');
    else if (seen.has(name)) report(joinPath(at, 'name'), `duplicate provider name "${name}"`);
    else seen.add(name);
    const kinds = Object.keys(p).filter((k) => k !== 'name');
    if (kinds.length !== 1) return report(at, kinds.length === 0 ? 'one provider kind (e.g. envoyExtAuthzHttp) must be set' : `only one provider kind may be set, got ${kinds.join(' and ')}`);
    const kind = kinds[0]!;
    const body = p[kind];
    const n = typeof name === 'string' ? name : '';
    if ((EXT_AUTHZ as readonly string[]).includes(kind)) {
      if (!isPlainObject(body)) return report(joinPath(at, kind), 'expected an object');
      out.extAuthz.push(extAuthz(n, kind === 'envoyExtAuthzHttp' ? 'http' : 'grpc', body, joinPath(at, kind), report));
    } else if ((TELEMETRY_PROVIDER_KINDS as readonly string[]).includes(kind)) {
      const t = parseTelemetryProvider(n, kind, body, joinPath(at, kind), report);
      if (t !== undefined) out.telemetry.push(t);
    } else if (REFUSED_PROVIDERS[kind] !== undefined) {
      report(joinPath(at, kind), `${kind} is not supported by trellis (${REFUSED_PROVIDERS[kind]})`);
    } else {
      report(joinPath(at, kind), `unknown field "${kind}" in ExtensionProvider`);
    }
  });
  return out;
}
