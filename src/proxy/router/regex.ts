// Router compile stage: compiles Envoy's RE2 regexes and rewrite substitutions once, reporting problems by field path.
import { Re2 } from '../../common/re2.js';
import { Rewrite } from '../../common/re2-rewrite.js';
import type { Errors } from './compile-errors.js';

/** Matches nothing (an empty class); stands in for a regex that failed to compile (the error is reported). Compiled on first use. */
let never: Re2 | undefined;
const NO_REWRITE = Rewrite.parse('', 0) as Rewrite;

/** An RE2 regex (Envoy's RegexMatcher.regex); callers pick fullMatch (safe_regex) or replaceAll (rewrites). */
export function compileRegex(src: string, path: string, errs: Errors): Re2 {
  const re = Re2.compile(src);
  if (typeof re !== 'string') return re;
  errs.push({ path, message: re });
  return (never ??= Re2.mustCompile('[^\\x00-\\x{10FFFF}]'));
}

/** An RE2 substitution (\0-\9 groups, \\ backslash) checked against the groups of `re`. */
export function compileRewrite(sub: string, re: Re2, path: string, errs: Errors): Rewrite {
  const rw = Rewrite.parse(sub, re.groupCount);
  if (typeof rw !== 'string') return rw;
  errs.push({ path, message: rw });
  return NO_REWRITE;
}
