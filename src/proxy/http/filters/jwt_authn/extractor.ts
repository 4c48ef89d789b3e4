// HTTP filters: jwt_authn token extraction — finds JWTs in headers, query parameters and cookies, and removes them after use.
import type { HeaderMap } from '../../../router/types.js';
import type { RequestHead } from '../../filter/api.js';
import { findQueryParam } from '../../../router/query-matcher.js';
import type { JwtProviderConfig } from './config.js';

/** Issuers whose providers read a location; a provider without an issuer lets any issuer use it. */
export class IssuerChecker {
  private allowAll = false;
  private readonly issuers = new Set<string>();
  add(issuer: string): void {
    if (issuer === '') this.allowAll = true;
    else this.issuers.add(issuer);
  }
  allows(iss: string): boolean {
    return this.allowAll || this.issuers.has(iss);
  }
}

/** One token found in a request, with where it came from. */
export interface ExtractedToken {
  readonly token: string;
  readonly issuers: IssuerChecker;
  /** Takes the token out of the request (forward: false); cookies are left alone, as in Envoy. */
  remove(req: RequestHead): void;
}

interface HeaderSpec {
  readonly name: string;
  readonly prefix: string;
  readonly issuers: IssuerChecker;
}

const BEARER = 'Bearer ';
const ACCESS_TOKEN = 'access_token';

/** base64url characters and '.', the alphabet of a compact JWT. */
function isTokenChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46;
}

/**
 * The token after a value prefix: skips to the first JWT character after `from` and takes the run of them
 * (so "Bearer  a.b.c, x" gives "a.b.c"); if there is none the whole value is returned, as Envoy does.
 */
export function tokenAfter(value: string, from: number): string {
  let i = from;
  while (i < value.length && !isTokenChar(value.charCodeAt(i))) i++;
  if (i >= value.length) return value;
  let j = i;
  while (j < value.length && isTokenChar(value.charCodeAt(j))) j++;
  return value.slice(i, j);
}

function values(h: HeaderMap, name: string): readonly string[] {
  const v = h[name];
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

function decode(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Drops every `name=…` pair from the query of `path`, keeping the others as written. */
export function removeQueryParam(path: string, name: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const kept = path
    .slice(q + 1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return decode(eq < 0 ? pair : pair.slice(0, eq)) !== name;
    });
  const rest = kept.join('&');
  return rest === '' ? path.slice(0, q) : `${path.slice(0, q)}?${rest}`;
}

/** Cookie values by name from every Cookie header; the first of a name wins, surrounding quotes are dropped. */
export function parseCookies(h: HeaderMap, wanted: ReadonlyMap<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of values(h, 'cookie')) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim();
      if (!wanted.has(k) || out.has(k)) continue;
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      out.set(k, v);
    }
  }
  return out;
}

/** Where one provider (or, for allow_missing*, every provider) looks for tokens; built once per config. */
export class Extractor {
  private readonly headers = new Map<string, HeaderSpec>();
  private readonly params = new Map<string, IssuerChecker>();
  private readonly cookies = new Map<string, IssuerChecker>();
  /** forward_payload_header and claim_to_headers names: a client must not be able to set them. */
  private readonly sanitize: string[] = [];

  constructor(providers: readonly JwtProviderConfig[]) {
    for (const p of providers) this.add(p);
  }

  private add(p: JwtProviderConfig): void {
    for (const h of p.from_headers) this.header(h.name, h.value_prefix).add(p.issuer);
    for (const name of p.from_params) this.param(name).add(p.issuer);
    for (const name of p.from_cookies) this.cookie(name).add(p.issuer);
    if (p.from_headers.length === 0 && p.from_params.length === 0 && p.from_cookies.length === 0) {
      // Default locations: Authorization: Bearer <token>, then ?access_token=<token>.
      this.header('authorization', BEARER).add(p.issuer);
      this.param(ACCESS_TOKEN).add(p.issuer);
    }
    if (p.forward_payload_header !== '') this.sanitize.push(p.forward_payload_header);
    for (const c of p.claim_to_headers) this.sanitize.push(c.header_name);
  }

  private header(name: string, prefix: string): IssuerChecker {
    const key = `${name}\n${prefix}`;
    let s = this.headers.get(key);
    if (s === undefined) {
      s = { name, prefix, issuers: new IssuerChecker() };
      this.headers.set(key, s);
    }
    return s.issuers;
  }

  private param(name: string): IssuerChecker {
    let c = this.params.get(name);
    if (c === undefined) this.params.set(name, (c = new IssuerChecker()));
    return c;
  }

  private cookie(name: string): IssuerChecker {
    let c = this.cookies.get(name);
    if (c === undefined) this.cookies.set(name, (c = new IssuerChecker()));
    return c;
  }

  sanitizeHeaders(h: HeaderMap): void {
    for (const name of this.sanitize) delete h[name];
  }

  /** Every token the request carries in this extractor's locations: headers, then parameters, then cookies. */
  extract(req: RequestHead): ExtractedToken[] {
    const out: ExtractedToken[] = [];
    for (const spec of this.headers.values()) {
      for (const v of values(req.headers, spec.name)) {
        let token = v;
        if (spec.prefix !== '') {
          const at = v.indexOf(spec.prefix);
          if (at < 0) continue;
          token = tokenAfter(v, at + spec.prefix.length);
        }
        const name = spec.name;
        out.push({ token, issuers: spec.issuers, remove: (r) => void delete r.headers[name] });
      }
    }
    if (this.params.size > 0) {
      const path = req.path;
      const q = path.indexOf('?');
      if (q >= 0) {
        for (const [name, issuers] of this.params) {
          const token = findQueryParam(path, q + 1, name, true);
          if (token !== undefined) out.push({ token, issuers, remove: (r) => void (r.path = removeQueryParam(r.path, name)) });
        }
      }
    }
    if (this.cookies.size > 0) {
      const found = parseCookies(req.headers, this.cookies);
      for (const [name, issuers] of this.cookies) {
        const token = found.get(name);
        if (token !== undefined) out.push({ token, issuers, remove: () => {} });
      }
    }
    return out;
  }
}
