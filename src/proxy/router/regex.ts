// Router compile stage: turns Envoy's RE2 regexes and rewrite substitutions into JS RegExps and replacement strings.
import type { Errors } from './compile-errors.js';

/** Matches nothing; stands in for a regex that failed to compile (the error is reported). */
const NEVER = /(?!)/;

/** Translates the RE2 syntax Envoy configs use into JS: (?P<n>…), leading (?i)/(?s)/(?m), \A, \z, \p{…}. */
export function translateRe2(src: string): { source: string; flags: string } {
  let flags = '';
  let s = src;
  const lead = /^\(\?([imsU]+)\)/.exec(s);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') throw new Error('RE2 flag U (ungreedy) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    s = s.slice(lead[0].length);
  }
  let out = '';
  let needU = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1]!;
      if (n === 'z') out += '(?![\\s\\S])';
      else if (n === 'A') out += '(?<![\\s\\S])';
      else {
        if (n === 'p' || n === 'P') needU = true;
        out += c + n;
      }
      i++;
    } else if (c === '(' && s.startsWith('?P<', i + 1)) {
      out += '(?<';
      i += 3;
    } else {
      out += c;
    }
  }
  return { source: out, flags: needU ? flags + 'u' : flags };
}

function build(src: string, wrapFull: boolean, extraFlags: string, path: string, errs: Errors): RegExp {
  try {
    const t = translateRe2(src);
    return new RegExp(wrapFull ? `^(?:${t.source})$` : t.source, t.flags + extraFlags);
  } catch (e) {
    errs.push({ path, message: `invalid regex ${JSON.stringify(src)}: ${(e as Error).message}` });
    return NEVER;
  }
}

/** A regex that must match the whole input (Envoy's safe_regex semantics). Stateless: safe to share. */
export function compileFullMatch(src: string, path: string, errs: Errors): RegExp {
  return build(src, true, '', path, errs);
}

/** A global regex for replace-all (RE2::GlobalReplace, which Envoy's rewrites use). */
export function compileGlobal(src: string, path: string, errs: Errors): RegExp {
  return build(src, false, 'g', path, errs);
}

function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('')!.length - 1;
}

/**
 * RE2 substitution (\0-\9 groups, \\ backslash) → JS replacement string. Groups become two-digit `$0N`
 * so a following literal digit is never read as part of the group number; `$` is escaped.
 */
export function compileSubstitution(sub: string, re: RegExp, path: string, errs: Errors): string {
  const groups = groupCount(re);
  let out = '';
  for (let i = 0; i < sub.length; i++) {
    const c = sub[i]!;
    if (c === '$') out += '$$';
    else if (c === '\\') {
      const n = sub[i + 1];
      if (n === '\\') out += '\\';
      else if (n !== undefined && n >= '0' && n <= '9') {
        const g = n.charCodeAt(0) - 48;
        if (g > groups) errs.push({ path, message: `substitution refers to group \\${g} but the regex has ${groups}` });
        out += g === 0 ? '$&' : `$0${g}`;
      } else {
        errs.push({ path, message: `invalid escape in substitution ${JSON.stringify(sub)}` });
      }
      i++;
    } else out += c;
  }
  return out;
}
