// Router compile stage: path rewrites (prefix_rewrite, regex_rewrite) and host rewrites, with Envoy's semantics.
import type { RegexRewrite, RouteAction } from '../config/types.js';
import type { RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import type { Re2 } from '../../common/re2.js';
import type { Rewrite } from '../../common/re2-rewrite.js';
import { compileRegex, compileRewrite } from './regex.js';
import { pathEnd } from './path.js';
import { firstHeader } from './header-value.js';

/**
 * Rewrites a full request path (query included). prefix_rewrite replaces the matched part: the prefix for
 * prefix/path_separated_prefix, the whole path for path, the path without query for safe_regex.
 * regex_rewrite replaces every match in the path without query. The query is kept either way.
 */
export class PathRewriter {
  readonly identity: boolean;
  private readonly prefix: string | undefined;
  private readonly re: Re2 | undefined;
  private readonly sub: Rewrite | undefined;

  /** `matchedLen`: length of the matched prefix/path, or -1 for "the whole path without query" (regex routes). */
  constructor(
    prefixRewrite: string | undefined,
    regexRewrite: RegexRewrite | undefined,
    private readonly matchedLen: number,
    path: string,
    errs: Errors,
  ) {
    this.prefix = prefixRewrite;
    if (regexRewrite && prefixRewrite === undefined) {
      this.re = compileRegex(regexRewrite.pattern, `${path}.regex_rewrite.pattern.regex`, errs);
      this.sub = compileRewrite(regexRewrite.substitution, this.re, `${path}.regex_rewrite.substitution`, errs);
    } else {
      this.re = undefined;
      this.sub = undefined;
    }
    this.identity = this.prefix === undefined && this.re === undefined;
  }

  rewrite(full: string): string {
    if (this.prefix !== undefined) {
      const n = this.matchedLen < 0 ? pathEnd(full) : Math.min(this.matchedLen, full.length);
      return this.prefix + full.slice(n);
    }
    if (this.re !== undefined) {
      const end = pathEnd(full);
      const p = end === full.length ? full : full.slice(0, end);
      const out = this.re.replaceAll(p, this.sub!);
      return end === full.length ? out : out + full.slice(end);
    }
    return full;
  }
}

const HR_NONE = 0;
const HR_LITERAL = 1;
const HR_HEADER = 2;
const HR_REGEX = 3;

/** host_rewrite_literal / host_rewrite_header / host_rewrite_path_regex; auto is reported separately. */
export class HostRewriter {
  readonly auto: boolean;
  private readonly kind: number;
  private readonly value: string;
  private readonly re: Re2 | undefined;
  private readonly sub: Rewrite | undefined;

  constructor(hr: RouteAction['host_rewrite'], path: string, errs: Errors) {
    this.auto = hr?.kind === 'auto';
    this.re = undefined;
    this.sub = undefined;
    this.value = '';
    switch (hr?.kind) {
      case 'literal':
        this.kind = HR_LITERAL;
        this.value = hr.value;
        break;
      case 'header':
        this.kind = HR_HEADER;
        this.value = hr.header.toLowerCase();
        break;
      case 'path_regex':
        this.kind = HR_REGEX;
        this.re = compileRegex(hr.pattern, `${path}.host_rewrite_path_regex.pattern.regex`, errs);
        this.sub = compileRewrite(hr.substitution, this.re, `${path}.host_rewrite_path_regex.substitution`, errs);
        break;
      default:
        this.kind = HR_NONE;
    }
  }

  rewrite(req: RouteRequest): string | undefined {
    switch (this.kind) {
      case HR_LITERAL:
        return this.value;
      case HR_HEADER: {
        // An absent or empty header leaves the host unchanged.
        const v = firstHeader(req.headers, this.value);
        return v === undefined || v === '' ? undefined : v;
      }
      case HR_REGEX: {
        const end = pathEnd(req.path);
        const p = end === req.path.length ? req.path : req.path.slice(0, end);
        return this.re!.replaceAll(p, this.sub!);
      }
      default:
        return undefined;
    }
  }
}
