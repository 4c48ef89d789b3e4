// Test: the SQLite ConfigStore — the shared contract, plus persistence (close/reopen), WAL and the data dir.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/control/store/sqlite-store.js';
import { configStoreContract, del, META, put, rejectsWith, svc } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'trellis-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`, 'nested'); // nested: the store creates missing directories

configStoreContract('sqlite', async (now) => openSqliteStore({ dataDir: freshDir(), now }));

describe('sqlite store persistence', () => {
  it('survives close/reopen with history, old revisions and numbering intact, and leased keys on their leases', async () => {
    const dataDir = freshDir();
    let s = await openSqliteStore({ dataDir });
    await s.commit([put(svc('a')), put(svc('b'))], { author: 'alice', message: 'one' });
    await s.commit([del('Service/default/b'), put(svc('a', 'default', 81))], { author: 'bob', message: 'two' });
    const lease = await s.grantLease(60_000);
    await s.putWithLease('workloads/x', { ip: '10.0.0.9' }, lease);
    const historyBefore = await s.history();
    await s.close();
    assert.ok(existsSync(join(dataDir, 'trellis.db')));

    s = await openSqliteStore({ dataDir });
    assert.equal(await s.revision(), 2);
    assert.deepEqual(await s.history(), historyBefore);
    assert.deepEqual((await s.get('Service/default/b', 1))?.metadata, { name: 'b', namespace: 'default' });
    assert.equal(await s.get('Service/default/b'), undefined);
    assert.deepEqual((await s.get('Service/default/a'))?.spec, { ports: [{ port: 81 }] });
    // as etcd's: the key is back on its lease, whose TTL starts again from the reopen
    assert.deepEqual(await s.listEphemeral(), [{ key: 'workloads/x', value: { ip: '10.0.0.9' }, lease }]);
    assert.ok(((await s.leaseTimeToLive(lease)) ?? 0) > 59_000);
    await s.keepAlive(lease);
    // Watch from the beginning replays the persisted history.
    const seen: number[] = [];
    s.watch(1, (ev) => seen.push(ev.revision));
    assert.equal(await s.commit([put(svc('c'))], META), 3);
    assert.equal(await s.rollback(1, META), 4);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.deepEqual(await s.list(), await s.list({ at: 1 }));
    await s.close();
  });

  it('restores only live leased keys, and a restored lease not kept alive expires', async () => {
    const dataDir = freshDir();
    let s = await openSqliteStore({ dataDir });
    const short = await s.grantLease(150);
    await s.putWithLease('workloads/short', { n: 1 }, short);
    const revoked = await s.grantLease(60_000);
    await s.putWithLease('workloads/revoked', { n: 2 }, revoked);
    await s.revokeLease(revoked);
    const moved = await s.grantLease(60_000);
    await s.putWithLease('workloads/moved', { n: 3 }, moved);
    const taker = await s.grantLease(60_000);
    await s.putWithLease('workloads/moved', { n: 4 }, taker);
    await s.deleteEphemeral('workloads/nothing');
    await s.close();

    s = await openSqliteStore({ dataDir });
    assert.deepEqual(await s.listEphemeral(), [
      { key: 'workloads/moved', value: { n: 4 }, lease: taker },
      { key: 'workloads/short', value: { n: 1 }, lease: short },
    ]);
    const gone: string[] = [];
    s.watchEphemeral('workloads/', (ev) => gone.push(`${ev.op} ${ev.key} ${ev.op === 'delete' ? ev.reason : ''}`));
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(gone, ['delete workloads/short expired']);
    await s.close();
    s = await openSqliteStore({ dataDir });
    assert.deepEqual((await s.listEphemeral()).map((e) => e.key), ['workloads/moved']);
    await s.close();
  });

  it('uses WAL journaling and the documented schema', async () => {
    const dataDir = freshDir();
    const s = await openSqliteStore({ dataDir });
    await s.commit([put(svc('a'))], META);
    await s.close();
    const db = new Database(join(dataDir, 'trellis.db'), { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      assert.deepEqual(tables.map((t) => t.name), ['ephemeral', 'kv', 'revisions']);
      assert.deepEqual(db.prepare('SELECT key, revision, value IS NULL AS tomb FROM kv').all(), [
        { key: 'Service/default/a', revision: 1, tomb: 0 },
      ]);
    } finally {
      db.close();
    }
  });

  it('a failed commit leaves nothing on disk', async () => {
    const dataDir = freshDir();
    let s = await openSqliteStore({ dataDir });
    await s.commit([put(svc('a'))], META);
    await assert.rejects(
      s.commit([put(svc('b')), put(svc('c'))], META, {
        validate: () => {
          throw new Error('validator crashed');
        },
      }),
    );
    await s.close();
    s = await openSqliteStore({ dataDir });
    assert.equal(await s.revision(), 1);
    assert.equal((await s.list()).length, 1);
    await s.close();
  });

  it('refuses a database from a newer schema', async () => {
    const dataDir = freshDir();
    const s = await openSqliteStore({ dataDir });
    await s.close();
    const db = new Database(join(dataDir, 'trellis.db'));
    db.pragma('user_version = 99');
    db.close();
    await rejectsWith(openSqliteStore({ dataDir }), 'INVALID');
  });
});
