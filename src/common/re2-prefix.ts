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
 * The longest run of single literal characters at the start of `source` that every match must begin with,
 * or '' when there is none. Why this is sound: without `|` anywhere the pattern is one concatenation, and
 * its leading atoms that are plain characters (or escaped metacharacters) without a quantifier each match
 * exactly that character, in order. Only ASCII is taken, so each character is one UTF-16 unit.
 */
export function requiredPrefix(source: string): string {
  if (source.includes('|')) return '';
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
