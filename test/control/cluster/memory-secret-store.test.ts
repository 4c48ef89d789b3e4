// The in-memory SecretStore: first writer wins, sorted prefix lists, copies in and out, watches told after the write.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySecretStore } from '../../../src/control/cluster/memory-secret-store.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('MemorySecretStore', () => {
  it('createIfAbsent: of concurrent callers the first wins, and every caller gets the winner', async () => {
    const store = new MemorySecretStore();
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => store.createIfAbsent('ca/active', b(`replica ${i}`))));
    assert.deepEqual(
      got.map((v) => v.toString()),
      Array.from({ length: 10 }, () => 'replica 0'),
    );
    assert.equal((await store.createIfAbsent('ca/active', b('late')))?.toString(), 'replica 0');
    assert.equal((await store.get('ca/active'))?.toString(), 'replica 0');
  });

  it('get, put, delete and list by prefix, sorted by name', async () => {
    const store = new MemorySecretStore();
    assert.equal(await store.get('a'), undefined);
    await store.put('auth/admin/bb', b('2'));
    await store.put('auth/admin/aa', b('1'));
    await store.put('auth/identity-signing-key', b('k'));
    await store.put('ca/active', b('root'));
    await store.put('auth/admin/aa', b('1 again'));
    assert.deepEqual(
      (await store.list('auth/admin/')).map((e) => [e.name, e.value.toString()]),
      [
        ['auth/admin/aa', '1 again'],
        ['auth/admin/bb', '2'],
      ],
    );
    assert.deepEqual(
      (await store.list('')).map((e) => e.name),
      ['auth/admin/aa', 'auth/admin/bb', 'auth/identity-signing-key', 'ca/active'],
    );
    await store.delete('auth/admin/aa');
    await store.delete('never-there');
    assert.deepEqual(
      (await store.list('auth/admin/')).map((e) => e.name),
      ['auth/admin/bb'],
    );
  });

  it('keeps its own copies: changing a Buffer given or got changes nothing stored', async () => {
    const store = new MemorySecretStore();
    const given = b('abc');
    await store.put('x', given);
    given[0] = 0x7a;
    const got = (await store.get('x'))!;
    got[1] = 0x7a;
    assert.equal((await store.get('x'))?.toString(), 'abc');
  });

  it('tells watchers of puts and deletes under their prefix after the write returns, never inside it', async () => {
    const store = new MemorySecretStore();
    const seen: string[] = [];
    const cancel = store.watch('ca/', (name) => seen.push(name));
    const p = store.put('ca/next', b('n'));
    assert.deepEqual(seen, [], 'not called inside put');
    await p;
    await store.put('auth/other', b('x'));
    await store.createIfAbsent('ca/active', b('a'));
    await store.createIfAbsent('ca/active', b('not written: no event'));
    await store.delete('ca/next');
    await store.delete('ca/next');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['ca/next', 'ca/active', 'ca/next']);
    cancel();
    await store.put('ca/active', b('after cancel'));
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.length, 3);
  });

  it('a watcher cancelled between a write and its delivery hears nothing', async () => {
    const store = new MemorySecretStore();
    const seen: string[] = [];
    const cancel = store.watch('', (name) => seen.push(name));
    void store.put('x', b('1'));
    cancel();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, []);
  });
});
