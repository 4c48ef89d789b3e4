// API stage: Istio's semantic rules for AuthorizationPolicy and RequestAuthentication (as istiod's webhook checks them).
import net from 'node:net';
import { durationError } from './duration.js';
import { asObject, checkHeaderName, isPlainObject, isSet, items, joinPath, objects, shown, type Report } from './rules.js';

const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts',
  'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks', 'trustDomains', 'notTrustDomains',
] as const;
const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
/** Source fields that need the peer's identity or the request's JWT, which a CUSTOM (ext_authz) policy cannot match on. */
const CUSTOM_SOURCE_REFUSED = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'];

/** A single IP or a CIDR range, as Istio's ValidateIPs takes it. */
export function ipBlockError(v: string): string | undefined {
  const slash = v.indexOf('/');
  const ip = slash >= 0 ? v.slice(0, slash) : v;
  const family = net.isIP(ip);
  if (family === 0) return slash >= 0 ? `bad CIDR range (${v})` : `bad IP address (${v})`;
  if (slash >= 0) {
    const len = v.slice(slash + 1);
    if (!/^\d+$/.test(len) || Number(len) > (family === 4 ? 32 : 128)) return `bad CIDR range (${v})`;
  }
  return undefined;
}

export function portError(v: string): string | undefined {
  return /^\d+$/.test(v) && Number(v) <= 65535 ? undefined : `bad port (${v})`;
}

// RFC 3986 pchar (without '/'): what a literal segment of a path template may hold (Envoy's uri_template rule).
const PATH_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

export function hasPathTemplate(path: string): boolean {
  return path.includes('{*}') || path.includes('{**}');
}

/** Istio's CheckValidPathTemplate: `{*}`/`{**}` whole segments, `{**}` last, no other braces, literal segments pchar only. */
export function pathTemplateError(path: string): string | undefined {
  const template = hasPathTemplate(path);
  let sawAny = false;
  for (const seg of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if ((seg === '{*}' || seg === '{**}') && !sawAny) {
      sawAny = seg === '{**}';
      continue;
    }
    if (seg === '{*}' || seg === '{**}') return `invalid or unsupported path ${path}: {**} is not the last operator`;
    if (/[{}]/.test(seg)) return `invalid or unsupported path ${path}: contains '{' or '}' beyond a supported path template`;
    if (template && seg !== '' && !PATH_LITERAL.test(seg)) return `invalid or unsupported path ${path}: segment ${seg} is not a valid literal`;
    if (template && seg.includes('*')) return `invalid or unsupported path ${path}: '*' outside {*} or {**}`;
  }
  return undefined;
}

function strs(v: unknown): string[] {
  return items(v).filter((x): x is string => typeof x === 'string');
}

/** Istio's CheckServiceAccount: `sa` or `ns/sa`, no wildcard, at most 16 entries of 320 characters. */
function checkServiceAccounts(v: unknown, path: string, report: Report): void {
  const list = strs(v);
  if (list.length > 16) report(path, 'may not have more than 16 values');
  list.forEach((s, i) => {
    const at = joinPath(path, i);
    if (s.includes('*')) report(at, 'wildcard not allowed');
    else if (s.length > 320) report(at, 'value cannot exceed 320 characters');
    else if (!/^[^/]+(\/[^/]+)?$/.test(s)) report(at, `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${s}"`);
  });
}

