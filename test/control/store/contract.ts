// Test support: the ConfigStore contract, run unchanged against every implementation (memory, SQLite).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStoreError, type StoreError, type StoreErrorCode } from '../../../src/control/store/errors.js';
import type { ConfigStore, EphemeralEvent, StoredResource, WatchEvent } from '../../../src/control/store/types.js';

/** Makes a fresh, empty store; `now` pins revision times. */
export type StoreFactory = (now: () => Date) => Promise<ConfigStore>;

export const META = { author: 'alice', message: 'test' };

export function svc(name: string, ns = 'default', port = 80, extra: Record<string, unknown> = {}): StoredResource {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ port }] }, ...extra };
}

export function vs(name: string, ns = 'default', host = name): StoredResource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: ns },
    spec: { hosts: [host] },
  };
}

export const put = (resource: StoredResource) => ({ op: 'put' as const, resource });
export const del = (key: string) => ({ op: 'delete' as const, key });

export async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isStoreError(e, code), `expected StoreError ${code}, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected StoreError ${code}, but it resolved`);
}

/** Resolves once `pred` holds (polling), or fails after `ms`. */
export async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await sleep(5);
  }
}

const names = (rs: StoredResource[]) => rs.map((r) => `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`);

export interface ContractOptions {
  /** Multiplies every lease TTL and wait (etcd's leases count whole seconds). */
  leaseScale?: number;
  /** Whether a store says why an ephemeral key went away (etcd's delete events do not). */
  deleteReasons?: boolean;
}

