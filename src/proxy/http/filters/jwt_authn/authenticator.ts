// HTTP filters: jwt_authn authentication of extracted tokens — issuer, subject, time, audiences, keys, signature, then forwarding.
import type { RequestHead } from '../../filter/api.js';
import type { HeaderMap } from '../../../router/types.js';
import type { ExtractedToken } from './extractor.js';
import type { AudienceChecker, ParsedJwt } from './jwt.js';
import { checkTime, parseJwt } from './jwt.js';
import { verifySignature, type Jwks } from './jwks.js';
import type { Provider, ProviderSet } from './provider.js';
import { Status, isSync, type Outcome } from './status.js';

/** One request's verification: the request it edits, the clock, and what it leaves for dynamic metadata. */
export class VerifyContext {
  /** Metadata entries (payload_in_metadata / header_in_metadata) under envoy.filters.http.jwt_authn, if any. */
  extracted: Record<string, unknown> | undefined;
  /** The request's outcome is decided (or the stream is gone): late answers change nothing. */
  done = false;
  /** A provider with clear_route_cache added headers or metadata. */
  clearRouteCache = false;

  constructor(
    readonly req: RequestHead,
    /** Seconds since the epoch. */
    readonly nowS: number,
  ) {}
}

export interface AuthenticateOptions {
  /** The required provider; absent for allow_missing*, where each token's issuer picks one. */
  readonly provider?: Provider;
  readonly providers: ProviderSet;
  /** provider_and_audiences: replaces the provider's audiences. */
  readonly audiences?: AudienceChecker;
  readonly allowFailed: boolean;
  readonly allowMissing: boolean;
}

/** Envoy renders integral non-negative numbers as integers and others with six decimals (std::to_string). */
function claimString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v)) return v >= 0 && Number.isInteger(v) && v < 2 ** 64 ? BigInt(v).toString() : v.toFixed(6);
  return undefined;
}

/** A claim by its dotted path (["a", "b", "c"] for "a.b.c") in the payload. */
function claimAt(payload: Record<string, unknown>, path: readonly string[]): unknown {
  let cur: unknown = payload;
  for (const part of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function addHeader(h: HeaderMap, name: string, value: string): void {
  const cur = h[name];
  h[name] = cur === undefined ? value : Array.isArray(cur) ? [...cur, value] : [cur, value];
}

function padBase64(s: string): string {
  return s.length % 4 === 0 ? s : s + '='.repeat(4 - (s.length % 4));
}

/** The payload for metadata, with normalize_payload_in_metadata's space-delimited claims split into lists. */
function metadataPayload(p: Provider, payload: Record<string, unknown>): Record<string, unknown> {
  const claims = p.cfg.space_delimited_claims;
  if (claims.length === 0) return payload;
  const out = { ...payload };
  for (const c of claims) {
    const v = out[c];
    if (typeof v === 'string') out[c] = v.split(' ').filter((s) => s !== '');
  }
  return out;
}

/** A verified token: forward what the provider asks for, drop the token unless `forward`, cache it. */
function accept(ctx: VerifyContext, p: Provider, t: ExtractedToken, jwt: ParsedJwt, cacheHit: boolean, cache: boolean): void {
  if (ctx.done) return;
  const cfg = p.cfg;
  const h = ctx.req.headers;
  if (cfg.forward_payload_header !== '') addHeader(h, cfg.forward_payload_header, cfg.pad_forward_payload_header ? padBase64(jwt.payloadB64) : jwt.payloadB64);
  let added = false;
  for (const c of p.claims) {
    const v = claimString(claimAt(jwt.payload, c.path));
    if (v !== undefined && v !== '') {
      addHeader(h, c.header, v);
      added = true;
    }
  }
  if (!cfg.forward) t.remove(ctx.req);
  if (cfg.header_in_metadata !== '') (ctx.extracted ??= {})[cfg.header_in_metadata] = jwt.header;
  if (cfg.payload_in_metadata !== '') (ctx.extracted ??= {})[cfg.payload_in_metadata] = metadataPayload(p, jwt.payload);
  if (cfg.clear_route_cache && (added || cfg.payload_in_metadata !== '')) ctx.clearRouteCache = true;
  if (cache && !cacheHit) p.cache?.insert(jwt);
}

/** Checks one token; Ok means it was accepted (and forwarded). */
function verifyToken(ctx: VerifyContext, t: ExtractedToken, o: AuthenticateOptions): Outcome {
  const known = o.provider;
  let jwt = known?.cache?.lookup(t.token, ctx.nowS);
  const hit = jwt !== undefined;
  if (jwt === undefined) {
    const parsed = parseJwt(t.token);
    if (typeof parsed === 'string') return parsed;
    jwt = parsed;
  }
  if (!t.issuers.allows(jwt.iss)) return Status.JwtUnknownIssuer;
  const p = known ?? o.providers.findByIssuer(jwt.iss);
  if (p === undefined) return Status.JwtUnknownIssuer;
  if (!p.allowsSubject(jwt.sub)) return Status.JwtVerificationFail;
  const time = checkTime(jwt, ctx.nowS, p.skewS);
  if (time !== Status.Ok) return time;
  if (!p.allowsLifetime(ctx.nowS, jwt.exp)) return Status.JwtVerificationFail;
  if (!(o.audiences ?? p.audiences).allows(jwt.aud)) return Status.JwtAudienceNotAllowed;
  const token = jwt;
  // Only tokens checked for a named provider are cached, as in Envoy (allow_missing* looks providers up by issuer).
  const cache = known !== undefined;
  if (hit) {
    accept(ctx, p, t, token, true, cache);
    return Status.Ok;
  }
  const keys = p.keys.keys();
  const withKeys = (jwks: Jwks | undefined): Outcome => {
    if (jwks === undefined) return p.keys.remote ? Status.JwksFetchFail : Status.JwksNoValidKeys;
    return verifySignature(token, jwks).then((s) => {
      if (s === Status.Ok) accept(ctx, p, t, token, false, cache);
      return s;
    });
  };
  return keys instanceof Promise ? keys.then(withKeys) : withKeys(keys);
}

/**
 * Authenticates every extracted token (Envoy requires all of them to pass, so a good token cannot carry a bad
 * one along). No token = JwtMissed. allow_missing_or_failed turns any result into Ok; allow_missing only a
 * missing token (a bad token still fails, and unlike Envoy a later good token does not hide it).
 */
export function authenticate(ctx: VerifyContext, tokens: readonly ExtractedToken[], o: AuthenticateOptions): Outcome {
  if (tokens.length === 0) return o.allowFailed || o.allowMissing ? Status.Ok : Status.JwtMissed;
  let failure: Status | undefined;
  const finish = (): Status => (o.allowFailed ? Status.Ok : (failure ?? Status.Ok));
  // Envoy takes tokens from the end of the list; the order decides which failure is reported.
  const step = (i: number): Outcome => {
    for (; i >= 0; i--) {
      const r = verifyToken(ctx, tokens[i]!, o);
      if (!isSync(r)) {
        const next = i - 1;
        return r.then((s) => (record(s) ? s : step(next)));
      }
      if (record(r)) return r;
    }
    return finish();
  };
  /** Notes a token's status; true when it ends the authentication with that status. */
  const record = (s: Status): boolean => {
    if (s === Status.Ok) return false;
    if (!o.allowFailed && !o.allowMissing) return true;
    failure ??= s;
    return false;
  };
  return step(tokens.length - 1);
}