/** A `when` key Istio knows, and its values' syntax; undefined when fine. */
export function conditionKeyError(key: string, values: readonly string[]): string | undefined {
  const mapKey = (prefix: string): string | undefined => {
    const open = key.indexOf('[');
    return key.startsWith(`${prefix}[`) && key.endsWith(']') && open < key.length - 2 ? undefined : `bad key (${key}): should have format a[b]`;
  };
  const ips = (): string | undefined => values.map(ipBlockError).find((e) => e !== undefined);
  if (key.startsWith('request.headers')) return mapKey('request.headers');
  if (key.startsWith('request.experimental.inline.headers')) return mapKey('request.experimental.inline.headers');
  if (key.startsWith('request.auth.claims')) return mapKey('request.auth.claims');
  if (key.startsWith('experimental.envoy.filters.')) return key.endsWith(']') && key.indexOf('[') > 0 && key.indexOf('[') < key.length - 2 ? undefined : `bad key (${key}): should have format a[b]`;
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return ips();
    case 'destination.port':
      return values.map(portError).find((e) => e !== undefined);
    case 'source.serviceAccount': {
      const bad = values.find((s) => s.includes('*') || !/^[^/]+(\/[^/]+)?$/.test(s));
      return bad !== undefined ? `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${bad}"` : undefined;
    }
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined;
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`;
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`;
    default:
      return key.startsWith('destination.labels') ? `attribute ${key} is replaced by the workload selector` : `unknown attribute: ${key}`;
  }
}

function checkSelector(spec: Record<string, unknown>, report: Report): void {
  const labels = asObject(asObject(spec.selector)?.matchLabels);
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k === '') report('spec.selector.matchLabels', `empty key is not supported in selector: "=${shown(v)}"`);
    if (k.includes('*') || (typeof v === 'string' && v.includes('*'))) report(joinPath('spec.selector.matchLabels', k), `wildcard is not supported in selector: "${k}=${shown(v)}"`);
  }
  const set = [isSet(spec.selector), isSet(spec.targetRef), items(spec.targetRefs).length > 0].filter(Boolean).length;
  if (set > 1) report('spec', 'only one of targetRefs or selector can be set');
  if (items(spec.targetRefs).length > 16) report('spec.targetRefs', 'may not have more than 16 entries');
}

function nonEmptyValues(o: Record<string, unknown>, fields: readonly string[], path: string, report: Report): void {
  for (const f of fields) {
    strs(o[f]).forEach((v, i) => {
      if (v === '') report(joinPath(joinPath(path, f), i), `empty value not allowed, found in ${f}`);
    });
  }
}

function checkSource(src: Record<string, unknown>, path: string, report: Report): void {
  if (!SOURCE_FIELDS.some((f) => items(src[f]).length > 0)) report(path, '`from.source` must not be empty');
  const sa = items(src.serviceAccounts).length + items(src.notServiceAccounts).length > 0;
  if (sa && ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((f) => items(src[f]).length > 0)) report(path, 'cannot set serviceAccounts with namespaces or principals');
  nonEmptyValues(src, SOURCE_FIELDS.filter((f) => !f.toLowerCase().includes('serviceaccounts')), path, report);
  checkServiceAccounts(src.serviceAccounts, joinPath(path, 'serviceAccounts'), report);
  checkServiceAccounts(src.notServiceAccounts, joinPath(path, 'notServiceAccounts'), report);
  for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) {
    strs(src[f]).forEach((v, i) => {
      const why = v === '' ? undefined : ipBlockError(v);
      if (why !== undefined) report(joinPath(joinPath(path, f), i), why);
    });
  }
}

function checkOperation(op: Record<string, unknown>, path: string, report: Report): void {
  if (!OPERATION_FIELDS.some((f) => items(op[f]).length > 0)) report(path, '`to.operation` must not be empty');
  nonEmptyValues(op, OPERATION_FIELDS, path, report);
  for (const f of ['ports', 'notPorts']) {
    strs(op[f]).forEach((v, i) => {
      const why = v === '' ? undefined : portError(v);
      if (why !== undefined) report(joinPath(joinPath(path, f), i), why);
    });
  }
  for (const f of ['paths', 'notPaths']) {
    strs(op[f]).forEach((v, i) => {
      const why = pathTemplateError(v);
      if (why !== undefined) report(joinPath(joinPath(path, f), i), why);
    });
  }
}