export function configStoreContract(impl: string, make: StoreFactory, opts: ContractOptions = {}): void {
  const scale = opts.leaseScale ?? 1;
  const reasons = opts.deleteReasons ?? true;
  let clock = Date.parse('2026-01-02T03:04:05.000Z');
  const now = () => new Date((clock += 1000));
  const open = () => make(now);

  describe(`ConfigStore contract: ${impl}`, () => {
    it('starts empty at revision 0', async () => {
      const s = await open();
      assert.equal(await s.revision(), 0);
      assert.deepEqual(await s.list(), []);
      assert.equal(await s.get('Service/default/a'), undefined);
      assert.deepEqual(await s.history(), []);
      await s.close();
    });

    it('creates one revision per commit, with author, time, message and changes in history', async () => {
      const s = await open();
      assert.equal(await s.commit([put(svc('a')), put(svc('b'))], { author: 'alice', message: 'first' }), 1);
      assert.equal(await s.commit([put(svc('a', 'default', 81))], { author: 'bob', message: 'second' }), 2);
      assert.equal(await s.commit([del('Service/default/b')], { author: 'carol', message: 'third' }), 3);
      assert.equal(await s.revision(), 3);
      const h = await s.history();
      assert.deepEqual(
        h.map((r) => [r.revision, r.author, r.message]),
        [
          [1, 'alice', 'first'],
          [2, 'bob', 'second'],
          [3, 'carol', 'third'],
        ],
      );
      assert.ok(h.every((r) => !Number.isNaN(Date.parse(r.time)) && r.time.endsWith('Z')));
      assert.ok(h[0]!.time < h[1]!.time && h[1]!.time < h[2]!.time);
      assert.deepEqual(h[0]!.changes, [
        { key: 'Service/default/a', op: 'put' },
        { key: 'Service/default/b', op: 'put' },
      ]);
      assert.deepEqual(h[2]!.changes, [{ key: 'Service/default/b', op: 'delete' }]);
      await s.close();
    });

    it('history: newest `limit`, oldest first; filtered by key', async () => {
      const s = await open();
      for (let i = 1; i <= 5; i++) await s.commit([put(svc(i % 2 ? 'odd' : 'even', 'default', i))], META);
      assert.deepEqual((await s.history({ limit: 2 })).map((r) => r.revision), [4, 5]);
      assert.deepEqual((await s.history({ key: 'Service/default/even' })).map((r) => r.revision), [2, 4]);
      assert.deepEqual((await s.history({ key: 'Service/default/odd', limit: 2 })).map((r) => r.revision), [3, 5]);
      assert.deepEqual(await s.history({ limit: 0 }), []);
      await s.close();
    });

    it('a commit rejected by the validator changes nothing, and the validator sees the would-be state', async () => {
      const s = await open();
      await s.commit([put(svc('a')), put(svc('gone'))], META);
      let seen: string[] = [];
      let seenRevision = 0;
      const err = await rejectsWith(
        s.commit([put(svc('b')), put(vs('b')), del('Service/default/gone')], META, {
          validate: (view) => {
            seen = names(view.list());
            seenRevision = view.revision;
            assert.equal(view.get('Service/default/gone'), undefined);
            assert.equal(view.get('Service/default/b')?.metadata.name, 'b');
            assert.deepEqual(names(view.list({ kind: 'VirtualService' })), ['VirtualService/default/b']);
            return [
              { path: 'Service/default/b: spec', message: 'bad' },
              { path: 'VirtualService/default/b: spec.hosts', message: 'worse' },
            ];
          },
        }),
        'INVALID',
      );
      assert.deepEqual(seen, ['Service/default/a', 'Service/default/b', 'VirtualService/default/b']);
      assert.equal(seenRevision, 2);
      assert.equal(err.errors.length, 2);
      assert.equal(await s.revision(), 1);
      assert.deepEqual(names(await s.list()), ['Service/default/a', 'Service/default/gone']);
      // A validator that throws also aborts the whole commit.
      await assert.rejects(
        s.commit([put(svc('c'))], META, {
          validate: () => {
            throw new Error('boom');
          },
        }),
        /boom/,
      );
      assert.equal(await s.revision(), 1);
      assert.equal(await s.commit([put(svc('c'))], META, { validate: () => [] }), 2);
      await s.close();
    });

    it('rejects unstorable resources with every error, and one key twice in a commit', async () => {
      const s = await open();
      const bad = { kind: '', metadata: { name: 'a/b' } } as unknown as StoredResource;
      const noMeta = { kind: 'Service' } as unknown as StoredResource;
      const err = await rejectsWith(s.commit([put(svc('ok')), put(bad), put(noMeta), del('nokey')], META), 'INVALID');
      assert.deepEqual(
        err.errors.map((e) => e.path),
        ['changes[1].kind', 'changes[1].metadata.name', 'changes[2].metadata', 'changes[3].key'],
      );
      await rejectsWith(s.commit([put(svc('x')), del('Service/default/x')], META), 'INVALID');
      assert.equal(await s.revision(), 0);
      await s.close();
    });

    it('global CAS: ifRevision must equal the current revision', async () => {
      const s = await open();
      await s.commit([put(svc('a'))], META);
      await rejectsWith(s.commit([put(svc('b')), put(svc('c'))], META, 0), 'CONFLICT');
      await rejectsWith(s.commit([put(svc('b'))], META, { ifRevision: 2 }), 'CONFLICT');
      assert.equal(await s.revision(), 1);
      assert.deepEqual(names(await s.list()), ['Service/default/a']);
      assert.equal(await s.commit([put(svc('b'))], META, 1), 2);
      assert.equal(await s.commit([put(svc('c'))], META, { ifRevision: 2 }), 3);
      await s.close();
    });

    it('per-key CAS: ifModRevision (0 = must not exist)', async () => {
      const s = await open();
      await s.commit([{ op: 'put', resource: svc('a'), ifModRevision: 0 }], META);
      await rejectsWith(s.commit([{ op: 'put', resource: svc('a', 'default', 2), ifModRevision: 0 }], META), 'CONFLICT');
      await s.commit([put(svc('other'))], META);
      const entry = await s.getEntry('Service/default/a');
      assert.equal(entry?.modRevision, 1);
      // A stale compare on one key fails the whole commit, including the other change.
      await rejectsWith(
        s.commit([put(svc('new')), { op: 'put', resource: svc('a', 'default', 3), ifModRevision: 2 }], META),
        'CONFLICT',
      );
      assert.equal(await s.get('Service/default/new'), undefined);
      assert.equal(await s.commit([{ op: 'put', resource: svc('a', 'default', 3), ifModRevision: 1 }], META), 3);
      await rejectsWith(s.commit([{ op: 'delete', key: 'Service/default/a', ifModRevision: 1 }], META), 'CONFLICT');
      assert.equal(await s.commit([{ op: 'delete', key: 'Service/default/a', ifModRevision: 3 }], META), 4);
      // After a delete the key does not exist: mod revision 0 again.
      assert.equal(await s.commit([{ op: 'put', resource: svc('a'), ifModRevision: 0 }], META), 5);
      await s.close();
    });

    it('unchanged puts and deletes of absent keys create no revision', async () => {
      const s = await open();
      await s.commit([put({ kind: 'Service', metadata: { name: 'a', namespace: 'default' }, spec: { x: 1, y: [1, 2] } })], META);
      // Same content, other key order: unchanged.
      const same = { spec: { y: [1, 2], x: 1 }, metadata: { namespace: 'default', name: 'a' }, kind: 'Service' };
      assert.equal(await s.commit([put(same), del('Service/default/absent')], META), 1);
      assert.equal(await s.revision(), 1);
      assert.equal((await s.history()).length, 1);
      // Mixed: only the real change is recorded.
      assert.equal(await s.commit([put(same), put(svc('b'))], META), 2);
      assert.deepEqual((await s.history({ limit: 1 }))[0]!.changes, [{ key: 'Service/default/b', op: 'put' }]);
      await s.close();
    });

    it('reads as of old revisions; filters by kind and namespace', async () => {
      const s = await open();
      await s.commit([put(svc('a')), put(svc('a', 'prod')), put(vs('a'))], META); // 1
      await s.commit([put(svc('a', 'default', 9090))], META); // 2
      await s.commit([del('Service/prod/a'), put({ kind: 'Mesh', metadata: { name: 'global' } })], META); // 3
      assert.deepEqual((await s.get('Service/default/a', 1))?.spec, { ports: [{ port: 80 }] });
      assert.deepEqual((await s.get('Service/default/a', 2))?.spec, { ports: [{ port: 9090 }] });
      assert.equal(await s.get('Service/default/a', 0), undefined);
      assert.ok(await s.get('Service/prod/a', 2));
      assert.equal(await s.get('Service/prod/a'), undefined);
      assert.equal((await s.getEntry('Service/default/a'))?.modRevision, 2);
      assert.equal((await s.getEntry('Service/default/a', 1))?.modRevision, 1);
      assert.deepEqual(names(await s.list({ at: 1 })), ['Service/default/a', 'Service/prod/a', 'VirtualService/default/a']);
      assert.deepEqual(names(await s.list()), ['Mesh//global', 'Service/default/a', 'VirtualService/default/a']);
      assert.deepEqual(names(await s.list({ kind: 'Service', at: 2 })), ['Service/default/a', 'Service/prod/a']);
      assert.deepEqual(names(await s.list({ namespace: 'prod', at: 2 })), ['Service/prod/a']);
      assert.deepEqual(names(await s.list({ namespace: '' })), ['Mesh//global']);
      assert.deepEqual(names(await s.list({ kind: 'Service', namespace: 'default', at: 1 })), ['Service/default/a']);
      await rejectsWith(s.get('Service/default/a', 4), 'BAD_REVISION');
      await rejectsWith(s.list({ at: -1 }), 'BAD_REVISION');
      await rejectsWith(s.diff(0, 1.5), 'BAD_REVISION');
      await s.close();
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const s = await open();
      const original = svc('a');
      await s.commit([put(original)], META);
      (original.spec as { ports: unknown[] }).ports.push({ port: 1 });
      const got = (await s.get('Service/default/a'))!;
      assert.deepEqual(got.spec, { ports: [{ port: 80 }] });
      (got.spec as { ports: unknown[] }).ports.length = 0;
      assert.deepEqual((await s.get('Service/default/a'))!.spec, { ports: [{ port: 80 }] });
      await s.close();
    });

    it('rollback to N restores exactly N as a new revision', async () => {
      const s = await open();
      await s.commit([put(svc('a')), put(svc('b'))], META); // 1
      await s.commit([put(svc('a', 'default', 81)), del('Service/default/b'), put(svc('c'))], META); // 2
      await s.commit([put(vs('a'))], META); // 3
      const rev = await s.rollback(1, { author: 'ops', message: '' });
      assert.equal(rev, 4);
      assert.deepEqual(await s.list(), await s.list({ at: 1 }));
      assert.deepEqual(names(await s.list()), ['Service/default/a', 'Service/default/b']);
      const last = (await s.history({ limit: 1 }))[0]!;
      assert.equal(last.author, 'ops');
      assert.equal(last.message, 'rollback to revision 1');
      assert.deepEqual(last.changes, [
        { key: 'Service/default/a', op: 'put' },
        { key: 'Service/default/b', op: 'put' },
        { key: 'Service/default/c', op: 'delete' },
        { key: 'VirtualService/default/a', op: 'delete' },
      ]);
      // History is kept: revision 3 is still readable, and we can roll forward again.
      assert.equal(await s.rollback(3, { author: 'ops', message: 'forward again' }), 5);
      assert.deepEqual(await s.list(), await s.list({ at: 3 }));
      // Rolling back to the state we are in is a no-op; to 0 empties the config.
      assert.equal(await s.rollback(5, META), 5);
      assert.equal(await s.rollback(0, META), 6);
      assert.deepEqual(await s.list(), []);
      await rejectsWith(s.rollback(7, META), 'BAD_REVISION');
      await rejectsWith(s.rollback(1, META, { ifRevision: 5 }), 'CONFLICT');
      assert.equal(await s.revision(), 6);
      await s.close();
    });

    it('diff between revisions: added, removed, changed (either direction)', async () => {
      const s = await open();
      await s.commit([put(svc('a')), put(svc('b')), put(svc('same'))], META); // 1
      await s.commit([put(svc('a', 'default', 81)), del('Service/default/b'), put(svc('c'))], META); // 2
      await s.commit([put(svc('flip', 'default', 1))], META); // 3
      await s.commit([del('Service/default/flip')], META); // 4 — created and deleted between 2 and 4
      const d = await s.diff(1, 4);
      assert.deepEqual(
        d.map((x) => [x.key, x.op]),
        [
          ['Service/default/a', 'changed'],
          ['Service/default/b', 'removed'],
          ['Service/default/c', 'added'],
        ],
      );
      assert.deepEqual(d[0]!.before?.spec, { ports: [{ port: 80 }] });
      assert.deepEqual(d[0]!.after?.spec, { ports: [{ port: 81 }] });
      assert.equal(d[1]!.after, undefined);
      assert.equal(d[2]!.before, undefined);
      const back = await s.diff(4, 1);
      assert.deepEqual(
        back.map((x) => [x.key, x.op]),
        [
          ['Service/default/a', 'changed'],
          ['Service/default/b', 'added'],
          ['Service/default/c', 'removed'],
        ],
      );
      assert.deepEqual(await s.diff(2, 2), []);
      assert.deepEqual(await s.diff(2, 4), []);
      assert.equal((await s.diff(0, 1)).length, 3);
      await s.close();
    });

    it('watch delivers every revision in order: history first, then live; never inside commit', async () => {
      const s = await open();
      await s.commit([put(svc('a'))], META);
      await s.commit([put(svc('b'))], META);
      await s.commit([del('Service/default/a')], { author: 'bob', message: 'drop a' });
      const fromTwo: WatchEvent[] = [];
      const fromOne: WatchEvent[] = [];
      const liveOnly: WatchEvent[] = [];
      const cancel2 = s.watch(2, (ev) => fromTwo.push(ev));
      s.watch(0, (ev) => fromOne.push(ev));
      s.watch((await s.revision()) + 1, (ev) => liveOnly.push(ev));
      await until(() => fromOne.length === 3);
      const r4 = s.commit([put(svc('c'))], META);
      assert.equal(fromOne.length, 3, 'no delivery inside commit');
      await r4;
      await s.commit([put(svc('d')), put(vs('d'))], META);
      await until(() => fromOne.length === 5 && liveOnly.length === 2 && fromTwo.length === 4);
      assert.deepEqual(fromOne.map((e) => e.revision), [1, 2, 3, 4, 5]);
      assert.deepEqual(fromTwo.map((e) => e.revision), [2, 3, 4, 5]);
      assert.deepEqual(liveOnly.map((e) => e.revision), [4, 5]);
      const third = fromOne[2]!;
      assert.equal(third.author, 'bob');
      assert.equal(third.message, 'drop a');
      assert.deepEqual(third.changes, [{ key: 'Service/default/a', op: 'delete' }]);
      assert.deepEqual(fromOne[4]!.changes.map((c) => [c.key, c.op, c.resource?.kind]), [
        ['Service/default/d', 'put', 'Service'],
        ['VirtualService/default/d', 'put', 'VirtualService'],
      ]);
      // Events are shared between watchers, so they are frozen.
      assert.ok(Object.isFrozen(fromOne[4]!.changes[0]!.resource));
      cancel2();
      await s.commit([put(svc('e'))], META);
      await until(() => fromOne.length === 6);
      await sleep(10);
      assert.equal(fromTwo.length, 4);
      await s.close();
    });

    it('watch: a watcher that throws does not stop the others; a watcher may commit', async () => {
      const s = await open();
      const got: number[] = [];
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      s.watch(1, () => {
        throw new Error('bad watcher');
      });
      let chained: Promise<unknown> | undefined;
      s.watch(1, (ev) => {
        got.push(ev.revision);
        chained ??= s.commit([put(svc('from-watcher'))], META);
      });
      await s.commit([put(svc('a'))], META);
      await until(() => got.length === 2);
      assert.deepEqual(got, [1, 2]);
      await until(() => warnings.length === 2);
      assert.deepEqual(warnings, ['TrellisStoreWarning', 'TrellisStoreWarning']);
      process.off('warning', onWarning);
      // the watcher's revision can arrive before its commit returns (etcd: the watch is faster than the commit's
      // own bookkeeping): closing first would fail that commit with nobody to see it
      await chained;
      await s.close();
    });

    it('concurrent commits get distinct consecutive revisions', async () => {
      const s = await open();
      const revs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.commit([put(svc(`s${i}`))], META)));
      assert.deepEqual([...revs].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal((await s.list()).length, 20);
      await s.close();
    });

    it('leases: keys vanish on expiry and revoke; keepAlive extends; not part of config history', async () => {
      const s = await open();
      const events: EphemeralEvent[] = [];
      s.watchEphemeral('workloads/', (ev) => events.push(ev));
      const short = await s.grantLease(120 * scale);
      const kept = await s.grantLease(120 * scale);
      await s.putWithLease('workloads/default/a', { ip: '10.0.0.1' }, short);
      await s.putWithLease('workloads/default/b', { ip: '10.0.0.2' }, kept);
      await s.putWithLease('other/x', 1, kept);
      assert.deepEqual(await s.getEphemeral('workloads/default/a'), { ip: '10.0.0.1' });
      assert.deepEqual((await s.listEphemeral('workloads/')).map((e) => e.key), ['workloads/default/a', 'workloads/default/b']);
      assert.equal(await s.revision(), 0, 'ephemeral keys create no revision');
      const ttl = await s.leaseTimeToLive(short);
      assert.ok(ttl !== undefined && ttl > 0 && ttl <= 120 * scale);
      for (let i = 0; i < 5; i++) {
        await sleep(50 * scale);
        await s.keepAlive(kept);
      }
      // 250 ms later: `short` expired, `kept` is alive.
      assert.equal(await s.getEphemeral('workloads/default/a'), undefined);
      assert.deepEqual(await s.getEphemeral('workloads/default/b'), { ip: '10.0.0.2' });
      assert.equal(await s.leaseTimeToLive(short), undefined);
      await rejectsWith(s.keepAlive(short), 'LEASE_NOT_FOUND');
      await rejectsWith(s.putWithLease('workloads/default/z', 1, short), 'LEASE_NOT_FOUND');
      await s.revokeLease(kept);
      await s.revokeLease(kept); // revoking a gone lease is fine
      assert.deepEqual(await s.listEphemeral(), []);
      await until(() => events.length === 4, 2000 * scale);
      assert.deepEqual(
        events.map((e) => [e.op, e.key, reasons ? e.reason : undefined]),
        [
          ['put', 'workloads/default/a', undefined],
          ['put', 'workloads/default/b', undefined],
          ['delete', 'workloads/default/a', reasons ? 'expired' : undefined],
          ['delete', 'workloads/default/b', reasons ? 'revoked' : undefined],
        ],
      );
      assert.deepEqual(await s.history(), []);
      await rejectsWith(s.grantLease(0), 'INVALID');
      await s.close();
    });

    it('leases: re-putting a key moves it to the new lease; explicit delete', async () => {
      const s = await open();
      const l1 = await s.grantLease(10_000);
      const l2 = await s.grantLease(10_000);
      await s.putWithLease('k', 'v1', l1);
      await s.putWithLease('k', 'v2', l2);
      await s.revokeLease(l1);
      assert.equal(await s.getEphemeral('k'), 'v2');
      assert.deepEqual(await s.listEphemeral('k'), [{ key: 'k', value: 'v2', lease: l2 }]);
      await s.deleteEphemeral('k');
      assert.equal(await s.getEphemeral('k'), undefined);
      await s.close();
    });

    it('leases: replaceEphemeralIf moves or deletes a key only while the given lease still owns it', async () => {
      const s = await open();
      const mine = await s.grantLease(10_000);
      const parting = await s.grantLease(10_000);
      const theirs = await s.grantLease(10_000);
      await s.putWithLease('k', 'v1', mine);
      assert.equal(await s.replaceEphemeralIf('k', mine, { value: 'v2', lease: parting }), true);
      assert.deepEqual(await s.listEphemeral('k'), [{ key: 'k', value: 'v2', lease: parting }]);
      assert.equal(await s.replaceEphemeralIf('k', mine, undefined), false, 'no longer on that lease');
      // another writer took the key over: neither a move nor a delete by the old owner touches it
      await s.putWithLease('k', 'v3', theirs);
      assert.equal(await s.replaceEphemeralIf('k', parting, { value: 'v4', lease: mine }), false);
      assert.equal(await s.replaceEphemeralIf('k', parting, undefined), false);
      assert.deepEqual(await s.listEphemeral('k'), [{ key: 'k', value: 'v3', lease: theirs }]);
      assert.equal(await s.replaceEphemeralIf('k', theirs, undefined), true);
      assert.equal(await s.getEphemeral('k'), undefined);
      assert.equal(await s.replaceEphemeralIf('missing', mine, undefined), false);
      await s.revokeLease(parting);
      await s.putWithLease('k', 'v5', mine);
      await rejectsWith(s.replaceEphemeralIf('k', mine, { value: 'v6', lease: parting }), 'LEASE_NOT_FOUND');
      assert.equal(await s.getEphemeral('k'), 'v5', 'a failed move leaves the key as it was');
      await rejectsWith(s.replaceEphemeralIf('k', mine, { value: undefined, lease: mine }), 'INVALID');
      await rejectsWith(s.replaceEphemeralIf('other', theirs, { value: () => 1, lease: mine }), 'INVALID');
      assert.equal(await s.getEphemeral('k'), 'v5', 'a refused value changes nothing');
      await s.close();
    });

    it('closed store rejects calls', async () => {
      const s = await open();
      await s.close();
      await s.close(); // idempotent
      await rejectsWith(s.revision(), 'CLOSED');
      await rejectsWith(s.commit([put(svc('a'))], META), 'CLOSED');
      await rejectsWith(s.get('Service/default/a'), 'CLOSED');
      await rejectsWith(s.grantLease(100), 'CLOSED');
      assert.throws(() => s.watch(1, () => {}), (e: unknown) => isStoreError(e, 'CLOSED'));
    });

    it('1000-resource commit and list (timing logged)', async () => {
      const s = await open();
      const many = Array.from({ length: 1000 }, (_, i) =>
        put(svc(`svc-${String(i).padStart(4, '0')}`, `ns-${i % 10}`, 8000 + i, { labels: { app: `a${i}`, version: 'v1' } })),
      );
      let t = performance.now();
      assert.equal(await s.commit(many, META), 1);
      const commitMs = performance.now() - t;
      t = performance.now();
      assert.equal((await s.list()).length, 1000);
      const listMs = performance.now() - t;
      t = performance.now();
      const changed = many.map((c, i) => put({ ...c.resource, spec: { ports: [{ port: 9000 + i }] } }));
      assert.equal(await s.commit(changed, META), 2);
      const updateMs = performance.now() - t;
      t = performance.now();
      assert.equal((await s.diff(1, 2)).length, 1000);
      const diffMs = performance.now() - t;
      t = performance.now();
      assert.equal(await s.rollback(1, META), 3);
      const rollbackMs = performance.now() - t;
      console.log(
        `# ${impl}: 1000 resources — commit ${commitMs.toFixed(1)} ms, list ${listMs.toFixed(1)} ms, ` +
          `update ${updateMs.toFixed(1)} ms, diff ${diffMs.toFixed(1)} ms, rollback ${rollbackMs.toFixed(1)} ms`,
      );
      await s.close();
    });
  });
}
