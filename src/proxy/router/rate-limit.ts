// Router compile stage: `rate_limits` entries compiled once; per request each entry yields one descriptor or none.
import type { RateLimitAction, RateLimitPolicy } from '../config/rate-limit.js';
import type { RouteRequest } from './types.js';
import type { Errors } from './compile-errors.js';
import { CompiledHeaderMatcher, matchAllHeaders } from './header-matcher.js';
import { SRC_HEADER, headerSource, requestValue } from './header-value.js';

export interface DescriptorEntry {
  readonly key: string;
  readonly value: string;
}
/** Ordered entries; two descriptors are the same only if every entry matches in order (Envoy's equality). */
export type Descriptor = readonly DescriptorEntry[];

/** What actions read: the request and the trusted downstream address (XFF-derived where configured). */
export interface RateLimitRequest {
  readonly request: RouteRequest;
  readonly remoteAddress: string;
}

type Action = (req: RateLimitRequest, out: DescriptorEntry[]) => boolean;

function firstValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

function compileAction(a: RateLimitAction, path: string, errs: Errors): Action {
  switch (a.kind) {
    case 'request_headers': {
      const src = headerSource(a.header_name);
      const name = a.header_name;
      const key = a.descriptor_key;
      return (req, out) => {
        // Envoy reads the header's first value; a pseudo-header comes from the request line.
        const v = src === SRC_HEADER ? firstValue(req.request.headers[name]) : requestValue(req.request, src, name);
        if (v === undefined) return a.skip_if_absent;
        out.push({ key, value: v });
        return true;
      };
    }
    case 'remote_address':
      return (req, out) => {
        if (req.remoteAddress === '') return false;
        out.push({ key: 'remote_address', value: req.remoteAddress });
        return true;
      };
    case 'generic_key': {
      const entry: DescriptorEntry = { key: a.descriptor_key, value: a.descriptor_value };
      return (_req, out) => {
        out.push(entry);
        return true;
      };
    }
    case 'header_value_match': {
      const matchers = a.headers.map((h, i) => new CompiledHeaderMatcher(h, `${path}.header_value_match.headers[${i}]`, errs));
      const entry: DescriptorEntry = { key: a.descriptor_key, value: a.descriptor_value };
      return (req, out) => {
        if (matchAllHeaders(matchers, req.request) !== a.expect_match) return false;
        out.push(entry);
        return true;
      };
    }
  }
}

/** One `rate_limits` entry. */
export class CompiledRateLimit {
  readonly stage: number;
  /** disable_key set: the local rate limit filter leaves this entry out. */
  readonly hasDisableKey: boolean;
  private readonly actions: readonly Action[];

  constructor(p: RateLimitPolicy, path: string, errs: Errors) {
    this.stage = p.stage;
    this.hasDisableKey = p.disable_key !== '';
    this.actions = p.actions.map((a, i) => compileAction(a, `${path}.actions[${i}]`, errs));
  }

  /** The descriptor this request produces; undefined when an action voids it or no action added an entry. */
  descriptor(req: RateLimitRequest): Descriptor | undefined {
    const out: DescriptorEntry[] = [];
    for (let i = 0; i < this.actions.length; i++) if (!this.actions[i]!(req, out)) return undefined;
    return out.length > 0 ? out : undefined;
  }
}

/** A route's own entries and its virtual host's (the local rate limit filter's vh_rate_limits picks among them). */
export interface CompiledRateLimits {
  readonly route: readonly CompiledRateLimit[];
  readonly vhost: readonly CompiledRateLimit[];
}

export function compileRateLimits(list: readonly RateLimitPolicy[] | undefined, path: string, errs: Errors): readonly CompiledRateLimit[] {
  return list === undefined ? [] : list.map((p, i) => new CompiledRateLimit(p, `${path}.rate_limits[${i}]`, errs));
}
