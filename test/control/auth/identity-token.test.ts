// Tests for identity tokens: sign/verify round trip, and rejection of expired, not-yet-valid, wrong-issuer, alg none, other-key and foreign-subject tokens.
import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { IdentityTokenIssuer, loadIdentityTokenIssuer, parseSpiffeId, TOKEN_ISSUER, verifyIdentityToken } from '../../../src/control/auth/identity-token.js';

const ID = { namespace: 'default', serviceAccount: 'reviews' };
const SUB = 'spiffe://cluster.local/ns/default/sa/reviews';
const now = (): number => Math.floor(Date.now() / 1000);

async function handMade(issuer: IdentityTokenIssuer, claims: { iss?: string; sub?: string; nbf?: number; exp?: number }): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuedAt();
  if (claims.iss !== undefined) jwt.setIssuer(claims.iss);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(issuer.privateKey);
}

test('a signed token is an ES256 JWT from the control plane for the SPIFFE id, and verifies to its identity', async () => {
  const issuer = await IdentityTokenIssuer.ephemeral('cluster.local');
  const { token, subject, expiresAt } = await issuer.sign(ID, 600);
  assert.equal(subject, SUB);
  assert.equal(decodeProtectedHeader(token).alg, 'ES256');
  const claims = decodeJwt(token);
  assert.equal(claims.iss, TOKEN_ISSUER);
  assert.equal(claims.sub, SUB);
  assert.ok(Math.abs(claims.exp! - (now() + 600)) <= 2);
  assert.equal(expiresAt.getTime(), claims.exp! * 1000);
  assert.deepEqual(await issuer.verify(token), { ok: true, value: ID });
  // the xDS server needs only the public half
  assert.deepEqual(await verifyIdentityToken(token, { publicKey: issuer.publicKey, trustDomain: 'cluster.local' }), { ok: true, value: ID });
});

test('names that are not DNS labels are refused when signing (they would change the SPIFFE path)', async () => {
  const issuer = await IdentityTokenIssuer.ephemeral('cluster.local');
  for (const bad of [{ namespace: 'a/sa/b', serviceAccount: 'x' }, { namespace: 'default', serviceAccount: '' }, { namespace: 'Default', serviceAccount: 'x' }]) {
    await assert.rejects(issuer.sign(bad), /DNS label/);
  }
  await assert.rejects(issuer.sign(ID, 0), /ttl/);
});

test('rejected: expired, not yet valid, wrong issuer, no exp, alg none, another key, another trust domain, garbage', async () => {
  const issuer = await IdentityTokenIssuer.ephemeral('cluster.local');
  const other = await IdentityTokenIssuer.ephemeral('cluster.local');
  const cases: Record<string, string> = {
    expired: await handMade(issuer, { iss: TOKEN_ISSUER, sub: SUB, exp: now() - 60 }),
    'not yet valid': await handMade(issuer, { iss: TOKEN_ISSUER, sub: SUB, nbf: now() + 600, exp: now() + 1200 }),
    'wrong issuer': await handMade(issuer, { iss: 'someone-else', sub: SUB, exp: now() + 600 }),
    'no issuer': await handMade(issuer, { sub: SUB, exp: now() + 600 }),
    'no exp': await handMade(issuer, { iss: TOKEN_ISSUER, sub: SUB }),
    'alg none': new UnsecuredJWT({ sub: SUB }).setIssuer(TOKEN_ISSUER).setExpirationTime(now() + 600).encode(),
    'another key': (await other.sign(ID)).token,
    'other trust domain': await handMade(issuer, { iss: TOKEN_ISSUER, sub: 'spiffe://evil.example/ns/default/sa/reviews', exp: now() + 600 }),
    'not a service account': await handMade(issuer, { iss: TOKEN_ISSUER, sub: 'spiffe://cluster.local/ns/default/sa/reviews/extra', exp: now() + 600 }),
    garbage: 'not.a.jwt',
    empty: '',
  };
  // an ES256 signature moved onto a payload naming someone else
  const good = (await issuer.sign(ID)).token.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(good.join('.')), sub: 'spiffe://cluster.local/ns/kube-system/sa/admin' })).toString('base64url');
  cases['payload swapped'] = `${good[0]}.${forgedPayload}.${good[2]}`;
  // alg none in the header with the real payload and no signature
  cases['header says none'] = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${good[1]}.`;
  for (const [name, token] of Object.entries(cases)) {
    const r = await issuer.verify(token);
    assert.equal(r.ok, false, name);
    assert.equal(typeof (r as { error: string }).error, 'string', name);
  }
});

test('parseSpiffeId: exactly spiffe://<td>/ns/<ns>/sa/<sa>', () => {
  assert.deepEqual(parseSpiffeId('cluster.local', SUB), ID);
  assert.equal(parseSpiffeId('cluster.local', 'system:serviceaccount:default:reviews'), undefined);
  assert.equal(parseSpiffeId('cluster.local', 'spiffe://cluster.local/ns/default/sa/'), undefined);
  assert.equal(parseSpiffeId('cluster.local', 'spiffe://cluster.localx/ns/default/sa/reviews'), undefined);
});

test('the signing key is created once under the data dir with mode 0600 and reused (tokens survive a restart)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-key-'));
  try {
    const a = await loadIdentityTokenIssuer(dir, 'cluster.local');
    assert.equal(fs.statSync(a.path).mode & 0o777, 0o600);
    const token = (await a.issuer.sign(ID)).token;
    const b = await loadIdentityTokenIssuer(dir, 'cluster.local');
    assert.equal(b.path, a.path);
    assert.deepEqual(await b.issuer.verify(token), { ok: true, value: ID });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('arbitrary strings and three-part strings never verify and never throw (property)', async () => {
  const issuer = await IdentityTokenIssuer.ephemeral('cluster.local');
  const b64 = fc.string().map((t) => Buffer.from(t).toString('base64url'));
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string(), fc.tuple(b64, b64, b64).map((p) => p.join('.'))), async (token) => {
      const r = await issuer.verify(token);
      assert.equal(r.ok, false);
    }),
    { numRuns: 200 },
  );
});
