// HTTP filters: jwt_authn token parsing — splits and decodes a compact JWT and checks claim types, time and audiences.
import { Status } from './status.js';

/** A JWT whose header and payload parsed; the signature is not checked yet. */
export interface ParsedJwt {
  readonly token: string;
  readonly alg: string;
  readonly kid: string;
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  /** Seconds since the epoch; 0 = absent. */
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** The payload segment as it appeared in the token (base64url, no padding). */
  readonly payloadB64: string;
}

/** The algorithms Envoy's JWT library implements; anything else (including "none") is rejected. */
const ALGS = new Set(['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Strict base64url (padding optional), as absl's WebSafeBase64Unescape accepts; undefined if malformed. */
export function decodeBase64Url(s: string): Buffer | undefined {
  if (!B64URL.test(s)) return undefined;
  const bare = s.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  if (bare.length !== s.length && s.length % 4 !== 0) return undefined; // padding only completes a quantum
  return Buffer.from(bare, 'base64url');
}

function decodeObject(seg: string): Record<string, unknown> | 'base64' | 'json' {
  const bytes = decodeBase64Url(seg);
  if (bytes === undefined) return 'base64';
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'json';
  }
  // protobuf Struct: only a JSON object parses
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'json';
}

type IntClaim = number | 'type' | 'range';

/** A NumericDate claim: absent = 0; a non-number or a negative or unsafe value is an error. */
function intClaim(v: unknown): IntClaim {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'type';
  if (v < 0 || v > Number.MAX_SAFE_INTEGER) return 'range';
  return Math.floor(v);
}

function strClaim(v: unknown): string | undefined | null {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

/** Parses a compact JWS; returns the failure status Envoy reports for a malformed token. */
export function parseJwt(token: string): ParsedJwt | Status {
  let dots = 0;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) === 46) dots++;
  if (dots !== 2) return Status.JwtBadFormat;
  const parts = token.split('.');
  if (parts[0] === '' || parts[1] === '' || parts[2] === '') return Status.JwtBadFormat;
  const header = decodeObject(parts[0]!);
  if (header === 'base64') return Status.JwtHeaderParseErrorBadBase64;
  if (header === 'json') return Status.JwtHeaderParseErrorBadJson;
  const alg = header.alg;
  if (typeof alg !== 'string') return Status.JwtHeaderBadAlg;
  if (!ALGS.has(alg)) return Status.JwtHeaderNotImplementedAlg;
  const kid = strClaim(header.kid);
  if (kid === null) return Status.JwtHeaderBadKid;
  const payload = decodeObject(parts[1]!);
  if (payload === 'base64') return Status.JwtPayloadParseErrorBadBase64;
  if (payload === 'json') return Status.JwtPayloadParseErrorBadJson;
  const iss = strClaim(payload.iss);
  if (iss === null) return Status.JwtPayloadParseErrorIssNotString;
  const sub = strClaim(payload.sub);
  if (sub === null) return Status.JwtPayloadParseErrorSubNotString;
  const iat = intClaim(payload.iat);
  if (typeof iat !== 'number') return Status.JwtPayloadParseErrorIatNotInteger;
  const nbf = intClaim(payload.nbf);
  if (typeof nbf !== 'number') return Status.JwtPayloadParseErrorNbfNotInteger;
  const exp = intClaim(payload.exp);
  if (typeof exp !== 'number') return Status.JwtPayloadParseErrorExpNotInteger;
  if (strClaim(payload.jti) === null) return Status.JwtPayloadParseErrorJtiNotString;
  let aud: string[];
  const a = payload.aud;
  if (a === undefined) aud = [];
  else if (typeof a === 'string') aud = [a];
  else if (Array.isArray(a) && a.every((x) => typeof x === 'string')) aud = a as string[];
  else return Status.JwtPayloadParseErrorAudNotString;
  if (decodeBase64Url(parts[2]!) === undefined) return Status.JwtSignatureParseErrorBadBase64;
  return { token, alg, kid: kid ?? '', iss: iss ?? '', sub: sub ?? '', aud, exp, nbf, iat, header, payload, payloadB64: parts[1]! };
}

/** Envoy's default clock skew for exp and nbf when clock_skew_seconds is 0 (unset). */
export const DEFAULT_CLOCK_SKEW_S = 60;

/** exp and nbf against `nowS` (seconds) with `skewS` seconds of tolerance either way. */
export function checkTime(jwt: ParsedJwt, nowS: number, skewS: number): Status {
  if (jwt.nbf !== 0 && nowS + skewS < jwt.nbf) return Status.JwtNotYetValid;
  if (jwt.exp !== 0 && nowS > jwt.exp + skewS) return Status.JwtExpired;
  return Status.Ok;
}

/** Audiences compare without their scheme and trailing slash, as Envoy's JWT library forgives both. */
function normalizeAudience(a: string): string {
  let s = a;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

/** The allowed audiences of a provider (or of provider_and_audiences); empty allows any token. */
export class AudienceChecker {
  private readonly allowed: ReadonlySet<string>;
  constructor(audiences: readonly string[]) {
    this.allowed = new Set(audiences.map(normalizeAudience));
  }
  allows(jwtAudiences: readonly string[]): boolean {
    if (this.allowed.size === 0) return true;
    for (const a of jwtAudiences) if (this.allowed.has(normalizeAudience(a))) return true;
    return false;
  }
}
