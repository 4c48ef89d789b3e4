// Config stage: validates a RouteConfiguration (virtual hosts, routes, matches, redirects, direct responses).
import { validateDecorator, validateRouteTracing } from './tracing.js';
import type { DirectResponseAction, RedirectAction, Route, RouteAction, RouteConfiguration, VirtualHost } from './types.js';
import { Ctx, Msg, isObj } from './reader.js';
import { HEADER_EDIT_FIELDS, headerEdits, headerName, readDataSource, validateAdsConfigSource } from './common.js';
import { validateRegexRewrite } from './matchers.js';
import { validateRouteMatch } from './route-match.js';
import { ClusterRef, validateHashPolicy, validateRouteAction } from './route-action.js';
import { validateRetryPolicy } from './retry-policy.js';
import { validatePerFilterConfig } from './http-filters.js';
import { validateRateLimit } from './rate-limit.js';

export { validateRouteMatch };

const REDIRECT_CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const;

function validateRedirect(ctx: Ctx, raw: unknown, path: string): RedirectAction | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RedirectAction',
    fields: ['https_redirect', 'scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'regex_rewrite', 'response_code', 'strip_query'],
  });
  if (m === undefined) return undefined;
  const code = m.enumOr('response_code', Object.keys(REDIRECT_CODES) as (keyof typeof REDIRECT_CODES)[], 'MOVED_PERMANENTLY');
  const out: RedirectAction = { https_redirect: false, response_code: REDIRECT_CODES[code], strip_query: m.boolOr('strip_query', false) };
  const scheme = m.oneof(['https_redirect', 'scheme_redirect'], false);
  if (scheme === 'https_redirect') out.https_redirect = m.boolOr('https_redirect', false);
  if (scheme === 'scheme_redirect') out.scheme_redirect = m.reqStr('scheme_redirect').toLowerCase();
  const host = m.str('host_redirect');
  if (host !== undefined) out.host_redirect = host;
  const port = m.port('port_redirect');
  if (port !== undefined) out.port_redirect = port;
  switch (m.oneof(['path_redirect', 'prefix_rewrite', 'regex_rewrite'], false)) {
    case 'path_redirect':
      out.path_redirect = m.reqStr('path_redirect');
      break;
    case 'prefix_rewrite':
      out.prefix_rewrite = m.strOr('prefix_rewrite', '');
      break;
    case 'regex_rewrite': {
      const rr = m.msg('regex_rewrite', (r, p) => validateRegexRewrite(ctx, r, p));
      if (rr !== undefined) out.regex_rewrite = rr;
      break;
    }
  }
  return out;
}

function validateDirectResponse(ctx: Ctx, raw: unknown, path: string): DirectResponseAction | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.DirectResponseAction', fields: ['status', 'body'] });
  if (m === undefined) return undefined;
  if (!m.require('status')) return undefined;
  const status = m.num('status', { int: true, min: 200, max: 599 });
  if (status === undefined) return undefined;
  const out: DirectResponseAction = { status };
  const body = m.msg('body', (r, p) => readDataSource(ctx, r, p));
  if (body !== undefined) {
    // Envoy's default max_direct_response_body_size_bytes
    if (Buffer.byteLength(body) > 4096) m.err('body', `body is ${Buffer.byteLength(body)} bytes; the limit is 4096`);
    out.body = body;
  }
  return out;
}

