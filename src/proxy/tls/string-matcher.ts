// TLS: compiles an Envoy StringMatcher into a predicate (used for SAN matching).
import type { StringMatcher } from '../config/types.js';
import { Re2 } from '../../common/re2.js';

export type StringPredicate = (value: string) => boolean;

/** safe_regex is a full match, as RE2's FullMatch in Envoy; ignore_case does not apply to it (Envoy ignores it too). */
export function compileStringMatcher(m: StringMatcher): StringPredicate {
  if (m.kind === 'safe_regex') {
    const re = Re2.mustCompile(m.regex); // the config validator already rejected what RE2 cannot compile
    return (v) => re.fullMatch(v);
  }
  const want = m.ignore_case ? m.value.toLowerCase() : m.value;
  const norm = m.ignore_case ? (v: string): string => v.toLowerCase() : (v: string): string => v;
  switch (m.kind) {
    case 'exact':
      return (v) => norm(v) === want;
    case 'prefix':
      return (v) => norm(v).startsWith(want);
    case 'suffix':
      return (v) => norm(v).endsWith(want);
    case 'contains':
      return (v) => norm(v).includes(want);
  }
}
