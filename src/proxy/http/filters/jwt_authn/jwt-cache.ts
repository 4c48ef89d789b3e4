// HTTP filters: jwt_authn verified-token cache — a bounded LRU of tokens whose signature already checked out.
import type { ParsedJwt } from './jwt.js';
import { DEFAULT_CLOCK_SKEW_S, checkTime } from './jwt.js';
import { Status } from './status.js';

/**
 * Verified tokens of one provider, most recently used last. A hit skips the signature check only: issuer,
 * time and audiences are checked again on every request, as Envoy does.
 */
export class JwtCache {
  private readonly entries = new Map<string, ParsedJwt>();

  constructor(
    private readonly size: number,
    private readonly maxTokenSize: number,
  ) {}

  lookup(token: string, nowS: number): ParsedJwt | undefined {
    const jwt = this.entries.get(token);
    if (jwt === undefined) return undefined;
    this.entries.delete(token);
    if (checkTime(jwt, nowS, DEFAULT_CLOCK_SKEW_S) === Status.JwtExpired) return undefined;
    this.entries.set(token, jwt); // refresh its place
    return jwt;
  }

  insert(jwt: ParsedJwt): void {
    if (jwt.token.length > this.maxTokenSize) return;
    this.entries.delete(jwt.token);
    this.entries.set(jwt.token, jwt);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
  }

  get count(): number {
    return this.entries.size;
  }
}
