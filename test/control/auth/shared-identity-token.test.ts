// Identity tokens across replicas: one ES256 key in the shared secrets, so a token minted by any replica verifies on all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IdentityTokenIssuer, SHARED_SIGNING_KEY, loadIdentityTokenIssuer, sharedIdentityTokenIssuer } from '../../../src/control/auth/identity-token.js';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';
import { sealSecrets } from '../../../src/control/cluster/sealed-secrets.js';

const ID = { namespace: 'default', serviceAccount: 'reviews' };

test('replicas opening at once share one key: a token minted by A verifies on B and the other way round', async () => {
  const inner = new MemorySecretStore();
  const secrets = sealSecrets(inner, randomBytes(32));
  const [a, b] = await Promise.all([sharedIdentityTokenIssuer(secrets, 'cluster.local'), sharedIdentityTokenIssuer(secrets, 'cluster.local')]);
  assert.equal(a.keyId, b.keyId);
  const fromA = await a.sign(ID, 60);
  assert.deepEqual(await b.verify(fromA.token), { ok: true, value: ID });
  assert.deepEqual(await a.verify((await b.sign(ID, 60)).token), { ok: true, value: ID });
  // a replica on its own key (another mesh, or no shared store) does not accept them
  const stranger = await IdentityTokenIssuer.ephemeral('cluster.local');
  assert.equal((await stranger.verify(fromA.token)).ok, false);
  assert.equal((await inner.get(SHARED_SIGNING_KEY))!.toString().includes('PRIVATE KEY'), false, 'sealed in the store');
});

test('the first replica offers the key its data dir kept, so tokens it issued before stay valid; a damaged file is not offered', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-idkey-'));
  try {
    const before = (await loadIdentityTokenIssuer(path.join(dir, 'a'), 'cluster.local')).issuer;
    const old = await before.sign(ID, 60);
    const secrets = sealSecrets(new MemorySecretStore(), randomBytes(32));
    const a = await sharedIdentityTokenIssuer(secrets, 'cluster.local', path.join(dir, 'a'));
    const b = await sharedIdentityTokenIssuer(secrets, 'cluster.local', path.join(dir, 'b'));
    assert.equal(a.keyId, before.keyId);
    assert.deepEqual(await b.verify(old.token), { ok: true, value: ID });

    fs.mkdirSync(path.join(dir, 'c'));
    fs.writeFileSync(path.join(dir, 'c', 'identity-signing-key.pem'), 'not a key');
    const other = sealSecrets(new MemorySecretStore(), randomBytes(32));
    const c = await sharedIdentityTokenIssuer(other, 'cluster.local', path.join(dir, 'c'));
    assert.equal((await c.verify((await c.sign(ID, 60)).token)).ok, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
