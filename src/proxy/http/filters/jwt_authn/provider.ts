// HTTP filters: jwt_authn providers at run time — one JwtProvider's compiled checks, key source and token cache.
import { CompiledStringMatcher } from '../../../router/string-matcher.js';
import type { JwtProviderConfig } from './config.js';
import { AudienceChecker, DEFAULT_CLOCK_SKEW_S } from './jwt.js';
import { JwtCache } from './jwt-cache.js';
import { LocalKeySource, RemoteKeySource, type KeySource, type RemoteDeps } from './key-source.js';

export class Provider {
  readonly audiences: AudienceChecker;
  readonly keys: KeySource;
  readonly cache: JwtCache | undefined;
  readonly skewS: number;
  /** claim_to_headers with each claim's dotted name split once. */
  readonly claims: readonly { readonly header: string; readonly path: readonly string[] }[];
  private readonly subjects: CompiledStringMatcher | undefined;
  /** Seconds a token may still have to live; Infinity = any, but exp must be present; undefined = no limit. */
  private readonly maxLifetimeS: number | undefined;

  constructor(
    readonly name: string,
    readonly cfg: JwtProviderConfig,
    deps: RemoteDeps,
  ) {
    this.audiences = new AudienceChecker(cfg.audiences);
    // Matchers were validated with the config, so compiling cannot fail here.
    this.subjects = cfg.subjects !== undefined ? new CompiledStringMatcher(cfg.subjects, 'subjects', []) : undefined;
    this.claims = cfg.claim_to_headers.map((c) => ({ header: c.header_name, path: c.claim_name.split('.') }));
    this.skewS = cfg.clock_skew_seconds > 0 ? cfg.clock_skew_seconds : DEFAULT_CLOCK_SKEW_S;
    this.maxLifetimeS = cfg.max_lifetime_ms !== undefined ? cfg.max_lifetime_ms / 1000 : cfg.require_expiration ? Infinity : undefined;
    this.cache = cfg.jwt_cache !== undefined ? new JwtCache(cfg.jwt_cache.size, cfg.jwt_cache.max_token_size) : undefined;
    this.keys = cfg.remote_jwks !== undefined ? new RemoteKeySource(cfg.remote_jwks, deps) : new LocalKeySource(cfg.local_jwks ?? '');
  }

  allowsSubject(sub: string): boolean {
    return this.subjects === undefined || this.subjects.match(sub);
  }

  /** max_lifetime / require_expiration: the token must expire, and (with a limit) within the limit from now. */
  allowsLifetime(nowS: number, exp: number): boolean {
    const max = this.maxLifetimeS;
    if (max === undefined) return true;
    if (exp === 0) return false;
    return exp - nowS < max;
  }
}

/** Providers by name, and Envoy's issuer lookup for allow_missing*: exact issuer, else the first without one. */
export class ProviderSet {
  readonly byName = new Map<string, Provider>();
  private readonly byIssuer = new Map<string, Provider>();

  constructor(providers: Readonly<Record<string, JwtProviderConfig>>, deps: RemoteDeps) {
    for (const [name, cfg] of Object.entries(providers)) {
      const p = new Provider(name, cfg, deps);
      this.byName.set(name, p);
      if (!this.byIssuer.has(cfg.issuer)) this.byIssuer.set(cfg.issuer, p);
    }
  }

  findByIssuer(iss: string): Provider | undefined {
    return this.byIssuer.get(iss) ?? (iss !== '' ? this.byIssuer.get('') : undefined);
  }
}
