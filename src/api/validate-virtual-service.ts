// API stage: VirtualService rules beyond shape (Istio webhook equivalents): hosts, gateways, routes, weights, retries, faults, rewrites, CORS.
import {
  asObject,
  checkDuration,
  checkHeaderName,
  checkHost,
  checkLabels,
  checkRegexRewrite,
  checkStringMatch,
  checkDns1123Label,
  field,
  isSet,
  items,
  joinPath,
  objects,
  type Report,
} from './rules.js';
import { hostCovers } from './hosts.js';

// Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on conditions; Istio also accepts bare HTTP status codes.
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const GRPC_STATUS = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
]);

export function validateVirtualService(spec: Record<string, unknown>, report: Report): void {
  const hosts = items(spec.hosts);
  const gateways = items(spec.gateways).filter((g): g is string => typeof g === 'string');
  // A VirtualService without hosts is a delegate, only reachable through another one's `delegate`.
  const isDelegate = hosts.length === 0;
  const onMesh = gateways.length === 0 || gateways.includes('mesh');

  if (isDelegate && gateways.length > 0) report('spec.gateways', 'a delegate VirtualService (one without hosts) must not set gateways');
  hosts.forEach((h, i) => {
    const p = joinPath('spec.hosts', i);
    checkHost(h, p, report, { allowWildcard: true, allowIP: true });
    if (h === '*' && onMesh) report(p, 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
  });
  gateways.forEach((g, i) => checkGatewayRef(g, joinPath('spec.gateways', i), report));

  const http = objects(spec.http, 'spec.http');
  const tcp = objects(spec.tcp, 'spec.tcp');
  const tls = objects(spec.tls, 'spec.tls');
  if (http.length === 0 && tcp.length === 0 && tls.length === 0) report('spec', 'http, tcp or tls must be provided in virtual service');
  if (isDelegate && (tcp.length > 0 || tls.length > 0)) report('spec', 'a delegate VirtualService supports only http routes');

  for (const [route, p] of http) validateHttpRoute(route, p, report, isDelegate);
  for (const [route, p] of tcp) validateL4Route(route, p, 'TCP', report);
  const vsHosts = hosts.filter((h): h is string => typeof h === 'string');
  for (const [route, p] of tls) {
    for (const [m, mp] of objects(route.match, joinPath(p, 'match'))) {
      if (items(m.sniHosts).length === 0) report(joinPath(mp, 'sniHosts'), 'TLS match must have at least one SNI host');
      items(m.sniHosts).forEach((h, i) => {
        const hp = joinPath(joinPath(mp, 'sniHosts'), i);
        checkHost(h, hp, report);
        // Istio: the SNI names a rule routes must lie within the VirtualService's own hosts
        if (typeof h === 'string' && !isDelegate && !vsHosts.some((vh) => hostCovers(vh, h))) {
          report(hp, `SNI host "${h}" is not a compatible subset of any of the virtual service hosts: [${vsHosts.join(', ')}]`);
        }
      });
    }
    validateL4Route(route, p, 'TLS', report);
  }
}

/** What tcp and tls rules share: match blocks (labels, gateway names), at least one destination, valid destinations, weights. */
function validateL4Route(route: Record<string, unknown>, p: string, kind: 'TCP' | 'TLS', report: Report): void {
  for (const [m, mp] of objects(route.match, joinPath(p, 'match'))) {
    checkLabels(m.sourceLabels, joinPath(mp, 'sourceLabels'), report);
    items(m.gateways).forEach((g, i) => typeof g === 'string' && checkGatewayRef(g, joinPath(joinPath(mp, 'gateways'), i), report));
  }
  if (items(route.route).length === 0) report(joinPath(p, 'route'), `${kind} route must have at least one destination`);
  for (const [d, dp] of objects(route.route, joinPath(p, 'route'))) validateDestination(d.destination, joinPath(dp, 'destination'), report);
  validateWeights(route.route, joinPath(p, 'route'), report);
}

/** `name`, `namespace/name` or the reserved `mesh`. */
function checkGatewayRef(g: string, path: string, report: Report): void {
  if (g === 'mesh') return;
  const parts = g.split('/');
  if (parts.length > 2 || parts.some((s) => s === '' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s))) {
    report(path, `invalid gateway name "${g}" (expected "name", "namespace/name" or "mesh")`);
  }
}

