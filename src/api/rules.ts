// API stage: small semantic checks shared by the per-kind validators (durations, regexes, labels, header names, ports, localities).
import { durationError } from './duration.js';
import { hostSyntaxError, isDns1123Label, isDns1123Subdomain } from './hosts.js';
import { isPlainObject, isSet, joinPath } from './schema.js';
import { Re2 } from '../common/re2.js';
import { Rewrite } from '../common/re2-rewrite.js';

/** Report one problem at a field path (relative to the resource, e.g. `spec.http[0].timeout`). */
export type Report = (field: string, reason: string) => void;

export { isPlainObject, isSet, joinPath };

/** The items of a list field, or none when absent or mistyped (the schema check already reported it). */
export function items(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The object items of a list field with their paths. */
export function objects(v: unknown, path: string): [Record<string, unknown>, string][] {
  return items(v).flatMap((x, i) => (isPlainObject(x) ? [[x, joinPath(path, i)] as [Record<string, unknown>, string]] : []));
}

export function field(o: unknown, key: string): unknown {
  return isPlainObject(o) ? o[key] : undefined;
}

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return isPlainObject(v) ? v : undefined;
}

export function checkDuration(v: unknown, path: string, report: Report, minMs = 1): void {
  if (typeof v !== 'string') return; // absent or mistyped: schema's job
  const reason = durationError(v, minMs);
  if (reason) report(path, reason);
}

/** Istio's regexes are RE2 (Envoy runs them so): the reason RE2 rejects `src`, if it does. */
export function regexError(src: string): string | undefined {
  const re = Re2.compile(src);
  return typeof re === 'string' ? re : undefined;
}

export function checkRegex(v: unknown, path: string, report: Report): void {
  if (typeof v !== 'string') return;
  const reason = regexError(v);
  if (reason) report(path, reason);
}

/** A RegexRewrite: `match` is RE2 and `rewrite` an RE2 substitution (\\1 for a group, as Envoy takes it). */
export function checkRegexRewrite(v: unknown, path: string, report: Report): void {
  const o = asObject(v);
  if (!o || typeof o.match !== 'string') return;
  const re = Re2.compile(o.match);
  if (typeof re === 'string') return report(joinPath(path, 'match'), re);
  if (typeof o.rewrite !== 'string') return;
  const rw = Rewrite.parse(o.rewrite, re.groupCount);
  if (typeof rw === 'string') report(joinPath(path, 'rewrite'), rw);
}

/** A StringMatch: the regex compiles; an empty exact/prefix/regex matches nothing useful and Istio rejects it where `allowEmpty` is false. */
export function checkStringMatch(m: unknown, path: string, report: Report, allowEmpty = false): void {
  const o = asObject(m);
  if (!o) return;
  const kinds = ['exact', 'prefix', 'regex'].filter((k) => isSet(o[k]));
  if (kinds.length === 0 && !allowEmpty) report(path, 'one of exact, prefix or regex must be set');
  for (const k of kinds) {
    if (o[k] === '' && !allowEmpty) report(joinPath(path, k), `${k} match must not be empty`);
  }
  checkRegex(o.regex, joinPath(path, 'regex'), report);
}

// RFC 7230 token characters: what an HTTP header name may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function checkHeaderName(name: string, path: string, report: Report): void {
  if (name === '') report(path, 'header name must not be empty');
  else if (!TOKEN.test(name)) report(path, `invalid header name "${name}"`);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Kubernetes label syntax: `[prefix/]name` keys and ≤63-character values. */
export function checkLabels(v: unknown, path: string, report: Report): void {
  const o = asObject(v);
  if (!o) return;
  for (const [k, val] of Object.entries(o)) {
    const p = joinPath(path, k);
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if ((prefix !== undefined && !isDns1123Subdomain(prefix)) || name.length > 63 || !LABEL_NAME.test(name)) {
      report(p, `invalid label key "${k}"`);
    }
    if (typeof val === 'string' && (val.length > 63 || !LABEL_VALUE.test(val))) report(p, `invalid label value "${val}"`);
  }
}

/** A host as Istio requires it in this position; reports the syntax reason. */
export function checkHost(v: unknown, path: string, report: Report, opts: { allowWildcard?: boolean; allowIP?: boolean } = {}): void {
  if (typeof v !== 'string' || v === '') return;
  const reason = hostSyntaxError(v, opts);
  if (reason) report(path, reason);
}

/** Istio gateway/sidecar host form `namespace/dnsName` (namespace `*`, `.`, `~` or a name; the namespace part is optional on Gateways). */
export function checkNamespacedHost(v: unknown, path: string, report: Report, opts: { requireNamespace: boolean }): void {
  if (typeof v !== 'string' || v === '') return;
  const parts = v.split('/');
  if (parts.length > 2) return report(path, `host "${v}" must have the form "namespace/dnsName"`);
  if (parts.length === 1 && opts.requireNamespace) return report(path, `host "${v}" must have the form "namespace/dnsName" (e.g. "./${v}" or "*/${v}")`);
  const ns = parts.length === 2 ? parts[0]! : undefined;
  const host = parts[parts.length - 1]!;
  if (ns !== undefined && ns !== '*' && ns !== '.' && ns !== '~' && !isDns1123Label(ns)) {
    report(path, `host "${v}": namespace "${ns}" must be "*", ".", "~" or a namespace name`);
  }
  const reason = hostSyntaxError(host, { allowWildcard: true });
  if (reason) report(path, reason);
}

// Istio's Port.protocol values (case-insensitive), per protocol.Parse.
const PROTOCOLS = new Set(['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'HTTP_PROXY', 'MONGO', 'MYSQL', 'REDIS', 'TCP', 'TLS', 'UDP', 'THRIFT']);

export function checkProtocol(v: unknown, path: string, report: Report): void {
  if (typeof v !== 'string') return;
  if (!PROTOCOLS.has(v.toUpperCase())) report(path, `invalid protocol "${v}", supported protocols are ${[...PROTOCOLS].join(', ')}`);
}

/** `region/zone/subzone` with `*` only as the last segment (Istio's locality syntax in LB settings). */
export function localityError(loc: string, allowWildcard: boolean): string | undefined {
  const parts = loc.split('/');
  if (loc === '' || parts.length > 3) return `locality "${loc}" must have the form region/zone/subzone`;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '*') {
      if (!allowWildcard) return `locality "${loc}" must not contain a wildcard`;
      if (i !== parts.length - 1) return `locality "${loc}": a wildcard is only allowed as the last segment`;
    } else if (p === '' || p.includes('*')) {
      return `locality "${loc}" has an invalid segment "${p}"`;
    }
  }
  return undefined;
}

export function checkDns1123Label(v: unknown, path: string, report: Report, what: string): void {
  if (typeof v === 'string' && v !== '' && !isDns1123Label(v)) report(path, `${what} "${v}" is not a valid DNS-1123 label (lower-case letters, digits and '-')`);
}

/** A user's value in a message: strings as they are, anything else as JSON (String() throws on some objects). */
export function shown(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return '(unprintable value)';
  }
}
