// Control-plane auth: identity tokens — ES256 JWTs the control plane signs for a namespace/service account (SPIFFE subject), and their verification.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SecretStore } from '../cluster/secret-store.js';
import { SignJWT, exportPKCS8, generateKeyPair, importPKCS8, importSPKI, jwtVerify, type CryptoKey } from 'jose';

export const SIGNING_KEY_FILE = 'identity-signing-key.pem';
export { DEFAULT_TRUST_DOMAIN } from '../model/snapshot.js';
/** The `iss` of every token this control plane signs; verifiers accept no other. */
export const TOKEN_ISSUER = 'trellis-control';
export const DEFAULT_TOKEN_TTL_S = 3600;
const ALG = 'ES256';

/** What a verified token proves. */
export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
}

/** Kubernetes names (DNS-1123 labels): they go into a SPIFFE path, so no `/` or other separators may slip through. */
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A SPIFFE trust domain: lower-case letters, digits, dots, dashes and underscores. */
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

export function validTrustDomain(td: string): boolean {
  return TRUST_DOMAIN.test(td);
}

export function spiffeId(trustDomain: string, id: WorkloadIdentity): string {
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** The namespace and service account of `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`, or undefined for any other subject. */
export function parseSpiffeId(trustDomain: string, subject: string): WorkloadIdentity | undefined {
  const prefix = `spiffe://${trustDomain}/ns/`;
  if (!subject.startsWith(prefix)) return undefined;
  const parts = subject.slice(prefix.length).split('/');
  if (parts.length !== 3 || parts[1] !== 'sa' || !NAME.test(parts[0]!) || !NAME.test(parts[2]!)) return undefined;
  return { namespace: parts[0]!, serviceAccount: parts[2]! };
}

export function identityError(id: WorkloadIdentity): string | undefined {
  if (!NAME.test(id.namespace)) return `namespace must be a DNS label (lower-case letters, digits, '-'), got ${JSON.stringify(id.namespace)}`;
  if (!NAME.test(id.serviceAccount)) return `service account must be a DNS label (lower-case letters, digits, '-'), got ${JSON.stringify(id.serviceAccount)}`;
  return undefined;
}

/** Verification needs only the public half; the xDS server will hold one of these. */
export interface TokenVerifier {
  publicKey: CryptoKey;
  trustDomain: string;
}

export type VerifyResult = { ok: true; value: WorkloadIdentity } | { ok: false; error: string };

/**
 * The identity a token proves, or why it proves none: only ES256 (so `alg: none` and HMAC confusion are out),
 * only this control plane's key and issuer, inside its nbf..exp window, with a SPIFFE subject in our trust domain.
 */
export async function verifyIdentityToken(token: string, verifier: TokenVerifier): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, verifier.publicKey, { algorithms: [ALG], issuer: TOKEN_ISSUER, requiredClaims: ['exp', 'sub'] });
    const id = parseSpiffeId(verifier.trustDomain, payload.sub!);
    if (id === undefined) return { ok: false, error: `subject ${JSON.stringify(payload.sub)} is not a service account of trust domain ${verifier.trustDomain}` };
    return { ok: true, value: id };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The control plane's signer: the private key, its public half and the trust domain it speaks for. */
export class IdentityTokenIssuer implements TokenVerifier {
  private constructor(
    readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    readonly keyId: string,
    readonly trustDomain: string,
  ) {}

  static async fromPem(pem: string, trustDomain: string): Promise<IdentityTokenIssuer> {
    const spki = crypto.createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
    // kid: a digest of the public key, so a rotated key is visible in every token's header
    const kid = crypto.createHash('sha256').update(spki).digest('base64url').slice(0, 16);
    return new IdentityTokenIssuer(await importPKCS8(pem, ALG), await importSPKI(spki, ALG), kid, trustDomain);
  }

  /** A fresh key that lives only as long as this process (a control plane given a store but no data dir). */
  static async ephemeral(trustDomain: string): Promise<IdentityTokenIssuer> {
    return IdentityTokenIssuer.fromPem(await newSigningKeyPem(), trustDomain);
  }

  async sign(id: WorkloadIdentity, ttlSeconds = DEFAULT_TOKEN_TTL_S): Promise<{ token: string; subject: string; expiresAt: Date }> {
    const problem = identityError(id);
    if (problem !== undefined) throw new Error(problem);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`ttl must be a positive number of seconds, got ${ttlSeconds}`);
    const now = Math.floor(Date.now() / 1000);
    const subject = spiffeId(this.trustDomain, id);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALG, kid: this.keyId, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(this.privateKey);
    return { token, subject, expiresAt: new Date((now + ttlSeconds) * 1000) };
  }

  verify(token: string): Promise<VerifyResult> {
    return verifyIdentityToken(token, this);
  }
}

async function newSigningKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return exportPKCS8(privateKey);
}

export const SHARED_SIGNING_KEY = 'auth/identity-signing-key';

/**
 * Replicas sharing a store sign with one key, so a token minted by any of them verifies on all: the first replica's
 * key wins (its `<data-dir>/identity-signing-key.pem` when it has one, so tokens it already issued stay valid; else a
 * new key), the others use the winner's. The store's secrets, not its config: those are sealed and never served by the API.
 */
export async function sharedIdentityTokenIssuer(secrets: SecretStore, trustDomain: string, dataDir?: string): Promise<IdentityTokenIssuer> {
  let stored = await secrets.get(SHARED_SIGNING_KEY);
  if (stored === undefined) {
    const own = dataDir !== undefined ? await fs.readFile(path.resolve(dataDir, SIGNING_KEY_FILE), 'utf8').catch(() => undefined) : undefined;
    // a damaged file must not become every replica's key
    stored = await secrets.createIfAbsent(SHARED_SIGNING_KEY, Buffer.from(own !== undefined && isP256Key(own) ? own : await newSigningKeyPem()));
  }
  return IdentityTokenIssuer.fromPem(stored.toString('utf8'), trustDomain);
}

function isP256Key(pem: string): boolean {
  try {
    return crypto.createPrivateKey(pem).asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

/**
 * The signing key from `<data-dir>/identity-signing-key.pem` (mode 0600), generated there on first start. A file
 * rather than the config store: the store is readable by any API client and replayed by history and rollback.
 */
export async function loadIdentityTokenIssuer(dataDir: string, trustDomain: string): Promise<{ issuer: IdentityTokenIssuer; path: string }> {
  const file = path.resolve(dataDir, SIGNING_KEY_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let pem: string;
  try {
    pem = await newSigningKeyPem();
    const handle = await fs.open(file, 'wx', 0o600);
    try {
      await handle.writeFile(pem);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = await fs.stat(file);
    if ((st.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
    pem = await fs.readFile(file, 'utf8');
  }
  return { issuer: await IdentityTokenIssuer.fromPem(pem, trustDomain), path: file };
}
