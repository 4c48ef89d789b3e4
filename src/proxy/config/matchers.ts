// Config stage: validators for Envoy's string, regex, header and query-parameter matchers.
import type { HeaderMatcher, QueryParameterMatcher, RegexRewrite, StringMatcher } from './types.js';
import { Ctx, Msg, join, readNum } from './reader.js';
import { headerName } from './common.js';
import { Re2 } from '../../common/re2.js';
import { Rewrite } from '../../common/re2-rewrite.js';

/** Envoy's regexes are RE2: one that RE2 rejects (back-references, look-around, bad syntax) is a config error here. */
export function checkRegex(ctx: Ctx, regex: string, path: string): Re2 | undefined {
  const re = Re2.compile(regex);
  if (typeof re !== 'string') return re;
  ctx.err(path, re);
  return undefined;
}

/** type.matcher.v3.RegexMatcher -> the regex source. */
export function validateRegexMatcher(ctx: Ctx, raw: unknown, path: string): string | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'type.matcher.v3.RegexMatcher',
    fields: ['regex'],
    ignored: ['google_re2'], // deprecated engine selector; RE2 is the only engine
  });
  if (m === undefined) return undefined;
  const r = m.reqStr('regex');
  if (r === '' || checkRegex(ctx, r, m.at('regex')) === undefined) return undefined;
  return r;
}

export function validateRegexRewrite(ctx: Ctx, raw: unknown, path: string): RegexRewrite | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.RegexMatchAndSubstitute', fields: ['pattern', 'substitution'] });
  if (m === undefined) return undefined;
  m.require('pattern');
  const pattern = m.msg('pattern', (r, p) => validateRegexMatcher(ctx, r, p));
  const substitution = m.strOr('substitution', '');
  if (pattern === undefined) return undefined;
  const rw = Rewrite.parse(substitution, Re2.mustCompile(pattern).groupCount);
  if (typeof rw === 'string') {
    m.err('substitution', rw);
    return undefined;
  }
  return { pattern, substitution };
}

export function validateStringMatcher(ctx: Ctx, raw: unknown, path: string): StringMatcher | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'type.matcher.v3.StringMatcher',
    fields: ['exact', 'prefix', 'suffix', 'safe_regex', 'contains', 'ignore_case'],
  });
  if (m === undefined) return undefined;
  const ignore_case = m.boolOr('ignore_case', false);
  const kind = m.oneof(['exact', 'prefix', 'suffix', 'contains', 'safe_regex'], true);
  switch (kind) {
    case 'safe_regex': {
      const regex = m.msg('safe_regex', (r, p) => validateRegexMatcher(ctx, r, p));
      return regex === undefined ? undefined : { kind, regex, ignore_case };
    }
    case 'exact':
    case 'prefix':
    case 'suffix':
    case 'contains': {
      const value = m.str(kind);
      if (value === undefined) return undefined;
      if (value === '' && kind !== 'exact') m.err(kind, 'must not be empty');
      return { kind, value, ignore_case }; // value kept as given even with ignore_case
    }
    default:
      return undefined;
  }
}

export function validateHeaderMatcher(ctx: Ctx, raw: unknown, path: string): HeaderMatcher | undefined {
  const m = Msg.open(ctx, raw, path, {
    type: 'config.route.v3.HeaderMatcher',
    fields: [
      'name',
      'exact_match',
      'safe_regex_match',
      'range_match',
      'present_match',
      'prefix_match',
      'suffix_match',
      'contains_match',
      'string_match',
      'invert_match',
      'treat_missing_header_as_empty',
    ],
  });
  if (m === undefined) return undefined;
  if (!m.require('name')) return undefined;
  const name = headerName(ctx, m.raw('name'), m.at('name'));
  const out: HeaderMatcher = {
    name: name ?? '',
    invert_match: m.boolOr('invert_match', false),
    treat_missing_header_as_empty: m.boolOr('treat_missing_header_as_empty', false),
  };
  const which = m.oneof(
    ['exact_match', 'safe_regex_match', 'range_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'],
    false,
  );
  // the deprecated *_match fields are folded into string_match so consumers see one shape
  const legacy = (kind: 'exact' | 'prefix' | 'suffix' | 'contains', f: string): void => {
    const v = m.str(f);
    if (v !== undefined) out.string_match = { kind, value: v, ignore_case: false };
  };
  switch (which) {
    case 'exact_match':
      legacy('exact', which);
      break;
    case 'prefix_match':
      legacy('prefix', which);
      break;
    case 'suffix_match':
      legacy('suffix', which);
      break;
    case 'contains_match':
      legacy('contains', which);
      break;
    case 'safe_regex_match': {
      const regex = m.msg(which, (r, p) => validateRegexMatcher(ctx, r, p));
      if (regex !== undefined) out.string_match = { kind: 'safe_regex', regex, ignore_case: false };
      break;
    }
    case 'string_match': {
      const sm = m.msg(which, (r, p) => validateStringMatcher(ctx, r, p));
      if (sm !== undefined) out.string_match = sm;
      break;
    }
    case 'present_match':
      out.present_match = m.boolOr(which, true);
      break;
    case 'range_match': {
      const r = m.msg(which, (rr, p) => validateInt64Range(ctx, rr, p));
      if (r !== undefined) out.range_match = r;
      break;
    }
  }
  return name === undefined ? undefined : out;
}

/** type.v3.Int64Range [start, end). */
export function validateInt64Range(ctx: Ctx, raw: unknown, path: string, bounds?: { min: number; max: number }): { start: number; end: number } | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.Int64Range', fields: ['start', 'end'] });
  if (m === undefined) return undefined;
  const start = readNum(ctx, m.raw('start') ?? 0, join(path, 'start'), { int: true, ...bounds });
  const end = readNum(ctx, m.raw('end') ?? 0, join(path, 'end'), { int: true, ...bounds });
  if (start === undefined || end === undefined) return undefined;
  if (end <= start) {
    ctx.err(join(path, 'end'), `range end (${end}) must be greater than start (${start})`);
    return undefined;
  }
  return { start, end };
}

export function validateQueryParameterMatcher(ctx: Ctx, raw: unknown, path: string): QueryParameterMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'config.route.v3.QueryParameterMatcher', fields: ['name', 'string_match', 'present_match'] });
  if (m === undefined) return undefined;
  const name = m.reqStr('name');
  const out: QueryParameterMatcher = { name };
  const which = m.oneof(['string_match', 'present_match'], false);
  if (which === 'string_match') {
    const sm = m.msg(which, (r, p) => validateStringMatcher(ctx, r, p));
    if (sm !== undefined) out.string_match = sm;
  } else if (which === 'present_match') {
    out.present_match = m.boolOr(which, true);
  }
  return name === '' ? undefined : out;
}
