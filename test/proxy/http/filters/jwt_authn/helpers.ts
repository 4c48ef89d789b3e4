// Test support for jwt_authn: run-time keys, signed tokens, validated configs, a filter on fake callbacks and a fake JWKS cluster.
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { Ctx } from '../../../../../src/proxy/config/reader.js';
import type { FilterCallbacks, RequestHead } from '../../../../../src/proxy/http/filter/api.js';
import type { HeaderMap } from '../../../../../src/proxy/router/types.js';
import type { AsyncCallOptions, AsyncFailure, AsyncRequest, AsyncResponse } from '../../../../../src/proxy/upstream/async-client.js';
import { validateJwtAuthn, type JwtAuthnConfig, type JwtPerRouteConfig } from '../../../../../src/proxy/http/filters/jwt_authn/config.js';
import { JwtAuthnFilter, JwtAuthnShared } from '../../../../../src/proxy/http/filters/jwt_authn/filter.js';
import { FakeStats } from '../../../upstream/fake-stats.js';

export interface TestKey {
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: Record<string, unknown>;
}

export async function makeKey(alg: 'ES256' | 'RS256', kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg };
  return { alg, kid, privateKey, jwk };
}

export function jwksOf(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.jwk) });
}

/** A token signed by `key`; `exp` defaults to an hour after NOW_S. */
export async function sign(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ exp: NOW_S + 3600, ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** The fixed clock of these tests (seconds). */
export const NOW_S = 1_700_000_000;

export function validate(raw: Record<string, unknown>): JwtAuthnConfig {
  const ctx = new Ctx(undefined);
  const c = validateJwtAuthn(ctx, raw, 'jwt');
  assert.deepEqual(ctx.errors, []);
  assert.ok(c !== undefined);
  return c;
}

export function errorsOf(raw: Record<string, unknown>): string[] {
  const ctx = new Ctx(undefined);
  validateJwtAuthn(ctx, raw, 'jwt');
  return ctx.errors.map((e) => `${e.path}: ${e.message}`);
}

export type Result =
  | { kind: 'continue'; req: RequestHead; metadata: Record<string, unknown> | undefined; routeCleared: boolean }
  | { kind: 'reply'; status: number; body: string; headers: HeaderMap; details: string | undefined; metadata: Record<string, unknown> | undefined };

/** A fake cluster: answers JWKS GETs with `reply()` after the test releases them (or at once). */
export class FakeCluster {
  calls: { cluster: string; req: AsyncRequest; opts: AsyncCallOptions }[] = [];
  private waiting: (() => void)[] = [];
  hold = false;
  constructor(public reply: () => { err: AsyncFailure | null; res?: AsyncResponse }) {}

  readonly call = (cluster: string, req: AsyncRequest, opts: AsyncCallOptions, cb: (err: AsyncFailure | null, res?: AsyncResponse) => void) => {
    this.calls.push({ cluster, req, opts });
    const answer = (): void => {
      const r = this.reply();
      cb(r.err, r.res);
    };
    if (this.hold) this.waiting.push(answer);
    else queueMicrotask(answer);
    return { cancel: () => {} };
  };

  release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const a of w) a();
  }
}

export function ok(body: string): () => { err: null; res: AsyncResponse } {
  return () => ({ err: null, res: { status: 200, headers: {}, body: Buffer.from(body), trailers: undefined } });
}

export class Harness {
  readonly stats = new FakeStats();
  readonly shared: JwtAuthnShared;
  nowMs = NOW_S * 1000;

  constructor(
    raw: Record<string, unknown>,
    readonly cluster: FakeCluster = new FakeCluster(() => ({ err: 'no-cluster' })),
  ) {
    this.shared = new JwtAuthnShared(validate(raw), { stats: this.stats, random: () => 0.5, now: () => this.nowMs, call: this.cluster.call });
  }

  stat(name: string): number {
    return this.stats.get(`jwt_authn.${name}`) ?? 0;
  }

  /** Runs one request through a filter instance; resolves when it continues or replies. */
  run(req: Partial<RequestHead> & { headers?: HeaderMap }, perRoute?: JwtPerRouteConfig): Promise<Result> {
    const head: RequestHead = { authority: 'api.example.com', path: '/', method: 'GET', scheme: 'http', ...req, headers: { ...req.headers } };
    let metadata: Record<string, unknown> | undefined;
    let routeCleared = false;
    return new Promise<Result>((resolve) => {
      const cb = {
        perRouteConfig: () => perRoute,
        continueDecoding: () => resolve({ kind: 'continue', req: head, metadata, routeCleared }),
        sendLocalReply: (status: number, body: string, opts?: { headers?: HeaderMap; details?: string }) =>
          resolve({ kind: 'reply', status, body, headers: opts?.headers ?? {}, details: opts?.details, metadata }),
        setDynamicMetadata: (ns: string, values: Record<string, unknown>) => {
          assert.equal(ns, 'envoy.filters.http.jwt_authn');
          metadata = { ...metadata, ...values };
        },
        clearRouteCache: () => void (routeCleared = true),
      } as unknown as FilterCallbacks;
      const f = new JwtAuthnFilter(this.shared, cb);
      if (f.decodeHeaders(head) === 'continue') resolve({ kind: 'continue', req: head, metadata, routeCleared });
    });
  }
}

export function localProvider(keys: TestKey[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: 'https://issuer.example', local_jwks: { inline_string: jwksOf(...keys) }, ...extra };
}

export function expectReply(r: Result, status: number, body: string): Extract<Result, { kind: 'reply' }> {
  assert.equal(r.kind, 'reply', JSON.stringify(r));
  assert.equal(r.kind === 'reply' && r.status, status);
  assert.equal(r.kind === 'reply' && r.body, body);
  return r as Extract<Result, { kind: 'reply' }>;
}

export function expectContinue(r: Result): Extract<Result, { kind: 'continue' }> {
  assert.equal(r.kind, 'continue', r.kind === 'reply' ? `${r.status} ${r.body}` : '');
  return r as Extract<Result, { kind: 'continue' }>;
}
