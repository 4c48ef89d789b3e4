// etcd store: the config log — commits as one etcd transaction guarded by the head key, and the feed that keeps this
// replica's in-memory mirror equal to the log (a watch for speed, ranged reads to fill any gap the watch leaves).
//
// Trellis keeps its own dense revision counter rather than etcd's: etcd's also counts lease, election and secret
// writes. Every commit writes head, one record (metadata plus rows) and the live kv keys at one etcd revision.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { RevisionWrite } from '../backend.js';
import { StoreError } from '../errors.js';
import type { MemoryBackend, SeedRow } from '../memory-store.js';
import type { RemoteLog, RevisionedStore } from '../revisioned-store.js';
import type { Revision, RevisionInfo } from '../types.js';
import { storeErrorFrom } from './client.js';
import { prefixEnd, type CompactedMark, type EtcdLayout, type KvValue, type RevisionRecord } from './layout.js';

const PAGE = 256;

export interface ConfigLogDeps {
  client: Etcd3;
  layout: EtcdLayout;
  store: RevisionedStore;
  mirror: MemoryBackend;
  log: (msg: string) => void;
}

function text(kv: IKeyValue): string {
  return kv.value.toString('utf8');
}

function parseRecord(kv: IKeyValue): RevisionRecord {
  const r = JSON.parse(text(kv)) as RevisionRecord;
  if (!Number.isInteger(r.revision) || !Array.isArray(r.rows)) throw new Error(`malformed revision record at ${kv.key.toString()}`);
  return r;
}

export class EtcdConfigLog implements RemoteLog {
  private watcher: Watcher | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** The etcd revision every read so far has seen at least; the watch starts after it. */
  private seenEtcdRev = '0';

  constructor(private readonly d: ConfigLogDeps) {}

  /** Seeds the mirror (from the compaction floor, if any), replays the log to its head, then follows it. */
  async open(): Promise<void> {
    await this.seed();
    await this.sync();
    const w = await this.d.client
      .watch()
      .prefix(this.d.layout.cfgPrefix)
      .startRevision(String(BigInt(this.seenEtcdRev) + 1n))
      .create();
    if (this.closed) {
      await w.cancel();
      return;
    }
    this.watcher = w;
    w.on('put', (kv) => this.onPut(kv));
    // after a reconnect etcd3 may resume past events it never delivered: read the log for anything missed
    w.on('connected', () => void this.sync().catch(() => undefined));
    w.on('error', (e) => this.d.log(`store: etcd watch: ${e instanceof Error ? e.message : String(e)}`));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
  }

  /** Coalesces callers: one read in flight, and one more queued for those who came after it started. */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.catchUp().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  async append(write: RevisionWrite): Promise<boolean> {
    const { client, layout } = this.d;
    const prev = write.info.revision - 1;
    const record: RevisionRecord = { ...write.info, rows: write.rows };
    const ops = [
      client.put(layout.head).value(JSON.stringify({ rev: write.info.revision })),
      client.put(layout.rev(write.info.revision)).value(JSON.stringify(record)),
      ...write.rows.map((r) =>
        r.value === null
          ? client.delete().key(layout.kv(r.key))
          : client.put(layout.kv(r.key)).value(`{"rev":${write.info.revision},"resource":${r.value}}`),
      ),
    ];
    const txn = prev === 0 ? client.if(layout.head, 'Create', '==', 0) : client.if(layout.head, 'Value', '==', JSON.stringify({ rev: prev }));
    try {
      const res = await txn.then(...ops).commit();
      return res.succeeded;
    } catch (e) {
      throw storeErrorFrom(e, `committing revision ${write.info.revision}`);
    }
  }

  /**
   * Compacts history to keep the newest `keep` revisions: marks the floor, deletes older records, then compacts etcd at
   * the floor's etcd revision (so the live kv keys can still be read as they were at the floor). Returns the new floor.
   */
  async compact(keep: number): Promise<Revision | undefined> {
    const { client, layout, mirror } = this.d;
    const floor = mirror.currentRevision() - keep;
    if (floor <= mirror.floor()) return undefined;
    try {
      const rec = await client.get(layout.rev(floor)).exec();
      const kv = rec.kvs[0];
      if (kv === undefined) return undefined;
      const mark: CompactedMark = { rev: floor, etcdRev: kv.create_revision };
      await client.put(layout.compacted).value(JSON.stringify(mark)).exec();
      await client.delete().inRange({ start: layout.revPrefix, end: layout.rev(floor) }).exec();
      await client.kv.compact({ revision: kv.create_revision, physical: false });
      return floor;
    } catch (e) {
      throw storeErrorFrom(e, 'compacting history');
    }
  }