function checkCustomRule(rule: Record<string, unknown>, path: string, report: Report): void {
  for (const [from, fp] of objects(rule.from, joinPath(path, 'from'))) {
    const src = asObject(from.source);
    for (const f of CUSTOM_SOURCE_REFUSED) {
      if (src !== undefined && items(src[f]).length > 0) report(joinPath(joinPath(fp, 'source'), f), `From.${f[0]!.toUpperCase()}${f.slice(1)} is currently not supported with CUSTOM action`);
    }
  }
  for (const [when, wp] of objects(rule.when, joinPath(path, 'when'))) {
    const key = when.key;
    if (typeof key === 'string' && (['source.namespace', 'source.serviceAccount', 'source.principal'].includes(key) || key.startsWith('request.auth.'))) {
      report(joinPath(wp, 'key'), `${key} is currently not supported with CUSTOM action`);
    }
  }
}

export function validateAuthorizationPolicy(spec: Record<string, unknown>, report: Report): void {
  checkSelector(spec, report);
  const action = typeof spec.action === 'string' ? spec.action : 'ALLOW';
  const hasRules = items(spec.rules).length > 0;
  if (action === 'CUSTOM') {
    if (!hasRules) report('spec.rules', 'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
    else if (typeof asObject(spec.provider)?.name !== 'string' || asObject(spec.provider)?.name === '') report('spec.provider.name', '`provider.name` must not be empty');
  } else if (isSet(spec.provider)) {
    report('spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  }
  if (action === 'DENY' && !hasRules) report('spec.rules', 'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
  items(spec.rules).forEach((r, i) => {
    const path = `spec.rules[${i}]`;
    if (!isPlainObject(r)) return report(path, '`rule` must not be nil');
    if (Array.isArray(r.from) && r.from.length === 0) report(joinPath(path, 'from'), '`from` must not be empty');
    for (const [from, fp] of objects(r.from, joinPath(path, 'from'))) {
      const src = asObject(from.source);
      if (src === undefined) report(joinPath(fp, 'source'), '`from.source` must not be nil');
      else checkSource(src, joinPath(fp, 'source'), report);
    }
    if (Array.isArray(r.to) && r.to.length === 0) report(joinPath(path, 'to'), '`to` must not be empty');
    for (const [to, tp] of objects(r.to, joinPath(path, 'to'))) {
      const op = asObject(to.operation);
      if (op === undefined) report(joinPath(tp, 'operation'), '`to.operation` must not be nil');
      else checkOperation(op, joinPath(tp, 'operation'), report);
    }
    for (const [c, cp] of objects(r.when, joinPath(path, 'when'))) {
      const key = c.key;
      if (typeof key !== 'string' || key === '') {
        report(joinPath(cp, 'key'), '`key` must not be empty');
        continue;
      }
      const values = strs(c.values);
      const notValues = strs(c.notValues);
      if (values.length === 0 && notValues.length === 0) {
        report(cp, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
        continue;
      }
      for (const [f, list] of [['values', values], ['notValues', notValues]] as const) {
        if (list.some((v) => v === '')) report(joinPath(cp, f), `empty value not allowed, found in ${key}`);
        else if (list.length > 0) {
          const why = conditionKeyError(key, list);
          if (why !== undefined) report(joinPath(cp, f === 'values' ? 'key' : f), `invalid \`${f === 'values' ? 'value' : 'notValue'}\` for \`key\` ${key}: ${why}`);
        }
      }
    }
    if (action === 'CUSTOM') checkCustomRule(r, path, report);
  });
}

function checkJwtRule(rule: Record<string, unknown>, path: string, report: Report): void {
  strs(rule.audiences).forEach((a, i) => {
    if (a === '') report(joinPath(joinPath(path, 'audiences'), i), 'audience must be non-empty string');
  });
  const uri = rule.jwksUri ?? rule.jwks_uri;
  if (isSet(rule.jwksUri) && isSet(rule.jwks_uri)) report(path, 'only one of jwksUri and jwks_uri may be set');
  if ((typeof rule.issuer !== 'string' || rule.issuer === '') && (typeof uri !== 'string' || uri === '')) report(joinPath(path, 'issuer'), 'issuer or jwksUri must be non-empty string');
  if (typeof uri === 'string' && uri !== '') {
    let scheme = '';
    try {
      scheme = new URL(uri).protocol;
    } catch {
      scheme = '';
    }
    if (scheme !== 'http:' && scheme !== 'https:') report(joinPath(path, isSet(rule.jwksUri) ? 'jwksUri' : 'jwks_uri'), `url must have scheme http:// or https://, got "${uri}"`);
    if (uri.length > 2048) report(joinPath(path, 'jwksUri'), 'must be at most 2048 characters');
  }
  if (isSet(uri) && isSet(rule.jwks)) report(path, 'only one of jwks or jwksUri can be set');
  if (typeof rule.jwks === 'string' && rule.jwks !== '') {
    const why = jwksError(rule.jwks);
    if (why !== undefined) report(joinPath(path, 'jwks'), `jwks parse error: ${why}`);
  }
  for (const [h, hp] of objects(rule.fromHeaders, joinPath(path, 'fromHeaders'))) {
    if (typeof h.name !== 'string' || h.name === '') report(joinPath(hp, 'name'), 'location header name must be non-empty string');
    else checkHeaderName(h.name, joinPath(hp, 'name'), report);
  }
  for (const f of ['fromParams', 'fromCookies'] as const) {
    strs(rule[f]).forEach((v, i) => {
      if (v === '') report(joinPath(joinPath(path, f), i), f === 'fromParams' ? 'location query must be non-empty string' : 'cookie name must be non-empty string');
    });
  }
  if (typeof rule.outputPayloadToHeader === 'string' && rule.outputPayloadToHeader !== '') checkHeaderName(rule.outputPayloadToHeader, joinPath(path, 'outputPayloadToHeader'), report);
  const seen = new Set<string>();
  for (const [c, cp] of objects(rule.outputClaimToHeaders, joinPath(path, 'outputClaimToHeaders'))) {
    if (typeof c.claim !== 'string' || c.claim === '' || typeof c.header !== 'string' || c.header === '') {
      report(cp, 'outputClaimToHeaders header and claim value must be non-empty string');
      continue;
    }
    if (!/^[-_A-Za-z0-9]+$/.test(c.header)) report(joinPath(cp, 'header'), `invalid header name "${c.header}" (letters, digits, '-' and '_')`);
    if (seen.has(c.header.toLowerCase())) report(joinPath(cp, 'header'), `header "${c.header}" is set by another outputClaimToHeaders entry`);
    seen.add(c.header.toLowerCase());
  }
  if (isSet(rule.timeout)) {
    const why = durationError(rule.timeout);
    if (why !== undefined) report(joinPath(path, 'timeout'), why);
  }
  strs(rule.spaceDelimitedClaims).forEach((v, i) => {
    if (v === '') report(joinPath(joinPath(path, 'spaceDelimitedClaims'), i), 'claim name must be non-empty string');
  });
  if (items(rule.spaceDelimitedClaims).length > 64) report(joinPath(path, 'spaceDelimitedClaims'), 'may not have more than 64 entries');
}

/** Why an inline JWKS is unusable: not JSON, no `keys` list, or a key without `kty`. */
export function jwksError(text: string): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const keys = asObject(v)?.keys;
  if (!Array.isArray(keys)) return 'expected a JSON object with a "keys" list';
  const bad = keys.findIndex((k) => typeof asObject(k)?.kty !== 'string');
  return bad >= 0 ? `keys[${bad}] has no "kty"` : undefined;
}

export function validateRequestAuthentication(spec: Record<string, unknown>, report: Report): void {
  checkSelector(spec, report);
  if (items(spec.jwtRules).length > 4096) report('spec.jwtRules', 'may not have more than 4096 rules');
  for (const [rule, path] of objects(spec.jwtRules, 'spec.jwtRules')) checkJwtRule(rule, path, report);
}
