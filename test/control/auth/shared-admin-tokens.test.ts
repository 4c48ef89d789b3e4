// Admin tokens across replicas: each registers its token's SHA-256 (never the token); requireAdmin on any replica accepts
// every registered token and nothing else; a data dir's new token revokes its old one everywhere.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureAdminToken, newAdminToken } from '../../../src/control/auth/admin-token.js';
import { requireAdmin, Unauthorized } from '../../../src/control/auth/credential.js';
import { ADMIN_HASH_PREFIX, SharedAdminTokens } from '../../../src/control/auth/shared-admin-tokens.js';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';
import { StoreError } from '../../../src/control/store/errors.js';
import { sealSecrets } from '../../../src/control/cluster/sealed-secrets.js';
import { until } from '../xds/ads-client.js';

const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('admin tokens shared by replicas', () => {
  it('A\'s admin token is accepted by B\'s requireAdmin (also when A starts after B); an unknown token is not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-admins-'));
    try {
      const inner = new MemorySecretStore();
      const secrets = sealSecrets(inner, randomBytes(32));
      const tokenB = (await ensureAdminToken(path.join(dir, 'b'))).token;
      const b = await SharedAdminTokens.open(tokenB, path.join(dir, 'b'), secrets, () => {});
      const tokenA = (await ensureAdminToken(path.join(dir, 'a'))).token;
      const a = await SharedAdminTokens.open(tokenA, path.join(dir, 'a'), secrets, () => {});
      await until(() => b.accepts(tokenA));
      assert.deepEqual(requireAdmin(req(tokenA), b), { name: 'admin' });
      assert.deepEqual(requireAdmin(req(tokenB), a), { name: 'admin' });
      assert.deepEqual(requireAdmin(req(tokenB), b), { name: 'admin' });
      for (const wrong of [newAdminToken(), `${tokenA}x`, tokenA.slice(1), sha(tokenA), '']) {
        assert.throws(() => requireAdmin(req(wrong), b), (e: Error) => e instanceof Unauthorized && /not valid|needs the admin credential/.test(e.message));
      }
      assert.equal(a.size(), 2);
      // the store holds hashes, sealed: neither a token nor its hash in the clear
      const raw = (await inner.list('')).map((e) => `${e.name} ${e.value.toString()}`).join('\n');
      assert.deepEqual(
        (await inner.list(ADMIN_HASH_PREFIX)).map((e) => e.name).sort(),
        [`${ADMIN_HASH_PREFIX}${sha(tokenA)}`, `${ADMIN_HASH_PREFIX}${sha(tokenB)}`].sort(),
      );
      for (const t of [tokenA, tokenB]) assert.equal(raw.includes(t), false);
      a.close();
      b.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a data dir\'s new token (its admin-token file deleted, the replica restarted) revokes the old one on every replica', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-admins-'));
    try {
      const secrets = sealSecrets(new MemorySecretStore(), randomBytes(32));
      const dataA = path.join(dir, 'a');
      const oldA = (await ensureAdminToken(dataA)).token;
      const a1 = await SharedAdminTokens.open(oldA, dataA, secrets, () => {});
      const b = await SharedAdminTokens.open(newAdminToken(), path.join(dir, 'b'), secrets, () => {});
      assert.equal(b.accepts(oldA), true);
      a1.close();
      fs.rmSync(path.join(dataA, 'admin-token'));
      const newA = (await ensureAdminToken(dataA)).token;
      const logs: string[] = [];
      const a2 = await SharedAdminTokens.open(newA, dataA, secrets, (m) => logs.push(m));
      await until(() => b.accepts(newA) && !b.accepts(oldA));
      assert.equal(a2.accepts(oldA), false);
      assert.ok(logs.some((l) => l.includes('is no longer accepted by any replica')));
      // the same token again (a plain restart) revokes nothing
      a2.close();
      const a3 = await SharedAdminTokens.open(newA, dataA, secrets, () => {});
      await tick();
      assert.equal(b.accepts(newA), true);
      a3.close();
      b.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a running replica whose registration another removes (same host name and data dir path) registers again', async () => {
    const secrets = sealSecrets(new MemorySecretStore(), randomBytes(32));
    const tokenX = newAdminToken();
    const logs: string[] = [];
    const x = await SharedAdminTokens.open(tokenX, '/data', secrets, (m) => logs.push(m));
    const y = await SharedAdminTokens.open(newAdminToken(), '/data', secrets, () => {});
    await until(() => y.accepts(tokenX));
    assert.ok(logs.some((l) => l.includes('registered it again')));
    x.close();
    y.close();
  });

  it('a registration that does not check out is not accepted; a failing read drops it with a log line', async () => {
    const inner = new MemorySecretStore();
    const key = randomBytes(32);
    const secrets = sealSecrets(inner, key);
    const logs: string[] = [];
    const a = await SharedAdminTokens.open(newAdminToken(), undefined, secrets, (m) => logs.push(m));
    const forged = newAdminToken();
    // sealed with the right key but naming another hash than its own
    await secrets.put(`${ADMIN_HASH_PREFIX}${sha(forged)}`, Buffer.from(JSON.stringify({ sha256: sha(newAdminToken()), host: 'h' })));
    // written by someone without the key
    const forged2 = newAdminToken();
    await inner.put(`${ADMIN_HASH_PREFIX}${sha(forged2)}`, Buffer.from(JSON.stringify({ sha256: sha(forged2), host: 'h' })));
    await until(() => logs.some((l) => l.includes('cannot be opened')));
    assert.equal(a.accepts(forged), false);
    assert.equal(a.accepts(forged2), false);
    a.close();
    // and a replica starting now refuses to start on it, naming it
    await assert.rejects(SharedAdminTokens.open(newAdminToken(), undefined, secrets, () => {}), new RegExp(`${ADMIN_HASH_PREFIX}${sha(forged2)} cannot be opened`));
  });

  it('a registration re-read while the store is unavailable stays accepted, and is read again once the store answers', async () => {
    const inner = new MemorySecretStore();
    const secrets = sealSecrets(inner, randomBytes(32));
    const b = newAdminToken();
    const logs: string[] = [];
    const a = await SharedAdminTokens.open(newAdminToken(), undefined, secrets, (m) => logs.push(m));
    const other = await SharedAdminTokens.open(b, undefined, secrets, () => {});
    await until(() => a.accepts(b));
    // a watch relisting after a reconnect reports every name while etcd still refuses reads
    let down = 2;
    const get = inner.get.bind(inner);
    inner.get = async (name: string) => {
      if (down-- > 0) throw new StoreError('UNAVAILABLE', `reading ${name}: etcd is unavailable (deadline exceeded)`);
      return get(name);
    };
    await inner.put(`${ADMIN_HASH_PREFIX}${sha(b)}`, (await get(`${ADMIN_HASH_PREFIX}${sha(b)}`))!);
    await until(() => logs.some((l) => l.includes('failed') && l.includes('retrying')));
    assert.equal(a.accepts(b), true, 'not dropped while the store does not answer');
    await until(() => down < 0);
    assert.equal(a.accepts(b), true);
    a.close();
    other.close();
  });

  it('without shared secrets requireAdmin compares with the one token as before', () => {
    const token = newAdminToken();
    assert.deepEqual(requireAdmin(req(token), token), { name: 'admin' });
    assert.throws(() => requireAdmin(req(newAdminToken()), token), Unauthorized);
  });
});