export function validateRoute(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): Route | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.Route',
    fields: ['name', 'match', 'route', 'redirect', 'direct_response', 'typed_per_filter_config', 'metadata', 'decorator', 'tracing', ...HEADER_EDIT_FIELDS],
    ignored: ['stat_prefix'], // observability only
  });
  if (m === undefined) return undefined;
  m.require('match');
  const match = m.msg('match', (r, p) => validateRouteMatch(ctx, r, p));
  let action: Route['action'] | undefined;
  switch (m.oneof(['route', 'redirect', 'direct_response'], true, 'route')) {
    case 'route': {
      const a = m.msg('route', (r, p) => validateRouteAction(ctx, r, p, refs));
      if (a !== undefined) action = { kind: 'route', route: a };
      break;
    }
    case 'redirect': {
      const a = m.msg('redirect', (r, p) => validateRedirect(ctx, r, p));
      if (a !== undefined) action = { kind: 'redirect', redirect: a };
      break;
    }
    case 'direct_response': {
      const a = m.msg('direct_response', (r, p) => validateDirectResponse(ctx, r, p));
      if (a !== undefined) action = { kind: 'direct_response', direct_response: a };
      break;
    }
  }
  const edits = headerEdits(m);
  const perFilter = validatePerFilterConfig(m);
  const metadata = m.msg('metadata', (r, p) => validateFilterMetadata(ctx, r, p));
  if (match === undefined || action === undefined) return undefined;
  if (match.path_specifier.kind === 'connect_matcher' && action.kind === 'route' && !terminatesConnect(action.route)) {
    // Envoy would proxy the CONNECT request itself upstream; trellis only terminates it.
    m.err('route.upgrade_configs', 'a connect_matcher route needs upgrade_configs [{upgrade_type: CONNECT, connect_config: {}}]: trellis terminates CONNECT and does not proxy it upstream');
  }
  const out: Route = { name: m.strOr('name', ''), match, action, ...edits, typed_per_filter_config: perFilter };
  if (metadata !== undefined && Object.keys(metadata).length > 0) out.metadata = metadata;
  const decorator = m.msg('decorator', (r, p) => validateDecorator(ctx, r, p));
  if (decorator !== undefined) out.decorator = decorator;
  const tracing = m.msg('tracing', (r, p) => validateRouteTracing(ctx, r, p));
  if (tracing !== undefined) out.tracing = tracing;
  return out;
}

/** config.core.v3.Metadata: filter_metadata, the Structs filters read by their name (Lua's handle:metadata()). */
function validateFilterMetadata(ctx: Ctx, raw: unknown, path: string): Record<string, Record<string, unknown>> | undefined {
  // typed_filter_metadata (Any values) is for filters trellis does not have.
  const m = Msg.open(ctx, raw, path, { type: 'config.core.v3.Metadata', fields: ['filter_metadata'], ignored: ['typed_filter_metadata'] });
  if (m === undefined) return undefined;
  return m.map('filter_metadata', (_k, r, p) => {
    if (isObj(r)) return r;
    ctx.err(p, 'expected an object (a google.protobuf.Struct)');
    return undefined;
  });
}

/** CONNECT enabled on the route with connect_config, or turned off there (then the request gets 403 and never goes upstream). */
function terminatesConnect(a: RouteAction): boolean {
  const u = a.upgrade_configs.find((c) => c.upgrade_type === 'connect');
  return u !== undefined && (u.connect_config !== undefined || !u.enabled);
}

