// Translate stage: Istio authorization values (exact, `prefix*`, `*suffix`, `*` presence, path templates, principals) as Envoy
// RBAC matchers — StringMatchers, principal and permission leaves, and and/or/not combinators that keep Envoy's lists non-empty.
import type { Json } from './generator.js';

export const ANY: Json = { any: true };

/** RE2-quotes a literal. */
export function quote(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Istio's string forms; `prefix` is prepended to the value (e.g. `spiffe://` for principals). */
export function stringMatch(v: string, opts: { prefix?: string; ignoreCase?: boolean } = {}): Json {
  const pre = opts.prefix ?? '';
  const ic: Json = opts.ignoreCase === true ? { ignore_case: true } : {};
  if (v === '*') return { safe_regex: { regex: `${quote(pre)}.+` }, ...ic };
  if (v.length > 1 && v.endsWith('*')) return { prefix: pre + v.slice(0, -1), ...ic };
  if (v.length > 1 && v.startsWith('*')) return pre === '' ? { suffix: v.slice(1), ...ic } : { safe_regex: { regex: `${quote(pre)}.*${quote(v.slice(1))}` }, ...ic };
  return { exact: pre + v, ...ic };
}

// Envoy's uri_template: `{*}` is one non-empty segment of RFC 3986 pchars, `{**}` any run of them and '/'.
const PCHARS = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";
const ONE_SEGMENT = `[${PCHARS}]+`;
const ANY_SEGMENTS = `[${PCHARS}/]*`;

/** A path with `{*}`/`{**}` as an RE2 regex over the path without query (what Envoy's uri_template matcher compiles to). */
export function pathTemplateRegex(path: string): string {
  return path
    .split('/')
    .map((seg) => (seg === '{*}' ? ONE_SEGMENT : seg === '{**}' ? ANY_SEGMENTS : quote(seg)))
    .join('/');
}

export function hasTemplate(path: string): boolean {
  return path.includes('{*}') || path.includes('{**}');
}

/** Istio's host match: case-insensitive; an exact host without a port also matches it with any port. */
export function hostMatch(v: string): Json {
  if (v === '*' || v.startsWith('*') || v.endsWith('*') || v.includes(':')) return stringMatch(v, { ignoreCase: true });
  return { safe_regex: { regex: `(?i)${quote(v)}(:[0-9]+)?` } };
}

export function header(name: string, match: Json): Json {
  return { header: { name, string_match: match } };
}

// Permission combinators (and_rules / or_rules / not_rule), simplified so Envoy's min_items: 1 always holds.
export function andP(ps: readonly Json[]): Json {
  const kept = ps.filter((p) => p.any !== true);
  return kept.length === 0 ? ANY : kept.length === 1 ? kept[0]! : { and_rules: { rules: kept } };
}
export function orP(ps: readonly Json[]): Json {
  if (ps.some((p) => p.any === true)) return ANY;
  return ps.length === 1 ? ps[0]! : { or_rules: { rules: [...ps] } };
}
export function notP(p: Json): Json {
  return { not_rule: p };
}

// Principal combinators (and_ids / or_ids / not_id).
export function andI(ps: readonly Json[]): Json {
  const kept = ps.filter((p) => p.any !== true);
  return kept.length === 0 ? ANY : kept.length === 1 ? kept[0]! : { and_ids: { ids: kept } };
}
export function orI(ps: readonly Json[]): Json {
  if (ps.some((p) => p.any === true)) return ANY;
  return ps.length === 1 ? ps[0]! : { or_ids: { ids: [...ps] } };
}
export function notI(p: Json): Json {
  return { not_id: p };
}

/** A CIDR (or single IP) as Envoy's CidrRange. */
export function cidr(v: string): Json {
  const slash = v.indexOf('/');
  const ip = slash >= 0 ? v.slice(0, slash) : v;
  const len = slash >= 0 ? Number(v.slice(slash + 1)) : ip.includes(':') ? 128 : 32;
  return { address_prefix: ip, prefix_len: len };
}