  /** An empty mirror starts at the compaction floor, if there is one. */
  private async seed(): Promise<void> {
    const floor = await this.readFloor();
    if (floor !== undefined) this.d.mirror.seed(floor.rev, floor.info, floor.rows);
  }

  /**
   * The mirror fell behind the history etcd keeps (this replica was away while it was compacted): take the state at
   * the floor, watchers told what changed as one revision, and follow on from there.
   */
  private async reseed(): Promise<void> {
    const floor = await this.readFloor();
    const head = this.d.mirror.currentRevision();
    // records are deleted only after the floor mark is written: a gap without a floor past it is a log this replica cannot read
    if (floor === undefined || floor.rev <= head) throw new StoreError('UNAVAILABLE', `the config log lacks revision ${head + 1} and no compaction floor is past it`);
    const info = floor.info ?? { revision: floor.rev, time: new Date().toISOString(), author: 'trellis', message: `the state at revision ${floor.rev} (this replica fell behind the compacted history)` };
    this.d.store.jump(floor.rev, info, () => this.d.mirror.seed(floor.rev, floor.info, floor.rows));
    this.d.log(`store: this replica held revision ${head}, but history up to ${floor.rev} was compacted while it was away: it took the state at ${floor.rev} and follows on from there`);
  }

  /** The compaction floor's revision, its metadata (if its record is still there) and the live rows as of it. */
  private async readFloor(): Promise<{ rev: Revision; info: Omit<RevisionInfo, 'changes'> | undefined; rows: SeedRow[] } | undefined> {
    const { client, layout } = this.d;
    try {
      const markKv = (await client.get(layout.compacted).exec()).kvs[0];
      if (markKv === undefined) return undefined;
      const mark = JSON.parse(text(markKv)) as CompactedMark;
      const recKv = (await client.get(layout.rev(mark.rev)).exec()).kvs[0];
      const live = await client.getAll().prefix(layout.kvPrefix).revision(mark.etcdRev).exec();
      const rows: SeedRow[] = live.kvs.map((kv) => {
        const key = kv.key.toString('utf8').slice(layout.kvPrefix.length);
        const v = JSON.parse(text(kv)) as KvValue;
        const [kind = '', namespace = ''] = key.split('/');
        return { key, kind, namespace, revision: v.rev, value: JSON.stringify(v.resource) };
      });
      const info = recKv ? parseRecord(recKv) : undefined;
      this.saw(live.header.revision);
      return { rev: mark.rev, info: info && { revision: info.revision, time: info.time, author: info.author, message: info.message }, rows };
    } catch (e) {
      throw storeErrorFrom(e, 'reading the compacted config');
    }
  }

  private saw(etcdRev: string): void {
    if (BigInt(etcdRev) > BigInt(this.seenEtcdRev)) this.seenEtcdRev = etcdRev;
  }

  /** Reads every record after the mirror's head, in pages, and applies them in order. */
  private async catchUp(): Promise<void> {
    const { client, layout, mirror } = this.d;
    for (;;) {
      if (this.closed) throw new StoreError('CLOSED', 'config store is closed');
      let page;
      try {
        page = await client.getAll().inRange({ start: layout.rev(mirror.currentRevision() + 1), end: prefixEnd(layout.revPrefix) }).sort('Key', 'Ascend').limit(PAGE).exec();
      } catch (e) {
        throw storeErrorFrom(e, 'reading the config log');
      }
      this.saw(page.header.revision);
      let gap = false;
      for (const record of page.kvs.map(parseRecord)) {
        if ((gap = record.revision > mirror.currentRevision() + 1)) break;
        this.apply(record);
      }
      if (gap) {
        await this.reseed();
        continue;
      }
      if (!page.more) return;
    }
  }

  private onPut(kv: IKeyValue): void {
    const key = kv.key.toString('utf8');
    try {
      if (key.startsWith(this.d.layout.revPrefix)) {
        const record = parseRecord(kv);
        const next = this.d.mirror.currentRevision() + 1;
        if (record.revision === next) this.apply(record);
        else if (record.revision > next) void this.sync().catch((e: unknown) => this.d.log(`store: catching up: ${String(e)}`));
      } else if (key === this.d.layout.compacted) {
        const mark = JSON.parse(text(kv)) as CompactedMark;
        if (mark.rev <= this.d.mirror.currentRevision()) this.d.mirror.compact(mark.rev);
      }
    } catch (e) {
      this.d.log(`store: ignoring ${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private apply(record: RevisionRecord): void {
    const next = this.d.mirror.currentRevision() + 1;
    // an older one: the watch and a catch-up read both delivered it (a newer one is a gap, which catchUp handles)
    if (record.revision !== next) return;
    const { rows, ...info } = record;
    this.d.store.receive({ info, rows });
  }
}