function validateDomain(ctx: Ctx, raw: unknown, path: string): string | undefined {
  if (typeof raw !== 'string' || raw === '') {
    ctx.err(path, `expected a non-empty domain, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  // Envoy allows "*" alone or one wildcard at the start or end
  const star = raw.indexOf('*');
  if (raw !== '*' && star !== -1 && (raw.indexOf('*', star + 1) !== -1 || (star !== 0 && star !== raw.length - 1))) {
    ctx.err(path, `domain "${raw}" may only have a wildcard "*" at its start or end`);
    return undefined;
  }
  return raw.toLowerCase();
}

export function validateVirtualHost(ctx: Ctx, raw: unknown, path: string, refs: ClusterRef[]): VirtualHost | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.VirtualHost',
    fields: ['name', 'domains', 'routes', 'require_tls', 'retry_policy', 'hash_policy', 'typed_per_filter_config', 'rate_limits', ...HEADER_EDIT_FIELDS],
    ignored: ['virtual_clusters', 'metadata'], // stats and metadata only
  });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  if (!m.has('domains')) m.err('domains', 'is required');
  const domains = m.list('domains', (r, p) => validateDomain(ctx, r, p));
  if (m.has('domains') && domains.length === 0 && m.rawList('domains')?.length === 0) {
    m.err('domains', 'must list at least one domain');
  }
  const out: VirtualHost = {
    name,
    domains,
    routes: m.list('routes', (r, p) => validateRoute(ctx, r, p, refs)),
    require_tls: m.enumOr('require_tls', ['NONE', 'EXTERNAL_ONLY', 'ALL'], 'NONE'),
    ...headerEdits(m),
    hash_policy: m.list('hash_policy', (r, p) => validateHashPolicy(ctx, r, p)),
    typed_per_filter_config: validatePerFilterConfig(m),
  };
  const rp = m.msg('retry_policy', (r, p) => validateRetryPolicy(ctx, r, p));
  if (rp !== undefined) out.retry_policy = rp;
  if (m.has('rate_limits')) out.rate_limits = m.list('rate_limits', (r, p) => validateRateLimit(ctx, r, p));
  return out;
}

function validateVhds(ctx: Ctx, raw: unknown, path: string): RouteConfiguration['vhds'] {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.Vhds', fields: ['config_source'] });
  if (m === undefined || !m.require('config_source')) return undefined;
  const source = m.msg('config_source', (r, p) => validateAdsConfigSource(ctx, r, p));
  return source === undefined ? undefined : { config_source: source };
}

/**
 * Validates a RouteConfiguration, recording every cluster name its routes refer to in `refs`. `vhds`: the route
 * configuration comes from RDS, where VHDS can add virtual hosts (an inline one has no subscription to add them).
 */
export function routeConfiguration(
  ctx: Ctx,
  raw: unknown,
  path: string,
  refs: ClusterRef[],
  opts: { vhds?: boolean } = {},
): { config: RouteConfiguration; validateClusters?: boolean } | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RouteConfiguration',
    fields: ['name', 'virtual_hosts', 'internal_only_headers', 'validate_clusters', 'vhds', ...HEADER_EDIT_FIELDS],
    ignored: ['metadata', 'max_direct_response_body_size_bytes'],
  });
  if (m === undefined) return undefined;
  let vhds: RouteConfiguration['vhds'];
  if (m.has('vhds') && opts.vhds !== true) m.err('vhds', 'VHDS needs a route configuration from RDS (over delta xDS); an inline route_config cannot use it');
  else if (m.has('vhds')) vhds = m.msg('vhds', (r, p) => validateVhds(ctx, r, p));
  const vhosts = m.list('virtual_hosts', (r, p) => validateVirtualHost(ctx, r, p, refs));
  // Envoy: names and domains must be unique across the virtual hosts of one route config
  const names = new Map<string, number>();
  const domains = new Map<string, string>();
  vhosts.forEach((vh, i) => {
    const at = `${m.at('virtual_hosts')}[${i}]`;
    if (vh.name !== '' && names.has(vh.name)) ctx.err(`${at}.name`, `duplicate virtual host name "${vh.name}"`);
    names.set(vh.name, i);
    vh.domains.forEach((d, j) => {
      const first = domains.get(d);
      if (first !== undefined) ctx.err(`${at}.domains[${j}]`, `domain "${d}" is already used by virtual host "${first}"; domains must be unique`);
      else domains.set(d, vh.name);
    });
  });
  const config: RouteConfiguration = {
    name: m.strOr('name', ''),
    virtual_hosts: vhosts,
    ...headerEdits(m),
    internal_only_headers: m.list('internal_only_headers', (r, p) => headerName(ctx, r, p)),
  };
  if (vhds !== undefined) config.vhds = vhds;
  const vc = m.bool('validate_clusters');
  return vc === undefined ? { config } : { config, validateClusters: vc };
}
