// Router compile stage: Envoy HeaderMatcher (string/present/range, invert, treat_missing_header_as_empty) compiled once.
import type { HeaderMatcher } from '../config/types.js';
import type { RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import { CompiledStringMatcher } from './string-matcher.js';
import { headerSource, requestValue } from './header-value.js';

const PRESENT = 0;
const STRING = 1;
const RANGE = 2;

// absl::SimpleAtoi accepts surrounding whitespace and one sign.
const INT = /^\s*[+-]?\d+\s*$/;

export class CompiledHeaderMatcher {
  readonly name: string;
  /** Value source (see header-value.ts); ':status' is handled by response matching. */
  readonly source: number;
  private readonly kind: number;
  private readonly present: boolean;
  private readonly str: CompiledStringMatcher | undefined;
  private readonly start: number;
  private readonly end: number;
  private readonly invert: boolean;
  private readonly missingAsEmpty: boolean;

  constructor(m: HeaderMatcher, path: string, errs: Errors) {
    this.name = m.name.toLowerCase();
    this.source = headerSource(this.name);
    this.invert = m.invert_match;
    this.missingAsEmpty = m.treat_missing_header_as_empty;
    this.str = m.string_match ? new CompiledStringMatcher(m.string_match, `${path}.string_match`, errs) : undefined;
    this.start = m.range_match?.start ?? 0;
    this.end = m.range_match?.end ?? 0;
    if (this.str) {
      this.kind = STRING;
      this.present = true;
    } else if (m.range_match) {
      this.kind = RANGE;
      this.present = true;
    } else {
      // No specifier means present_match: true (Envoy's HeaderMatcher docs).
      this.kind = PRESENT;
      this.present = m.present_match ?? true;
    }
  }

  matchesRequest(req: RouteRequest): boolean {
    return this.matchValue(requestValue(req, this.source, this.name));
  }

  /** Envoy's HeaderUtility::matchHeaders on one (joined) value; undefined = header absent. */
  matchValue(value: string | undefined): boolean {
    if (value === undefined) {
      if (!this.missingAsEmpty) {
        // An absent header only satisfies a present_match: false (or an inverted present_match: true).
        return this.kind === PRESENT && this.present === this.invert;
      }
      value = '';
    }
    let match: boolean;
    switch (this.kind) {
      case STRING:
        match = this.str!.match(value);
        break;
      case RANGE: {
        if (!INT.test(value)) {
          match = false;
          break;
        }
        const n = Number(value);
        match = n >= this.start && n < this.end;
        break;
      }
      default:
        match = this.present;
    }
    return match !== this.invert;
  }
}

/** All matchers must match (an empty list matches). */
export function matchAllHeaders(ms: readonly CompiledHeaderMatcher[], req: RouteRequest): boolean {
  for (let i = 0; i < ms.length; i++) if (!ms[i]!.matchesRequest(req)) return false;
  return true;
}
