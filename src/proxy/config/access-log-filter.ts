// Config stage: validates config.accesslog.v3.AccessLogFilter (access_log `filter`, local reply mapper `filter`).
import type { AccessLogFilter } from './types.js';
import { Ctx, Msg, isObj, join, jsonName, typeName, unpackAny } from './reader.js';
import { validateHeaderMatcher } from './matchers.js';
import { celExpressionError } from '../../common/cel.js';

/** The short flags ResponseFlagFilter accepts (Envoy's list in accesslog.proto). */
export const RESPONSE_FLAGS = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE', 'UMSDR',
  'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR',
] as const;

/** google.rpc codes by name, as GrpcStatusFilter.Status spells them. */
const GRPC_STATUSES = [
  'OK', 'CANCELED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

const KINDS = [
  'status_code_filter', 'duration_filter', 'not_health_check_filter', 'runtime_filter', 'and_filter', 'or_filter', 'header_filter',
  'response_flag_filter', 'grpc_status_filter', 'extension_filter',
] as const;
/** Envoy filters trellis cannot evaluate (no tracing decision, no dynamic metadata in logs): rejected by name. */
const UNSUPPORTED = ['traceable_filter', 'metadata_filter', 'log_type_filter'];

export const CEL_FILTER_NAME = 'envoy.access_loggers.extension_filters.cel';
export const CEL_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';

/** ExtensionFilter: the CEL expression filter is the one extension trellis has. */
function extensionFilter(ctx: Ctx, raw: unknown, path: string): AccessLogFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.accesslog.v3.ExtensionFilter', fields: ['name', 'typed_config'] });
  if (m === undefined || !m.require('typed_config')) return undefined;
  const any = unpackAny(ctx, m.raw('typed_config'), m.at('typed_config'));
  if (any === undefined) return undefined;
  if (any.typeUrl !== CEL_FILTER_TYPE) {
    ctx.err(join(m.at('typed_config'), '@type'), `access log extension filter ${typeName(any.typeUrl)} is not supported by trellis; supported: ${CEL_FILTER_NAME} (${typeName(CEL_FILTER_TYPE)})`);
    return undefined;
  }
  const e = Msg.open(ctx, any.body, any.path, { type: 'extensions.access_loggers.filters.cel.v3.ExpressionFilter', fields: ['expression'] });
  if (e === undefined) return undefined;
  const expression = e.reqStr('expression');
  if (expression === '') return undefined;
  const why = celExpressionError(expression);
  if (why !== undefined) {
    e.err('expression', why);
    return undefined;
  }
  return { kind: 'cel', expression };
}

type Comparison = Extract<AccessLogFilter, { op: unknown }>;

function comparison(ctx: Ctx, raw: unknown, path: string, kind: Comparison['kind'], type: string): Comparison | undefined {
  const m = Msg.open(ctx, raw, path, { type, fields: ['comparison'] });
  if (m === undefined || !m.require('comparison')) return undefined;
  return m.msg('comparison', (r, p) => {
    const c = Msg.open(ctx, r, p, { type: 'config.accesslog.v3.ComparisonFilter', fields: ['op', 'value'] });
    if (c === undefined) return undefined;
    const op = c.enumOr('op', ['EQ', 'GE', 'LE'], 'EQ');
    if (!c.require('value')) return undefined;
    return c.msg('value', (vr, vp) => {
      const v = Msg.open(ctx, vr, vp, { type: 'config.core.v3.RuntimeUInt32', fields: ['default_value', 'runtime_key'] });
      if (v === undefined) return undefined;
      const dflt = v.numOr('default_value', 0, { int: true, min: 0, max: 4294967295 });
      const key = v.reqStr('runtime_key');
      return { kind, op, default_value: dflt, runtime_key: key };
    });
  });
}

function runtimeFilter(ctx: Ctx, raw: unknown, path: string): AccessLogFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.accesslog.v3.RuntimeFilter', fields: ['runtime_key', 'percent_sampled', 'use_independent_randomness'] });
  if (m === undefined) return undefined;
  const key = m.reqStr('runtime_key');
  let numerator = 0;
  let denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION' = 'HUNDRED';
  m.msg('percent_sampled', (r, p) => {
    const f = Msg.open(ctx, r, p, { type: 'type.v3.FractionalPercent', fields: ['numerator', 'denominator'] });
    numerator = f?.numOr('numerator', 0, { int: true, min: 0, max: 4294967295 }) ?? 0;
    denominator = f?.enumOr('denominator', ['HUNDRED', 'TEN_THOUSAND', 'MILLION'], 'HUNDRED') ?? 'HUNDRED';
    return undefined;
  });
  return { kind: 'runtime', runtime_key: key, numerator, denominator, use_independent_randomness: m.boolOr('use_independent_randomness', false) };
}

