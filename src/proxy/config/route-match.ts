// Config stage: validates a RouteMatch; apart from route.ts so filters (jwt_authn rules) use it without the filter registry cycle.
import type { RouteMatch } from './types.js';
import { Ctx, Msg } from './reader.js';
import { validateRuntimeFraction } from './common.js';
import { validateHeaderMatcher, validateQueryParameterMatcher, validateRegexMatcher } from './matchers.js';

export function validateRouteMatch(ctx: Ctx, raw: unknown, path: string): RouteMatch | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.RouteMatch',
    fields: ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'case_sensitive', 'runtime_fraction', 'headers', 'query_parameters', 'grpc'],
  });
  if (m === undefined) return undefined;
  let spec: RouteMatch['path_specifier'] | undefined;
  const which = m.oneof(['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher'], true);
  switch (which) {
    case 'prefix':
    case 'path':
    case 'path_separated_prefix': {
      const v = m.str(which);
      if (v === undefined) break;
      if (which === 'path_separated_prefix' && (!v.startsWith('/') || (v.endsWith('/') && v !== '/') || /[?#]/.test(v))) {
        m.err(which, 'must start with "/", must not end with "/" and must not contain "?" or "#"');
      }
      spec = { kind: which, value: v };
      break;
    }
    case 'safe_regex': {
      const r = m.msg(which, (rr, p) => validateRegexMatcher(ctx, rr, p));
      if (r !== undefined) spec = { kind: 'safe_regex', regex: r };
      break;
    }
    case 'connect_matcher':
      if (Msg.open(ctx, m.raw(which), m.at(which), { type: 'config.route.v3.RouteMatch.ConnectMatcher', fields: [] }) !== undefined) spec = { kind: 'connect_matcher' };
      break;
  }
  if (m.has('grpc')) Msg.open(ctx, m.raw('grpc'), m.at('grpc'), { type: 'config.route.v3.RouteMatch.GrpcRouteMatchOptions', fields: [] });
  const out: RouteMatch = {
    path_specifier: spec ?? { kind: 'prefix', value: '' },
    case_sensitive: m.boolOr('case_sensitive', true),
    headers: m.list('headers', (r, p) => validateHeaderMatcher(ctx, r, p)),
    query_parameters: m.list('query_parameters', (r, p) => validateQueryParameterMatcher(ctx, r, p)),
    grpc: m.has('grpc'),
  };
  const rf = m.msg('runtime_fraction', (r, p) => validateRuntimeFraction(ctx, r, p));
  if (rf !== undefined) out.runtime_fraction = rf;
  return spec === undefined ? undefined : out;
}
