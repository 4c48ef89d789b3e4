// Shared: every regex taken from config or a query compiles here, with RE2 syntax and RE2's linear-time matching (re2js).
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import type { Rewrite } from './re2-rewrite.js';
import { requiredPrefix } from './re2-prefix.js';

type Engine = typeof RE2JS;
let engine: Engine | undefined;
/** re2js (~4 MB of RSS) is loaded on the first compile, synchronously (its CommonJS build): most proxies have no regex. */
function re2js(): Engine {
  return (engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: Engine }).RE2JS);
}

// Only to word the error better: RE2's message quotes the offending text but does not say why it is refused.
const BACKREF = /`\\[1-9]/;
const LOOKAROUND = /`\(\?<?[=!]/;

function reason(source: string, e: unknown): string {
  const msg = (e as Error).message.replace(/^error parsing regexp: /, '');
  const hint = LOOKAROUND.test(msg) ? ' (RE2 has no look-around)' : BACKREF.test(msg) ? ' (RE2 has no back-references)' : '';
  return `invalid RE2 regex ${JSON.stringify(source)}: ${msg}${hint}`;
}

/** A regex compiled once; every match runs in time linear in the input, whatever the pattern. */
export class Re2 {
  /** Literal text every match starts with: a full match fails on it without running RE2 (route tables try many). */
  private readonly prefix: string;

  private constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {
    this.prefix = requiredPrefix(source);
  }

  /** The compiled regex, or why RE2 rejects `source` (`invalid RE2 regex "…": …`). */
  static compile(source: string): Re2 | string {
    try {
      return new Re2(source, re2js().compile(source));
    } catch (e) {
      return reason(source, e);
    }
  }

  /** For a source a validator already accepted: throws (with the same message) if RE2 rejects it. */
  static mustCompile(source: string): Re2 {
    const re = Re2.compile(source);
    if (typeof re === 'string') throw new Error(re);
    return re;
  }

  /** Number of capturing groups. */
  get groupCount(): number {
    return this.re.groupCount();
  }

  /** RE2::FullMatch: the whole of `s` matches (Envoy's safe_regex matchers). */
  fullMatch(s: string): boolean {
    return s.startsWith(this.prefix) && this.re.testExact(s);
  }

  /** RE2::PartialMatch: some part of `s` matches (Envoy's /stats?filter=). */
  partialMatch(s: string): boolean {
    return this.re.test(s);
  }

  /**
   * RE2::GlobalReplace: every non-overlapping match, left to right, replaced by `rewrite`. As in RE2 (and
   * unlike String.prototype.replace), an empty match right where the previous match ended is skipped, so
   * `.*` on "/a" gives one replacement, not two. Returns `s` itself when nothing matched.
   */
  replaceAll(s: string, rewrite: Rewrite): string {
    const m = this.re.matcher(s);
    let out = '';
    let p = 0;
    let lastEnd = -1;
    let count = 0;
    while (p <= s.length && m.find(p)) {
      const start = m.start();
      const end = m.end();
      out += s.slice(p, start);
      if (start === end && start === lastEnd) {
        // Empty match at the end of the last one: copy one character (a whole surrogate pair) and move on.
        const c = s.codePointAt(p);
        const n = c === undefined ? 1 : c > 0xffff ? 2 : 1;
        out += s.slice(p, p + n);
        p += n;
        continue;
      }
      out += rewrite.expand((g) => m.group(g));
      p = end;
      lastEnd = end;
      count++;
    }
    if (count === 0) return s;
    return p < s.length ? out + s.slice(p) : out;
  }
}
