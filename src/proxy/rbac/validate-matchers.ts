// RBAC config stage: validators for the type.matcher.v3 messages RBAC uses — PathMatcher, MetadataMatcher,
// ValueMatcher, DoubleMatcher — every error with its path.
import { Ctx, Msg, join, readBool, readNum } from '../config/reader.js';
import { validateStringMatcher } from '../config/matchers.js';
import type { DoubleMatcher, MetadataMatcher, NumberRange, PathMatcher, ValueMatcher } from './types.js';

/** Protobuf's default recursion limit: Envoy cannot even load a message nested deeper. */
export const MAX_DEPTH = 100;

export function tooDeep(ctx: Ctx, path: string, depth: number): boolean {
  if (depth <= MAX_DEPTH) return false;
  ctx.err(path, `nested more than ${MAX_DEPTH} levels deep`);
  return true;
}

export function validatePathMatcher(ctx: Ctx, raw: unknown, path: string): PathMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.PathMatcher', fields: ['path'] });
  if (m === undefined || !m.require('path')) return undefined;
  const sm = m.msg('path', (r, p) => validateStringMatcher(ctx, r, p));
  return sm === undefined ? undefined : { path: sm };
}

/** type.v3.DoubleRange [start, end); Envoy accepts an empty range (it matches nothing). */
function validateDoubleRange(ctx: Ctx, raw: unknown, path: string): NumberRange | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.DoubleRange', fields: ['start', 'end'] });
  if (m === undefined) return undefined;
  const start = readNum(ctx, m.raw('start') ?? 0, join(path, 'start'));
  const end = readNum(ctx, m.raw('end') ?? 0, join(path, 'end'));
  return start === undefined || end === undefined ? undefined : { start, end };
}

function validateDoubleMatcher(ctx: Ctx, raw: unknown, path: string): DoubleMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.DoubleMatcher', fields: ['range', 'exact'] });
  if (m === undefined) return undefined;
  const which = m.oneof(['range', 'exact'], true);
  if (which === 'range') {
    const range = m.msg('range', (r, p) => validateDoubleRange(ctx, r, p));
    return range === undefined ? undefined : { range };
  }
  if (which === 'exact') {
    const exact = m.num('exact');
    return exact === undefined ? undefined : { exact };
  }
  return undefined;
}

const VALUE_PATTERNS = ['null_match', 'double_match', 'string_match', 'bool_match', 'present_match', 'list_match', 'or_match'] as const;

export function validateValueMatcher(ctx: Ctx, raw: unknown, path: string, depth = 0): ValueMatcher | undefined {
  if (tooDeep(ctx, path, depth)) return undefined;
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.ValueMatcher', fields: VALUE_PATTERNS });
  if (m === undefined) return undefined;
  switch (m.oneof(VALUE_PATTERNS, true)) {
    case 'null_match':
      return Msg.open(ctx, m.raw('null_match'), m.at('null_match'), { type: 'type.matcher.v3.ValueMatcher.NullMatch', fields: [] }) === undefined
        ? undefined
        : { null_match: {} };
    case 'double_match': {
      const d = m.msg('double_match', (r, p) => validateDoubleMatcher(ctx, r, p));
      return d === undefined ? undefined : { double_match: d };
    }
    case 'string_match': {
      const s = m.msg('string_match', (r, p) => validateStringMatcher(ctx, r, p));
      return s === undefined ? undefined : { string_match: s };
    }
    case 'bool_match': {
      const b = m.bool('bool_match');
      return b === undefined ? undefined : { bool_match: b };
    }
    case 'present_match': {
      const b = m.bool('present_match');
      return b === undefined ? undefined : { present_match: b };
    }
    case 'list_match': {
      const l = Msg.open(ctx, m.raw('list_match'), m.at('list_match'), { type: 'type.matcher.v3.ListMatcher', fields: ['one_of'] });
      if (l === undefined || l.oneof(['one_of'], true) === undefined) return undefined;
      const inner = l.msg('one_of', (r, p) => validateValueMatcher(ctx, r, p, depth + 1));
      return inner === undefined ? undefined : { list_match: { one_of: inner } };
    }
    case 'or_match': {
      const o = Msg.open(ctx, m.raw('or_match'), m.at('or_match'), { type: 'type.matcher.v3.OrMatcher', fields: ['value_matchers'] });
      if (o === undefined) return undefined;
      const n = Array.isArray(o.raw('value_matchers')) ? (o.raw('value_matchers') as unknown[]).length : 0;
      if (n < 2) o.err('value_matchers', 'needs at least 2 matchers');
      const list = o.list('value_matchers', (r, p) => validateValueMatcher(ctx, r, p, depth + 1));
      return n < 2 || list.length !== n ? undefined : { or_match: { value_matchers: list } };
    }
    default:
      return undefined;
  }
}

export function validateMetadataMatcher(ctx: Ctx, raw: unknown, path: string): MetadataMatcher | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.matcher.v3.MetadataMatcher', fields: ['filter', 'path', 'value', 'invert'] });
  if (m === undefined) return undefined;
  const filter = m.reqStr('filter');
  const rawPath = m.raw('path');
  if (!Array.isArray(rawPath) || rawPath.length === 0) m.err('path', rawPath === undefined ? 'is required' : 'needs at least one segment');
  const segments = m.list('path', (r, p) => {
    const s = Msg.open(ctx, r, p, { type: 'type.matcher.v3.MetadataMatcher.PathSegment', fields: ['key'] });
    if (s === undefined) return undefined;
    const k = s.reqStr('key');
    return k === '' ? undefined : { key: k };
  });
  const value = m.require('value') ? m.msg('value', (r, p) => validateValueMatcher(ctx, r, p)) : undefined;
  const invert = m.boolOr('invert', false);
  if (filter === '' || value === undefined || !Array.isArray(rawPath) || segments.length !== rawPath.length || segments.length === 0) return undefined;
  return { filter, path: segments, value, invert };
}

/** A uint32 port 0–65535 (Permission.destination_port). */
export function validatePort(ctx: Ctx, raw: unknown, path: string): number | undefined {
  return readNum(ctx, raw, path, { int: true, min: 0, max: 65535 });
}

/** type.v3.Int32Range for ports: Envoy wants 0 ≤ start < end ≤ 65536. */
export function validatePortRange(ctx: Ctx, raw: unknown, path: string): NumberRange | undefined {
  const m = Msg.open(ctx, raw, path, { type: 'type.v3.Int32Range', fields: ['start', 'end'] });
  if (m === undefined) return undefined;
  const start = readNum(ctx, m.raw('start') ?? 0, join(path, 'start'), { int: true, min: 0, max: 65536 });
  const end = readNum(ctx, m.raw('end') ?? 0, join(path, 'end'), { int: true, min: 0, max: 65536 });
  if (start === undefined || end === undefined) return undefined;
  if (start >= end) {
    ctx.err(join(path, 'end'), `range end (${end}) must be greater than start (${start})`);
    return undefined;
  }
  return { start, end };
}

/** `any: true` (validate.rules const: true). */
export function validateAnyTrue(ctx: Ctx, raw: unknown, path: string): true | undefined {
  const b = readBool(ctx, raw, path);
  if (b === undefined) return undefined;
  if (!b) {
    ctx.err(path, 'must be true');
    return undefined;
  }
  return true;
}
