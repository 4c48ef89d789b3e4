// Router compile stage: Envoy StringMatcher (exact/prefix/suffix/contains/safe_regex, ignore_case) compiled once.
import type { StringMatcher } from '../config/types.js';
import type { Errors } from './compile-errors.js';
import type { Re2 } from '../../common/re2.js';
import { compileRegex } from './regex.js';
import { asciiLower, endsWithFold, startsWithRange } from './path.js';

const EXACT = 0;
const PREFIX = 1;
const SUFFIX = 2;
const CONTAINS = 3;
const REGEX = 4;

export class CompiledStringMatcher {
  private readonly kind: number;
  private readonly value: string;
  private readonly ignoreCase: boolean;
  private readonly re: Re2 | undefined;

  constructor(m: StringMatcher, path: string, errs: Errors) {
    // ignore_case has no effect on safe_regex (Envoy's StringMatcher docs).
    this.ignoreCase = m.kind !== 'safe_regex' && m.ignore_case;
    if (m.kind === 'safe_regex') {
      this.kind = REGEX;
      this.value = '';
      this.re = compileRegex(m.regex, `${path}.safe_regex.regex`, errs);
    } else {
      this.kind = m.kind === 'exact' ? EXACT : m.kind === 'prefix' ? PREFIX : m.kind === 'suffix' ? SUFFIX : CONTAINS;
      this.value = this.ignoreCase ? asciiLower(m.value) : m.value;
      this.re = undefined;
    }
  }

  match(s: string): boolean {
    switch (this.kind) {
      case EXACT:
        return s.length === this.value.length && startsWithRange(s, s.length, this.value, this.ignoreCase);
      case PREFIX:
        return startsWithRange(s, s.length, this.value, this.ignoreCase);
      case SUFFIX:
        return endsWithFold(s, this.value, this.ignoreCase);
      case CONTAINS:
        return (this.ignoreCase ? asciiLower(s) : s).includes(this.value);
      default:
        return this.re!.fullMatch(s);
    }
  }
}
