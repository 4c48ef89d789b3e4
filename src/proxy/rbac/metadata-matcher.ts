// RBAC compile stage: envoy.type.matcher.v3.MetadataMatcher over dynamic metadata held as plain JSON values
// (object = Struct, array = ListValue, null = NullValue, undefined = not set), compiled once.
import type { Errors } from '../router/compile-errors.js';
import { CompiledStringMatcher } from '../router/string-matcher.js';
import type { DynamicMetadata } from './attributes.js';
import type { MetadataMatcher, ValueMatcher } from './types.js';

export type ValuePredicate = (v: unknown) => boolean;

function isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Envoy's ValueMatcher: each pattern only accepts its own value kind; present_match needs any value at all. */
export function compileValueMatcher(m: ValueMatcher, path: string, errs: Errors): ValuePredicate {
  if ('null_match' in m) return (v) => v === null;
  if ('double_match' in m) {
    const d = m.double_match;
    if ('exact' in d) {
      const x = d.exact;
      return (v) => typeof v === 'number' && v === x;
    }
    const { start, end } = d.range;
    return (v) => typeof v === 'number' && v >= start && v < end;
  }
  if ('string_match' in m) {
    const s = new CompiledStringMatcher(m.string_match, `${path}.string_match`, errs);
    return (v) => typeof v === 'string' && s.match(v);
  }
  if ('bool_match' in m) {
    const b = m.bool_match;
    return (v) => typeof v === 'boolean' && v === b;
  }
  if ('present_match' in m) {
    const want = m.present_match;
    return (v) => want && v !== undefined;
  }
  if ('list_match' in m) {
    const inner = compileValueMatcher(m.list_match.one_of, `${path}.list_match.one_of`, errs);
    return (v) => Array.isArray(v) && v.some((e: unknown) => inner(e));
  }
  const alts = m.or_match.value_matchers.map((vm, i) => compileValueMatcher(vm, `${path}.or_match.value_matchers[${i}]`, errs));
  return (v) => alts.some((a) => a(v));
}

/** The value at `keys` below a namespace; undefined when a key is missing or a step is not a Struct. */
export function metadataValue(md: DynamicMetadata | undefined, filter: string, keys: readonly string[]): unknown {
  let cur: unknown = md?.[filter];
  for (let i = 0; i < keys.length; i++) {
    if (!isStruct(cur) || !Object.prototype.hasOwnProperty.call(cur, keys[i]!)) return undefined;
    cur = cur[keys[i]!];
  }
  return cur;
}

export function compileMetadataMatcher(m: MetadataMatcher, path: string, errs: Errors): (md: DynamicMetadata | undefined) => boolean {
  const keys = m.path.map((s) => s.key);
  const value = compileValueMatcher(m.value, `${path}.value`, errs);
  const invert = m.invert;
  const filter = m.filter;
  return (md) => value(metadataValue(md, filter, keys)) !== invert;
}
