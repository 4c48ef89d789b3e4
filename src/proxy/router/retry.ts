// Router compile stage: a RetryPolicy compiled into bit flags and matchers: which responses/failures retry, and the backoff.
import type { RetryPolicy } from '../config/types.js';
import type { CompiledRetryPolicy, HeaderMap } from './types.js';
import type { Errors } from './compile-errors.js';
import { CompiledHeaderMatcher } from './header-matcher.js';
import { firstHeader, joinedHeader } from './header-value.js';

const R_5XX = 1 << 0;
const R_GATEWAY = 1 << 1;
const R_CONNECT = 1 << 2;
const R_RESET = 1 << 3;
const R_RESET_BEFORE_REQ = 1 << 4;
const R_REFUSED = 1 << 5;
const R_4XX = 1 << 6;
const R_STATUS_CODES = 1 << 7;
const R_HEADERS = 1 << 8;
const R_RATELIMITED = 1 << 9;
const G_CANCELLED = 1 << 10;
const G_DEADLINE = 1 << 11;
const G_INTERNAL = 1 << 12;
const G_EXHAUSTED = 1 << 13;
const G_UNAVAILABLE = 1 << 14;

const FLAGS: Record<string, number> = {
  '5xx': R_5XX,
  'gateway-error': R_GATEWAY,
  'connect-failure': R_CONNECT,
  reset: R_RESET,
  'reset-before-request': R_RESET_BEFORE_REQ,
  'refused-stream': R_REFUSED,
  'retriable-4xx': R_4XX,
  'retriable-status-codes': R_STATUS_CODES,
  'retriable-headers': R_HEADERS,
  'envoy-ratelimited': R_RATELIMITED,
  'http3-post-connect-failure': 0, // no HTTP/3 upstreams here: nothing to retry
  cancelled: G_CANCELLED,
  'deadline-exceeded': G_DEADLINE,
  internal: G_INTERNAL,
  'resource-exhausted': G_EXHAUSTED,
  unavailable: G_UNAVAILABLE,
};

const GRPC_CODES: readonly [number, number][] = [
  [1, G_CANCELLED],
  [4, G_DEADLINE],
  [8, G_EXHAUSTED],
  [13, G_INTERNAL],
  [14, G_UNAVAILABLE],
];

// Envoy counts any upstream reset (and a per-try timeout) as a 5xx for 5xx/gateway-error policies.
const ANY_RESET = R_5XX | R_GATEWAY | R_RESET;

export const DEFAULT_BASE_INTERVAL = 25;

class RetryPolicyImpl implements CompiledRetryPolicy {
  private readonly codes: ReadonlySet<number>;
  private readonly base: number;
  private readonly max: number;

  constructor(
    readonly policy: RetryPolicy,
    private readonly on: number,
    private readonly headerMatchers: readonly CompiledHeaderMatcher[],
    readonly retriableRequestHeaders: readonly CompiledHeaderMatcher[],
    private readonly random: () => number,
  ) {
    this.codes = new Set(policy.retriable_status_codes);
    this.base = Math.max(1, policy.retry_back_off?.base_interval ?? DEFAULT_BASE_INTERVAL);
    this.max = policy.retry_back_off?.max_interval ?? this.base * 10;
  }

  retriableResponse(status: number, headers: HeaderMap, grpcStatus: number | undefined): boolean {
    const on = this.on;
    // Envoy never retries an overloaded upstream, and rate-limited responses only under envoy-ratelimited.
    if (headers['x-envoy-overloaded'] !== undefined) return false;
    if (headers['x-envoy-ratelimited'] !== undefined) return (on & R_RATELIMITED) !== 0;
    if (on & R_5XX && status >= 500 && status < 600) return true;
    if (on & R_GATEWAY && (status === 502 || status === 503 || status === 504)) return true;
    if (on & R_4XX && status === 409) return true;
    if (on & R_STATUS_CODES && this.codes.has(status)) return true;
    if (on & R_HEADERS) {
      for (const m of this.headerMatchers) {
        const v = m.name === ':status' ? String(status) : joinedHeader(headers, m.name);
        if (m.matchValue(v)) return true;
      }
    }
    if (on & (G_CANCELLED | G_DEADLINE | G_INTERNAL | G_EXHAUSTED | G_UNAVAILABLE)) {
      let g = grpcStatus;
      if (g === undefined) {
        const raw = firstHeader(headers, 'grpc-status');
        if (raw !== undefined && /^\d+$/.test(raw)) g = Number(raw);
      }
      if (g !== undefined) for (const [code, flag] of GRPC_CODES) if (g === code && on & flag) return true;
    }
    return false;
  }

  retriableFailure(kind: 'connect-failure' | 'reset' | 'refused-stream' | 'timeout'): boolean {
    const on = this.on;
    if (on & ANY_RESET) return true;
    switch (kind) {
      case 'connect-failure':
        // A failed connect is also a reset before the request was sent.
        return (on & (R_CONNECT | R_RESET_BEFORE_REQ)) !== 0;
      case 'refused-stream':
        return (on & R_REFUSED) !== 0;
      default:
        return false;
    }
  }

  /**
   * Envoy's documented fully jittered exponential back-off: retry n waits a random time in
   * [0, (2^n - 1) * base), the interval capped at max (default 10 × base): 0-24, 0-74, 0-174 ms … with base 25.
   */
  backoff(n: number): number {
    const k = Math.min(Math.max(1, n), 30);
    const interval = Math.min((2 ** k - 1) * this.base, this.max);
    return Math.floor(this.random() * interval);
  }
}

export function compileRetryPolicy(p: RetryPolicy, random: () => number, path: string, errs: Errors): CompiledRetryPolicy {
  let on = 0;
  for (const c of p.retry_on) {
    const f = FLAGS[c.trim()];
    if (f === undefined) errs.push({ path: `${path}.retry_on`, message: `unknown retry condition ${JSON.stringify(c)}` });
    else on |= f;
  }
  const hm = p.retriable_headers.map((h, i) => new CompiledHeaderMatcher(h, `${path}.retriable_headers[${i}]`, errs));
  const rq = p.retriable_request_headers.map((h, i) => new CompiledHeaderMatcher(h, `${path}.retriable_request_headers[${i}]`, errs));
  return new RetryPolicyImpl(p, on, hm, rq, random);
}
