// HTTP filters: jwt_authn key sets — parses a JWKS (checked synchronously), picks keys by kid/alg and checks signatures with jose.
import { createPublicKey } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import type { ParsedJwt } from './jwt.js';
import { decodeBase64Url } from './jwt.js';
import { Status } from './status.js';

/** One usable key of a set; CryptoKeys are imported on first use, once per algorithm. */
export interface JwkEntry {
  readonly kty: 'RSA' | 'EC' | 'oct' | 'OKP';
  /** '' when the key does not restrict it. */
  readonly kid: string;
  readonly alg: string;
  /** EC/OKP curve ('' for RSA and oct). */
  readonly crv: string;
  readonly jwk: JWK;
  readonly imported: Map<string, Promise<CryptoKey | Uint8Array | undefined>>;
}

export interface Jwks {
  readonly keys: readonly JwkEntry[];
}

const EC_CURVE: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

function str(v: unknown): string | undefined | null {
  return v === undefined ? undefined : typeof v === 'string' ? v : null;
}

/** One JWK as Envoy's JWT library accepts it; undefined for a key it would skip. */
function parseKey(raw: unknown): JwkEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const k = raw as Record<string, unknown>;
  const kty = k.kty;
  const kid = str(k.kid);
  const alg = str(k.alg);
  if (kid === null || alg === null) return undefined;
  let crv = '';
  let jwk: JWK;
  try {
    switch (kty) {
      case 'RSA': {
        if (alg !== undefined && !alg.startsWith('RS') && !alg.startsWith('PS')) return undefined;
        if (typeof k.n !== 'string' || typeof k.e !== 'string') return undefined;
        jwk = { kty, n: k.n, e: k.e };
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        break;
      }
      case 'EC': {
        if (alg !== undefined && !alg.startsWith('ES')) return undefined;
        const c = str(k.crv);
        if (c === null) return undefined;
        // The curve defaults from the algorithm (or P-256), and must agree with it when both are given.
        crv = c ?? (alg !== undefined ? (EC_CURVE[alg] ?? '') : 'P-256');
        if (!['P-256', 'P-384', 'P-521'].includes(crv)) return undefined;
        if (alg !== undefined && EC_CURVE[alg] !== crv) return undefined;
        if (typeof k.x !== 'string' || typeof k.y !== 'string') return undefined;
        jwk = { kty, crv, x: k.x, y: k.y };
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        break;
      }
      case 'oct': {
        if (alg !== undefined && !alg.startsWith('HS')) return undefined;
        if (typeof k.k !== 'string') return undefined;
        const secret = decodeBase64Url(k.k);
        if (secret === undefined || secret.length === 0) return undefined;
        jwk = { kty, k: k.k };
        break;
      }
      case 'OKP': {
        if (alg !== undefined && alg !== 'EdDSA') return undefined;
        if (k.crv !== 'Ed25519' || typeof k.x !== 'string') return undefined;
        crv = 'Ed25519';
        jwk = { kty, crv, x: k.x };
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        break;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined; // node could not build a public key from it: malformed numbers or points
  }
  return { kty, kid: kid ?? '', alg: alg ?? '', crv, jwk, imported: new Map() };
}

/**
 * Parses a JSON Web Key Set. Keys Envoy's library cannot use are skipped; a set without any usable key is
 * an error (the message names what is wrong with the document).
 */
export function parseJwks(text: string): Jwks | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'Jwks is an invalid JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'Jwks is an invalid JSON';
  const keys = (doc as Record<string, unknown>).keys;
  if (keys === undefined) return 'Jwks does not have [keys] field';
  if (!Array.isArray(keys)) return '[keys] in Jwks is not an array';
  const out: JwkEntry[] = [];
  for (const raw of keys) {
    const e = parseKey(raw);
    if (e !== undefined) out.push(e);
  }
  if (out.length === 0) return Status.JwksNoValidKeys;
  return { keys: out };
}

/** Whether a key of this type (and curve) can check a signature made with `alg`. */
function fits(key: JwkEntry, alg: string): boolean {
  switch (key.kty) {
    case 'RSA':
      return alg.startsWith('RS') || alg.startsWith('PS');
    case 'EC':
      return EC_CURVE[alg] === key.crv;
    case 'oct':
      return alg.startsWith('HS');
    default:
      return alg === 'EdDSA';
  }
}

function keyFor(entry: JwkEntry, alg: string): Promise<CryptoKey | Uint8Array | undefined> {
  let p = entry.imported.get(alg);
  if (p === undefined) {
    p = importJWK(entry.jwk, alg).catch(() => undefined);
    entry.imported.set(alg, p);
  }
  return p;
}

/**
 * Envoy's key choice: every key whose kid and alg do not contradict the token's is tried in order; Ok on the
 * first that verifies, JwtVerificationFail if some key was eligible, JwksKidAlgMismatch if none was.
 */
export async function verifySignature(jwt: ParsedJwt, jwks: Jwks): Promise<Status> {
  let matched = false;
  for (const key of jwks.keys) {
    if (jwt.kid !== '' && key.kid !== '' && key.kid !== jwt.kid) continue;
    if (key.alg !== '' && key.alg !== jwt.alg) continue;
    matched = true;
    if (!fits(key, jwt.alg)) continue;
    const k = await keyFor(key, jwt.alg);
    if (k === undefined) continue;
    try {
      await compactVerify(jwt.token, k, { algorithms: [jwt.alg] });
      return Status.Ok;
    } catch {
      // a wrong signature (or a key jose refuses, such as a short RSA modulus): try the next key
    }
  }
  return matched ? Status.JwtVerificationFail : Status.JwksKidAlgMismatch;
}
