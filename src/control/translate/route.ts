// Translate stage: an Istio VirtualService's http[] → Envoy routes (match, action, retries, timeout, fault, cors, mirror, headers), and the default route.
import type { HTTPMirrorPolicy, HTTPRoute, VirtualService } from '../../api/types.js';
import { durationJson, fractionalPercent, istioConfigMetadata, istioDuration } from './envoy.js';
import { type DestContext, clusterSpecifier, hashPolicy, headerEdits, resolveDestination } from './destinations.js';
import { faultConfig } from './fault.js';
import { corsConfig } from './cors.js';
import { effectiveHttpRoutes } from './delegate.js';
import { CORS_FILTER, FAULT_FILTER, type Json } from './generator.js';
import { type MatchScope, isCatchAll, matchApplies, routeMatch } from './match.js';
import { defaultRetryPolicy, retryPolicy } from './retry.js';

export interface RouteContext extends DestContext {
  /** 'mesh', or 'ns/name' of the gateway being built. */
  gateway: string;
  /** The port `match.port` is compared with when it differs from the destination-resolution port (a gateway's server port). */
  matchPort?: number;
}

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

function mirrors(http: HTTPRoute, ctx: RouteContext): Json[] {
  const list: HTTPMirrorPolicy[] = [...(http.mirrors ?? [])];
  if (http.mirror !== undefined) {
    const pct = http.mirrorPercentage?.value ?? http.mirrorPercent;
    list.unshift(pct !== undefined ? { destination: http.mirror, percentage: { value: pct } } : { destination: http.mirror });
  }
  const out: Json[] = [];
  for (const m of list) {
    const pct = m.percentage?.value;
    if (pct !== undefined && pct <= 0) continue; // Istio: 0% disables the mirror
    const policy: Json = { cluster: resolveDestination(m.destination, ctx).cluster };
    if (pct !== undefined && pct < 100) policy.runtime_fraction = { default_value: fractionalPercent(pct) };
    out.push(policy);
  }
  return out;
}

function redirect(http: HTTPRoute): Json | undefined {
  const r = http.redirect;
  if (r === undefined) return undefined;
  const out: Json = {};
  if (r.scheme !== undefined) out.scheme_redirect = r.scheme;
  if (r.authority !== undefined) out.host_redirect = r.authority;
  if (r.port !== undefined) out.port_redirect = r.port;
  if (r.uri !== undefined) out.path_redirect = r.uri;
  out.response_code = REDIRECT_CODES[r.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY';
  return out;
}

function directResponse(http: HTTPRoute): Json | undefined {
  const d = http.directResponse;
  if (d === undefined) return undefined;
  const out: Json = { status: d.status };
  if (d.body?.string !== undefined) out.body = { inline_string: d.body.string };
  else if (d.body?.bytes !== undefined) out.body = { inline_bytes: d.body.bytes };
  return out;
}

/** The `route:` action of an http entry that forwards. */
function routeAction(http: HTTPRoute, ctx: RouteContext): { action: Json; headers: Json } {
  const { spec, hash, headers } = clusterSpecifier(http.route ?? [], ctx);
  const a: Json = { ...spec };
  const rw = http.rewrite;
  if (rw?.uriRegexRewrite !== undefined) a.regex_rewrite = { pattern: { regex: rw.uriRegexRewrite.match }, substitution: rw.uriRegexRewrite.rewrite };
  else if (rw?.uri !== undefined) a.prefix_rewrite = rw.uri;
  if (rw?.authority !== undefined) a.host_rewrite_literal = rw.authority;
  // Istio: no timeout means none (0s), not Envoy's 15s default
  const timeout = istioDuration(http.timeout) ?? durationJson(0);
  a.timeout = timeout;
  // grpc-js-xds ignores the route timeout and applies max_stream_duration instead
  if (ctx.proxy.type === 'proxyless' && timeout !== '0s') a.max_stream_duration = { max_stream_duration: timeout };
  const retry = retryPolicy(http.retries);
  if (retry !== undefined) a.retry_policy = retry;
  const m = mirrors(http, ctx);
  if (m.length > 0) a.request_mirror_policies = m;
  if (hash.length > 0) a.hash_policy = hash;
  return { action: a, headers };
}

function mergeEdits(a: Json, b: Json): Json {
  const out: Json = {};
  for (const k of ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove']) {
    const list = [...((a[k] as Json[] | undefined) ?? []), ...((b[k] as Json[] | undefined) ?? [])];
    if (list.length > 0) out[k] = list;
  }
  return out;
}

/** One Envoy route for one applicable match block; undefined when the http entry has nothing to do (no route/redirect/directResponse). */
function buildRoute(http: HTTPRoute, matchName: string | undefined, match: Json, ctx: RouteContext): Json | undefined {
  const name = [http.name, matchName].filter((s) => s !== undefined && s !== '').join('.');
  const out: Json = { name, match };
  let destHeaders: Json = {};
  const dr = directResponse(http);
  const rd = redirect(http);
  if (dr !== undefined) out.direct_response = dr;
  else if (rd !== undefined) out.redirect = rd;
  else if ((http.route?.length ?? 0) > 0) {
    const { action, headers } = routeAction(http, ctx);
    out.route = action;
    destHeaders = headers;
  } else return undefined;
  Object.assign(out, mergeEdits(headerEdits(http.headers), destHeaders));
  const perFilter: Json = {};
  const fault = faultConfig(http.fault);
  if (fault !== undefined) perFilter[FAULT_FILTER] = fault;
  // gRPC proxyless clients have no CORS filter (and would NACK its config); browsers do not talk to them
  const cors = ctx.proxy.type === 'proxyless' ? undefined : corsConfig(http.corsPolicy);
  if (cors !== undefined) perFilter[CORS_FILTER] = cors;
  if (Object.keys(perFilter).length > 0) out.typed_per_filter_config = perFilter;
  return out;
}

/**
 * A VirtualService's http routes for one vhost, in order (delegate entries expanded first): each applicable match
 * block becomes a route (blocks ORed, conditions ANDed). After a catch-all nothing can match, so translation stops there (as Istio does).
 */
export function virtualServiceRoutes(vs: VirtualService, ctx: RouteContext): Json[] {
  const scope: MatchScope = { proxy: ctx.proxy, gateway: ctx.gateway, vsNamespace: vs.metadata.namespace, port: ctx.matchPort ?? ctx.port };
  const out: Json[] = [];
  for (const http of effectiveHttpRoutes(vs, ctx.snap)) {
    const blocks = http.match === undefined || http.match.length === 0 ? [undefined] : http.match.filter((m) => matchApplies(m, scope));
    if (blocks.length === 0) continue;
    let catchAll = false;
    for (const m of blocks) {
      const r = buildRoute(http, m?.name, routeMatch(m), ctx);
      if (r !== undefined) out.push({ ...r, metadata: istioConfigMetadata('virtual-service', vs) });
      catchAll ||= isCatchAll(m);
    }
    if (catchAll) break;
  }
  return out;
}

/** The route of a service port without a VirtualService: everything to `outbound|port||host`, Istio's default retries, no timeout. */
export function defaultRoute(cluster: string, host: string, port: number, ctx: DestContext): Json {
  const action: Json = { cluster, timeout: '0s', retry_policy: defaultRetryPolicy() };
  const hash = hashPolicy({ cluster, host, port, subset: '' }, ctx);
  if (hash.length > 0) action.hash_policy = hash;
  return { name: 'default', match: { prefix: '/' }, route: action };
}
