// A mirror that fell behind its remote log's compaction floor takes the state at the floor: watchers get what changed
// as one event at that revision, then the revisions after it, in order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../../src/control/store/memory-store.js';
import { RevisionedStore } from '../../../src/control/store/revisioned-store.js';
import type { WatchEvent } from '../../../src/control/store/types.js';

const svc = (name: string, port: number): string => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port }] } });
const info = (revision: number) => ({ revision, time: '2026-12-05T00:00:00.000Z', author: 't', message: `r${revision}` });
const row = (name: string, value: string | null) => ({ key: `Service/default/${name}`, kind: 'Service', namespace: 'default', value });

describe('a mirror behind the compaction floor', () => {
  it('jumps to the state at the floor, tells watchers the difference once, and follows on', async () => {
    const backend = new MemoryBackend();
    const store = new RevisionedStore(backend);
    const seen: WatchEvent[] = [];
    store.watch(1, (ev) => seen.push(ev));
    store.receive({ info: info(1), rows: [row('a', svc('a', 1)), row('b', svc('b', 1))] });
    store.receive({ info: info(2), rows: [row('c', svc('c', 1))] });
    // revisions 3..6 happened while this replica was away; history up to 7 is compacted: a changed, b deleted, d new, c as it was
    store.jump(7, info(7), () =>
      backend.seed(7, info(7), [
        { key: 'Service/default/a', kind: 'Service', namespace: 'default', revision: 5, value: svc('a', 2) },
        { key: 'Service/default/c', kind: 'Service', namespace: 'default', revision: 2, value: svc('c', 1) },
        { key: 'Service/default/d', kind: 'Service', namespace: 'default', revision: 7, value: svc('d', 1) },
      ]),
    );
    store.receive({ info: info(8), rows: [row('d', null)] });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen.map((e) => e.revision), [1, 2, 7, 8], 'what was pending first, the jump once, then on in order');
    assert.deepEqual(seen[2]!.changes.map((c) => `${c.op} ${c.key}`), ['put Service/default/a', 'delete Service/default/b', 'put Service/default/d']);
    assert.equal((seen[2]!.changes[0] as { resource?: { spec: { ports: { port: number }[] } } }).resource?.spec.ports[0]?.port, 2);
    assert.deepEqual((await store.list()).map((r) => r.metadata.name), ['a', 'c']);
    assert.equal(await store.revision(), 8);
    assert.throws(() => store.watch(3, () => {}), /compacted/, 'history below the floor is gone here too');
    // a watcher added later starts after the floor
    const later: WatchEvent[] = [];
    store.watch(8, (ev) => later.push(ev));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(later.map((e) => e.revision), [8]);
    await store.close();
  });

  it('does nothing when the floor is not past what the mirror holds', async () => {
    const backend = new MemoryBackend();
    const store = new RevisionedStore(backend);
    store.receive({ info: info(1), rows: [row('a', svc('a', 1))] });
    let reseeded = false;
    store.jump(1, info(1), () => (reseeded = true));
    assert.equal(reseeded, false);
    assert.equal(await store.revision(), 1);
    await store.close();
  });
});