function logical(ctx: Ctx, raw: unknown, path: string, kind: 'and' | 'or'): AccessLogFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: `config.accesslog.v3.${kind === 'and' ? 'And' : 'Or'}Filter`, fields: ['filters'] });
  if (m === undefined) return undefined;
  const n = m.rawList('filters')?.length ?? 0;
  const filters = m.list('filters', (r, p) => validateAccessLogFilter(ctx, r, p));
  if (n < 2) m.err('filters', `${kind}_filter needs at least 2 filters (got ${n})`);
  return filters.length === n && n >= 2 ? { kind, filters } : undefined;
}

export function validateAccessLogFilter(ctx: Ctx, raw: unknown, path: string): AccessLogFilter | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.accesslog.v3.AccessLogFilter', fields: [...KINDS] });
  if (m === undefined) return undefined;
  // an unsupported kind was reported by name when opening; "one of … is required" would only repeat it
  if (isObj(raw) && UNSUPPORTED.some((f) => f in raw || jsonName(f) in raw)) return undefined;
  const which = m.oneof(KINDS, true);
  switch (which) {
    case 'status_code_filter':
      return m.msg(which, (r, p) => comparison(ctx, r, p, 'status_code', 'config.accesslog.v3.StatusCodeFilter'));
    case 'duration_filter':
      return m.msg(which, (r, p) => comparison(ctx, r, p, 'duration', 'config.accesslog.v3.DurationFilter'));
    case 'not_health_check_filter':
      Msg.open(ctx, m.raw(which), m.at(which), { type: 'config.accesslog.v3.NotHealthCheckFilter', fields: [] });
      return { kind: 'not_health_check' };
    case 'runtime_filter':
      return m.msg(which, (r, p) => runtimeFilter(ctx, r, p));
    case 'and_filter':
      return m.msg(which, (r, p) => logical(ctx, r, p, 'and'));
    case 'or_filter':
      return m.msg(which, (r, p) => logical(ctx, r, p, 'or'));
    case 'header_filter':
      return m.msg(which, (r, p) => {
        const h = Msg.open(ctx, r, p, { type: 'config.accesslog.v3.HeaderFilter', fields: ['header'] });
        if (h === undefined || !h.require('header')) return undefined;
        const header = h.msg('header', (hr, hp) => validateHeaderMatcher(ctx, hr, hp));
        return header === undefined ? undefined : { kind: 'header', header };
      });
    case 'response_flag_filter':
      return m.msg(which, (r, p) => {
        const f = Msg.open(ctx, r, p, { type: 'config.accesslog.v3.ResponseFlagFilter', fields: ['flags'] });
        if (f === undefined) return undefined;
        const flags = f.strList('flags');
        flags.forEach((x, i) => {
          if (!(RESPONSE_FLAGS as readonly string[]).includes(x)) ctx.err(`${f.at('flags')}[${i}]`, `unknown response flag "${x}"; expected one of ${RESPONSE_FLAGS.join(', ')}`);
        });
        return { kind: 'response_flag', flags };
      });
    case 'grpc_status_filter':
      return m.msg(which, (r, p) => {
        const g = Msg.open(ctx, r, p, { type: 'config.accesslog.v3.GrpcStatusFilter', fields: ['statuses', 'exclude'] });
        if (g === undefined) return undefined;
        const statuses = g.list('statuses', (sr, sp) => {
          if (typeof sr === 'number' && Number.isInteger(sr) && sr >= 0 && sr < GRPC_STATUSES.length) return sr;
          const i = typeof sr === 'string' ? GRPC_STATUSES.indexOf(sr.toUpperCase() as (typeof GRPC_STATUSES)[number]) : -1;
          if (i < 0) ctx.err(sp, `unknown gRPC status ${JSON.stringify(sr)}; expected one of ${GRPC_STATUSES.join(', ')}`);
          return i < 0 ? undefined : i;
        });
        return { kind: 'grpc_status', statuses, exclude: g.boolOr('exclude', false) };
      });
    case 'extension_filter':
      return m.msg(which, (r, p) => extensionFilter(ctx, r, p));
    default:
      return undefined;
  }
}
