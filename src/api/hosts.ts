// API stage: Istio host-name semantics (short name → FQDN, wildcard matching, host syntax checks) shared by validation, analysis and translation.
import { CLUSTER_DOMAIN } from './types.js';

const LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Istio's short-name resolution: a name without dots is a Service in `namespace`
 * (`reviews` → `reviews.default.svc.cluster.local`); wildcards, IPs and dotted names stay as written.
 * Istio itself treats every dotted name as already qualified; Kubernetes DNS also resolves
 * `name.ns`, so when the caller knows the namespaces (`namespaces`), `reviews.prod` → `reviews.prod.svc.cluster.local`.
 * Without that set a two-label name is ambiguous (`reviews.prod` vs `example.com`) and is left alone.
 */
export function fqdn(host: string, namespace: string, namespaces?: ReadonlySet<string>): string {
  const h = host.toLowerCase();
  if (h === '*' || h.startsWith('*.') || isIP(h)) return h;
  const labels = h.split('.');
  if (labels.length === 1) return `${h}.${namespace}.svc.${CLUSTER_DOMAIN}`;
  if (labels.length === 2 && namespaces?.has(labels[1]!)) return `${h}.svc.${CLUSTER_DOMAIN}`;
  if (labels.length === 3 && labels[2] === 'svc' && namespaces?.has(labels[1]!)) return `${h}.${CLUSTER_DOMAIN}`;
  return h;
}

/** The namespace of a cluster-local FQDN (`reviews.prod.svc.cluster.local` → `prod`), if it is one. */
export function serviceNamespaceOf(fqdnHost: string): string | undefined {
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  if (!fqdnHost.endsWith(suffix)) return undefined;
  const labels = fqdnHost.slice(0, -suffix.length).split('.');
  return labels.length === 2 ? labels[1] : undefined;
}

export function isWildcard(host: string): boolean {
  return host === '*' || host.startsWith('*.');
}

export function isIP(host: string): boolean {
  return IPV4.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
}

/**
 * Does `pattern` cover `host`? Istio semantics: `*` covers everything; `*.foo.com` covers any name
 * ending in `.foo.com` (one or more labels) and any narrower wildcard like `*.bar.foo.com`, but not `foo.com`.
 * Comparison is case-insensitive.
 */
export function hostCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1); // '.foo.com'
  if (h.startsWith('*.')) return h.slice(1).endsWith(suffix);
  return h.endsWith(suffix) && h.length > suffix.length;
}

/** Do two host patterns share at least one concrete name? (Istio's host.Name.Matches, symmetric.) */
export function hostsOverlap(a: string, b: string): boolean {
  return hostCovers(a, b) || hostCovers(b, a);
}

/**
 * Syntax of a host as Istio's validation requires it: DNS-1123 labels, at most 255 characters,
 * a wildcard only as a whole leading label (`*` or `*.foo.com`, never `foo.*.com` or `*foo.com`).
 * Returns the reason it is invalid, or undefined.
 */
export function hostSyntaxError(host: string, opts: { allowWildcard?: boolean; allowIP?: boolean } = {}): string | undefined {
  const { allowWildcard = true, allowIP = false } = opts;
  if (host === '') return 'host must not be empty';
  if (isIP(host)) return allowIP ? undefined : `host "${host}" must be a DNS name, not an IP address`;
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  if (host === '*') return allowWildcard ? undefined : 'wildcard host "*" is not allowed here';
  let rest = host;
  if (host.startsWith('*.')) {
    if (!allowWildcard) return `wildcard host "${host}" is not allowed here`;
    rest = host.slice(2);
  }
  if (rest.endsWith('.')) rest = rest.slice(0, -1); // a trailing root dot is tolerated by DNS
  for (const label of rest.split('.')) {
    if (label.includes('*')) return `host "${host}": a wildcard is only allowed as the leading label ("*." prefix)`;
    if (label.length > 63) return `host "${host}": label "${label}" is longer than 63 characters`;
    if (!LABEL.test(label)) return `host "${host}": "${label}" is not a valid DNS label`;
  }
  return undefined;
}

/** A DNS-1123 label (lower-case, as Kubernetes names and Istio subset names require). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(s);
}

/** A DNS-1123 subdomain (Kubernetes object names). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && s.split('.').every((l) => l.length > 0 && isDns1123Label(l));
}