function validateHttpRoute(r: Record<string, unknown>, p: string, report: Report, inDelegate: boolean): void {
  const has = (k: string): boolean => isSet(r[k]);
  if (!has('route') && !has('redirect') && !has('directResponse') && !has('delegate')) {
    report(p, 'HTTP route, redirect, direct response or delegate is required');
  }
  if (has('delegate') && inDelegate) report(joinPath(p, 'delegate'), 'a delegate VirtualService cannot delegate again');
  if (has('redirect') && has('rewrite')) report(joinPath(p, 'rewrite'), 'rewrite may not be combined with redirect');
  if (has('directResponse') && (has('rewrite') || has('retries') || has('mirror') || has('mirrors') || has('fault'))) {
    report(joinPath(p, 'directResponse'), 'directResponse may not be combined with rewrite, retries, mirror or fault');
  }
  if (has('route') && items(r.route).length === 0) report(joinPath(p, 'route'), 'route must have at least one destination');

  const merged = inDelegate || has('delegate');
  for (const [m, mp] of objects(r.match, joinPath(p, 'match'))) {
    validateMatch(m, mp, report);
    if (merged) rejectRegex(m, mp, report);
  }
  for (const [d, dp] of objects(r.route, joinPath(p, 'route'))) {
    validateDestination(d.destination, joinPath(dp, 'destination'), report);
    validateHeaders(d.headers, joinPath(dp, 'headers'), report);
  }
  validateWeights(r.route, joinPath(p, 'route'), report);
  validateHeaders(r.headers, joinPath(p, 'headers'), report);

  const redirect = asObject(r.redirect);
  if (redirect && typeof redirect.redirectCode === 'number' && !REDIRECT_CODES.has(redirect.redirectCode)) {
    report(joinPath(p, 'redirect.redirectCode'), `${redirect.redirectCode} is not a valid redirect code, must be 301, 302, 303, 307, or 308`);
  }
  if (redirect && !isSet(redirect.uri) && !isSet(redirect.authority) && !isSet(redirect.scheme) && !isSet(redirect.port) && !isSet(redirect.derivePort)) {
    report(joinPath(p, 'redirect'), 'redirect must specify uri, authority, scheme, port or derivePort');
  }
  const direct = asObject(r.directResponse);
  if (direct && typeof direct.status === 'number' && (direct.status < 200 || direct.status > 599)) {
    report(joinPath(p, 'directResponse.status'), `status must be in the range 200-599, got ${direct.status}`);
  }
  const rewrite = asObject(r.rewrite);
  if (rewrite) {
    if (!isSet(rewrite.uri) && !isSet(rewrite.authority) && !isSet(rewrite.uriRegexRewrite)) report(joinPath(p, 'rewrite'), 'rewrite must specify uri, authority or uriRegexRewrite');
    checkRegexRewrite(rewrite.uriRegexRewrite, joinPath(p, 'rewrite.uriRegexRewrite'), report);
  }
  checkDuration(r.timeout, joinPath(p, 'timeout'), report);
  validateRetries(r.retries, joinPath(p, 'retries'), report);
  validateFault(r.fault, joinPath(p, 'fault'), report);
  if (isSet(r.mirror)) validateDestination(r.mirror, joinPath(p, 'mirror'), report);
  for (const [m, mp] of objects(r.mirrors, joinPath(p, 'mirrors'))) validateDestination(m.destination, joinPath(mp, 'destination'), report);
  validateCors(r.corsPolicy, joinPath(p, 'corsPolicy'), report);
}

function validateMatch(m: Record<string, unknown>, p: string, report: Report): void {
  for (const k of ['uri', 'scheme', 'method', 'authority']) if (isSet(m[k])) checkStringMatch(m[k], joinPath(p, k), report);
  // Header and query matches may be empty: `{}` means "present" in Istio.
  for (const k of ['headers', 'queryParams', 'withoutHeaders']) {
    const map = asObject(m[k]);
    for (const [name, sm] of Object.entries(map ?? {})) {
      const fp = joinPath(joinPath(p, k), name);
      if (k !== 'queryParams') checkHeaderName(name, fp, report);
      checkStringMatch(sm, fp, report, true);
    }
  }
  checkLabels(m.sourceLabels, joinPath(p, 'sourceLabels'), report);
  items(m.gateways).forEach((g, i) => typeof g === 'string' && checkGatewayRef(g, joinPath(joinPath(p, 'gateways'), i), report));
}

/** Istio merges root and delegate match blocks by string containment, which a regex defeats: rejected on both sides. */
function rejectRegex(m: Record<string, unknown>, p: string, report: Report): void {
  const why = 'regex match is not supported in routes that delegate or are delegated to';
  for (const k of ['uri', 'scheme', 'method', 'authority']) if (isSet(field(m[k], 'regex'))) report(joinPath(joinPath(p, k), 'regex'), why);
  for (const k of ['headers', 'queryParams', 'withoutHeaders']) {
    for (const [name, sm] of Object.entries(asObject(m[k]) ?? {})) {
      if (isSet(field(sm, 'regex'))) report(joinPath(joinPath(joinPath(p, k), name), 'regex'), why);
    }
  }
}

