// Router match stage: query parameter lookup straight from the raw path and Envoy's QueryParameterMatcher.
import type { QueryParameterMatcher } from '../config/types.js';
import type { Errors } from './compile-errors.js';
import { CompiledStringMatcher } from './string-matcher.js';

function decode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // malformed escapes stay as written, as Envoy's percent decoder leaves them
  }
}

/**
 * First value of query parameter `name` in raw[start..], scanning without building a map.
 * `decoded` percent-decodes keys and values (Envoy's parseAndDecodeQueryString); a key without '=' has value ''.
 */
export function findQueryParam(raw: string, start: number, name: string, decoded: boolean): string | undefined {
  let i = start;
  const n = raw.length;
  while (i < n) {
    let amp = raw.indexOf('&', i);
    if (amp < 0) amp = n;
    if (amp > i) {
      let eq = raw.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      const keyLen = eq - i;
      let hit: boolean;
      const pct = decoded ? raw.indexOf('%', i) : -1;
      if (pct < 0 || pct >= eq) {
        hit = keyLen === name.length && raw.startsWith(name, i);
      } else {
        hit = decode(raw.slice(i, eq)) === name;
      }
      if (hit) {
        const v = eq < amp ? raw.slice(eq + 1, amp) : '';
        return decoded ? decode(v) : v;
      }
    }
    i = amp + 1;
  }
  return undefined;
}

export class CompiledQueryMatcher {
  readonly name: string;
  private readonly str: CompiledStringMatcher | undefined;
  private readonly present: boolean | undefined;

  constructor(m: QueryParameterMatcher, path: string, errs: Errors) {
    this.name = m.name;
    this.str = m.string_match ? new CompiledStringMatcher(m.string_match, `${path}.string_match`, errs) : undefined;
    this.present = m.present_match;
  }

  /** `queryStart` is the index after '?', or raw.length when there is no query. */
  matches(raw: string, queryStart: number): boolean {
    const v = findQueryParam(raw, queryStart, this.name, true);
    // Envoy: an absent parameter never matches; otherwise present_match decides, then the string matcher.
    if (v === undefined) return false;
    if (this.present !== undefined && this.str === undefined) return this.present;
    return this.str === undefined ? true : this.str.match(v);
  }
}
