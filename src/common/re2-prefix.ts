// Shared: the literal text every match of an RE2 pattern starts with, read off the source, so a full match can fail fast.

// RE2's metacharacters; anything else outside a class stands for itself.
const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);
// Quantifiers bind to the atom before them, so a literal followed by one is not required.
const QUANTIFIER = new Set(['*', '+', '?', '{']);

/**
 * Whether the atom ending just before `at` may be quantified: a quantifier follows it directly, or after a
 * construct that adds no atom and that RE2's parser steps over ((?i) flag groups, an empty \Q\E). To stay
 * simple, any `(?`, `\Q` or `\E` there counts.
 */
function quantified(source: string, at: number): boolean {
  const next = source[at];
  if (next === undefined) return false;
  if (QUANTIFIER.has(next)) return true;
  const two = source.slice(at, at + 2);
  return two === '(?' || two === '\\Q' || two === '\\E';
}

/**
 * Whether `source` may have a `|` outside every group (then the pattern is not one concatenation). Escapes
 * and character classes are stepped over; on what this scan does not model (\Q…\E quoting, a `[` inside a
 * class as in [[:alpha:]]) it answers true, which only costs the fast fail.
 */
function mayAlternateAtTop(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (source[i + 1] === 'Q') return true;
      i++;
    } else if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++; // a ] first in a class is a literal
      for (; i < source.length && source[i] !== ']'; i++) {
        if (source[i] === '[') return true;
        if (source[i] === '\\') i++;
      }
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth <= 0) return true;
  }
  return false;
}

/**
 * The longest run of single literal characters at the start of `source` that every match must begin with,
 * or '' when there is none. Why this is sound: without a top-level `|` the pattern is one concatenation, and
 * its leading atoms that are plain characters (or escaped metacharacters) without a quantifier each match
 * exactly that character, in order. Only ASCII is taken, so each character is one UTF-16 unit.
 */
export function requiredPrefix(source: string): string {
  if (mayAlternateAtTop(source)) return '';
  let prefix = '';
  // A leading ^ or \A consumes nothing (and a match starts there anyway): what follows is still the prefix.
  let i = source.startsWith('^') ? 1 : source.startsWith('\\A') ? 2 : 0;
  while (i < source.length) {
    const c = source[i]!;
    let lit: string;
    let width: number;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined || !META.has(n)) break; // \d, \b, \pL, \x41, … are not plain literals
      lit = n;
      width = 2;
    } else if (META.has(c) || c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20) {
      break;
    } else {
      lit = c;
      width = 1;
    }
    if (quantified(source, i + width)) break;
    prefix += lit;
    i += width;
  }
  return prefix;
}
