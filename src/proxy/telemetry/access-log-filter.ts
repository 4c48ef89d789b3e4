// Telemetry: compiles an AccessLogFilter once into a predicate over a finished (or locally answered) request.
import type { AccessLogFilter, ComparisonOp } from '../config/types.js';
import type { RuntimeSource } from '../runtime-config/snapshot.js';
import { DENOMINATOR_VALUE } from '../runtime-config/entry.js';
import { CompiledHeaderMatcher } from '../router/header-matcher.js';
import { RouteCompileError, type Errors } from '../router/compile-errors.js';
import { joinedHeader } from '../router/header-value.js';
import { grpcStatusForHttp } from '../http/local-reply.js';
import type { AccessLogEntry } from './access-log.js';
import { compileCelPredicate } from '../../common/cel.js';
import { celAttributes } from './cel-attributes.js';

export type EntryPredicate = (e: AccessLogEntry) => boolean;

export interface FilterEnv {
  /** Runtime overrides of comparison values and sampling percentages. */
  runtime?: RuntimeSource;
  random: () => number;
}

function compare(op: ComparisonOp, actual: number, want: number): boolean {
  return op === 'EQ' ? actual === want : op === 'GE' ? actual >= want : actual <= want;
}

/** The request value a HeaderFilter sees: pseudo-headers from the entry, others joined as Envoy does. */
function requestValue(e: AccessLogEntry, name: string): string | undefined {
  switch (name) {
    case ':path':
      return e.path;
    case ':method':
      return e.method;
    case ':authority':
    case 'host':
      return e.authority || joinedHeader(e.requestHeaders, 'host');
    default:
      return joinedHeader(e.requestHeaders, name);
  }
}

/** grpc-status from the trailers, then the headers; else inferred from the HTTP status (Envoy's getGrpcStatus). */
function grpcStatusOf(e: AccessLogEntry): number | undefined {
  const raw = joinedHeader(e.responseTrailers ?? {}, 'grpc-status') ?? joinedHeader(e.responseHeaders, 'grpc-status');
  if (raw !== undefined && /^\d+$/.test(raw.trim())) return Number(raw.trim());
  return e.responseCode > 0 ? grpcStatusForHttp(e.responseCode) : undefined;
}

/** Envoy's UUID request-id pivot: the first 8 hex digits of x-request-id, modulo the denominator. */
function requestIdPivot(e: AccessLogEntry, mod: number): number | undefined {
  const id = joinedHeader(e.requestHeaders, 'x-request-id');
  if (id === undefined || id.length < 8 || !/^[0-9a-fA-F]{8}/.test(id)) return undefined;
  return parseInt(id.slice(0, 8), 16) % mod;
}

function compile(f: AccessLogFilter, env: FilterEnv, path: string, errs: Errors): EntryPredicate {
  switch (f.kind) {
    case 'status_code':
    case 'duration': {
      const { op, default_value: dflt, runtime_key: key } = f;
      const want = env.runtime === undefined ? (): number => dflt : (): number => env.runtime!.snapshot().getInteger(key, dflt);
      return f.kind === 'status_code' ? (e) => compare(op, e.responseCode, want()) : (e) => compare(op, Math.trunc(e.durationMs), want());
    }
    case 'not_health_check':
      return () => true; // trellis has no health check filter, so no request is a health check
    case 'runtime': {
      const den = DENOMINATOR_VALUE[f.denominator];
      const dflt = { numerator: f.numerator, denominator: f.denominator };
      const draw = (): number => Math.floor(env.random() * 0x1_0000_0000);
      return (e) => {
        const r = f.use_independent_randomness ? draw() : (requestIdPivot(e, den) ?? draw());
        if (env.runtime === undefined) return r % den < f.numerator;
        return env.runtime.snapshot().featureEnabled(f.runtime_key, dflt, r);
      };
    }
    case 'and':
    case 'or': {
      const parts = f.filters.map((x, i) => compile(x, env, `${path}.${f.kind}_filter.filters[${i}]`, errs));
      return f.kind === 'and' ? (e) => parts.every((p) => p(e)) : (e) => parts.some((p) => p(e));
    }
    case 'header': {
      const m = new CompiledHeaderMatcher(f.header, `${path}.header_filter.header`, errs);
      return (e) => m.matchValue(requestValue(e, m.name));
    }
    case 'response_flag': {
      const want = new Set(f.flags);
      return (e) => {
        if (e.responseFlags === '' || e.responseFlags === '-') return false;
        return want.size === 0 || e.responseFlags.split(',').some((x) => want.has(x));
      };
    }
    case 'grpc_status': {
      const set = new Set(f.statuses);
      return (e) => set.has(grpcStatusOf(e) ?? 2 /* UNKNOWN */) !== f.exclude;
    }
    case 'cel': {
      const run = compileCelPredicate(f.expression);
      return (e) => run(celAttributes(e));
    }
  }
}

/** Compiles a filter (header regexes included); throws RouteCompileError listing what cannot compile. */
export function compileAccessLogFilter(f: AccessLogFilter, env: FilterEnv, path = 'filter'): EntryPredicate {
  const errs: Errors = [];
  const p = compile(f, env, path, errs);
  if (errs.length > 0) throw new RouteCompileError(errs);
  return p;
}
