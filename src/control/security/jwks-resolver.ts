// Control plane: fetches the JWKS of RequestAuthentication jwtRules (jwksUri, or OpenID discovery from the issuer) with a
// timeout and a size bound, keeps the last good copy, refreshes it, and says when one changed so proxies get it inlined.
import type { JWTRule, RequestAuthentication } from '../../api/types.js';
import { parseDuration } from '../../api/duration.js';
import { parseJwks } from '../../proxy/http/filters/jwt_authn/jwks.js';
import { jwksKey } from '../translate/authz-jwt.js';
import { readBodyBounded } from '../../common/bounded-body.js';

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

/** GET `url` as text; rejects on a non-2xx status, the timeout, or a body over maxBytes. */
export type FetchText = (url: string, limits: FetchLimits) => Promise<string>;

export interface JwksResolverOptions {
  fetchText?: FetchText;
  /** How often a good JWKS is fetched again (Istio's default: 20 min). */
  refreshMs?: number;
  /** First retry after a failure; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  maxBytes?: number;
  log?: (msg: string) => void;
}

export const DEFAULT_JWKS_TIMEOUT_MS = 5000;
export const DEFAULT_REFRESH_MS = 20 * 60_000;
export const DEFAULT_MAX_JWKS_BYTES = 1 << 20;

interface Entry {
  key: string;
  timeoutMs: number;
  jwks?: string;
  timer?: NodeJS.Timeout;
  inFlight: boolean;
  failures: number;
}

/** fetch() with the limits applied to the whole exchange, the body read in bounded chunks. */
export const fetchText: FetchText = async (url, { timeoutMs, maxBytes }) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { accept: 'application/json' } });
  if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
  return readBodyBounded(res, maxBytes);
};

function timeoutOf(rule: JWTRule): number {
  const ms = rule.timeout !== undefined ? parseDuration(rule.timeout) : undefined;
  return ms !== undefined && ms > 0 ? ms : DEFAULT_JWKS_TIMEOUT_MS;
}

export class JwksResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private readonly fetchText: FetchText;
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly maxBytes: number;
  private closed = false;

  constructor(private readonly opts: JwksResolverOptions = {}) {
    this.fetchText = opts.fetchText ?? fetchText;
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.retryMs = opts.retryMs ?? 1000;
    this.maxRetryMs = opts.maxRetryMs ?? 60_000;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_JWKS_BYTES;
  }

  /** Called (once per change) after a JWKS was fetched for the first time or came back different. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The key sets known now for these policies' rules, by jwksKey(). Keys seen for the first time start fetching (the
   * answer comes through onChange); keys no policy names any more are dropped with their timers.
   */
  resolve(policies: readonly RequestAuthentication[]): ReadonlyMap<string, string> {
    const wanted = new Map<string, number>();
    for (const ra of policies) {
      for (const rule of ra.spec.jwtRules ?? []) {
        const key = jwksKey(rule);
        if (key !== undefined) wanted.set(key, Math.max(wanted.get(key) ?? 0, timeoutOf(rule)));
      }
    }
    for (const [key, e] of this.entries) {
      if (wanted.has(key)) continue;
      if (e.timer !== undefined) clearTimeout(e.timer);
      this.entries.delete(key);
    }
    const out = new Map<string, string>();
    for (const [key, timeoutMs] of wanted) {
      let e = this.entries.get(key);
      if (e === undefined) {
        e = { key, timeoutMs, inFlight: false, failures: 0 };
        this.entries.set(key, e);
        this.fetch(e);
      }
      e.timeoutMs = timeoutMs;
      if (e.jwks !== undefined) out.set(key, e.jwks);
    }
    return out;
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
    this.entries.clear();
    this.listeners.clear();
  }

  private schedule(e: Entry, ms: number): void {
    if (this.closed || this.entries.get(e.key) !== e) return;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.fetch(e);
    }, ms);
    e.timer.unref();
  }

  private fetch(e: Entry): void {
    if (e.inFlight || this.closed) return;
    e.inFlight = true;
    this.download(e).then(
      (text) => {
        e.inFlight = false;
        if (this.entries.get(e.key) !== e) return;
        e.failures = 0;
        const changed = e.jwks !== text;
        e.jwks = text;
        this.schedule(e, this.refreshMs);
        if (changed) for (const fn of this.listeners) fn();
      },
      (err: unknown) => {
        e.inFlight = false;
        if (this.entries.get(e.key) !== e) return;
        e.failures++;
        // the last good copy stays in use; without one, tokens are refused (401) until a fetch succeeds
        this.opts.log?.(`jwks: ${e.key}: ${err instanceof Error ? err.message : String(err)}${e.jwks !== undefined ? ' (keeping the last good copy)' : ''}`);
        this.schedule(e, Math.min(this.retryMs * 2 ** (e.failures - 1), this.maxRetryMs));
      },
    );
  }

  /** The JWKS text for a key: jwksUri directly, or the issuer's OpenID configuration's jwks_uri; checked as the proxy will. */
  private async download(e: Entry): Promise<string> {
    const limits = { timeoutMs: e.timeoutMs, maxBytes: this.maxBytes };
    let uri = e.key;
    if (e.key.startsWith('oidc:')) {
      const issuer = e.key.slice('oidc:'.length).replace(/\/+$/, '');
      if (!/^https?:\/\//.test(issuer)) throw new Error('the issuer is not a URL, so there is no OpenID discovery; set jwksUri or jwks');
      const doc: unknown = JSON.parse(await this.fetchText(`${issuer}/.well-known/openid-configuration`, limits));
      const found = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).jwks_uri : undefined;
      if (typeof found !== 'string' || !/^https?:\/\//.test(found)) throw new Error('OpenID configuration has no http(s) jwks_uri');
      uri = found;
    }
    const text = await this.fetchText(uri, limits);
    const parsed = parseJwks(text);
    if (typeof parsed === 'string') throw new Error(`unusable JWKS: ${parsed}`);
    return text;
  }
}