export function validateDestination(d: unknown, p: string, report: Report): void {
  const o = asObject(d);
  if (!o) return;
  if (o.host === '*') report(joinPath(p, 'host'), 'invalid destination host *');
  else checkHost(o.host, joinPath(p, 'host'), report, { allowWildcard: true, allowIP: true });
  checkDns1123Label(o.subset, joinPath(p, 'subset'), report, 'subset name');
}

/**
 * Istio's rule: with more than one destination the weights must sum to 100; leaving every weight
 * out is also accepted (equal split). Reported on the last destination's weight, where the total is known.
 */
function validateWeights(route: unknown, p: string, report: Report): void {
  const dests = objects(route, p);
  if (dests.length < 2) return;
  const weights = dests.map(([d]) => d.weight);
  if (weights.every((w) => !isSet(w))) return;
  weights.forEach((w, i) => {
    if (typeof w === 'number' && w > 100) report(joinPath(joinPath(p, i), 'weight'), `weight must be between 0 and 100, got ${w}`);
  });
  const total = weights.reduce<number>((s, w) => s + (typeof w === 'number' ? w : 0), 0);
  if (total !== 100) report(joinPath(dests[dests.length - 1]![1], 'weight'), `weights must sum to 100, got ${total}`);
}

function validateHeaders(h: unknown, p: string, report: Report): void {
  for (const dir of ['request', 'response']) {
    const ops = asObject(field(h, dir));
    if (!ops) continue;
    const dp = joinPath(p, dir);
    for (const op of ['set', 'add']) for (const name of Object.keys(asObject(ops[op]) ?? {})) checkHeaderName(name, joinPath(joinPath(dp, op), name), report);
    items(ops.remove).forEach((name, i) => typeof name === 'string' && checkHeaderName(name, joinPath(joinPath(dp, 'remove'), i), report));
  }
}

function validateRetries(v: unknown, p: string, report: Report): void {
  const r = asObject(v);
  if (!r) return;
  checkDuration(r.perTryTimeout, joinPath(p, 'perTryTimeout'), report);
  if (typeof r.retryOn === 'string') {
    for (const token of r.retryOn.split(',').map((t) => t.trim())) {
      if (token === '') continue;
      const isStatus = /^\d{3}$/.test(token) && Number(token) >= 100 && Number(token) <= 599;
      if (!isStatus && !RETRY_ON.has(token)) report(joinPath(p, 'retryOn'), `"${token}" is not a valid retryOn policy`);
    }
  }
}

function validateFault(v: unknown, p: string, report: Report): void {
  const delay = asObject(field(v, 'delay'));
  if (delay) {
    checkDuration(delay.fixedDelay, joinPath(p, 'delay.fixedDelay'), report);
    if (isSet(delay.exponentialDelay)) report(joinPath(p, 'delay.exponentialDelay'), 'exponentialDelay is not supported');
  }
  const abort = asObject(field(v, 'abort'));
  if (abort) {
    if (typeof abort.httpStatus === 'number' && (abort.httpStatus < 200 || abort.httpStatus > 599)) {
      report(joinPath(p, 'abort.httpStatus'), `httpStatus must be in the range 200-599, got ${abort.httpStatus}`);
    }
    if (typeof abort.grpcStatus === 'string' && !GRPC_STATUS.has(abort.grpcStatus)) {
      report(joinPath(p, 'abort.grpcStatus'), `"${abort.grpcStatus}" is not a gRPC status name (e.g. UNAVAILABLE)`);
    }
    if (isSet(abort.http2Error)) report(joinPath(p, 'abort.http2Error'), 'http2Error is not supported');
  }
}

function validateCors(v: unknown, p: string, report: Report): void {
  const c = asObject(v);
  if (!c) return;
  objects(c.allowOrigins, joinPath(p, 'allowOrigins')).forEach(([m, mp]) => checkStringMatch(m, mp, report));
  items(c.allowMethods).forEach((m, i) => {
    if (typeof m === 'string' && !METHODS.has(m)) report(joinPath(joinPath(p, 'allowMethods'), i), `"${m}" is not a valid HTTP method`);
  });
  for (const k of ['allowHeaders', 'exposeHeaders']) {
    items(c[k]).forEach((h, i) => typeof h === 'string' && h !== '*' && checkHeaderName(h, joinPath(joinPath(p, k), i), report));
  }
  // maxAge 0s is meaningful for CORS (no preflight caching), so only the syntax is checked.
  checkDuration(c.maxAge, joinPath(p, 'maxAge'), report, 0);
}
