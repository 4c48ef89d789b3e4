// The etcd prefix watch across a reconnect: the member a client talks to freezes, keys change through the others
// meanwhile, and once it is back the watch delivers those changes (etcd3 alone resumes past them) — puts and deletes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { prefixWatch } from '../../../../src/control/store/etcd/prefix-watch.js';
import { ETCD_MISSING, startEtcdCluster, type EtcdCluster } from '../../../support/etcd-cluster.js';

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('prefixWatch', { skip: ETCD_MISSING, timeout: 90_000 }, () => {
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcdCluster({ members: 3 });
  });
  after(async () => {
    await etcd?.stop();
  });

  it('delivers what changed while its only member was down, once that member is back', async () => {
    const watching = new Etcd3({ hosts: [`http://${etcd.endpoints[0]}`] });
    const writer = new Etcd3({ hosts: etcd.endpoints.slice(1).map((e) => `http://${e}`) });
    try {
      await writer.put('/p/gone').value('1');
      const { header } = await writer.put('/p/kept').value('1').exec();
      const seen: string[] = [];
      // from the revision after the last write, as the stores do after their listing
      const stop = prefixWatch(watching, '/p/', BigInt(header.revision) + 1n, {
        put: (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`),
        delete: (key) => seen.push(`delete ${key.toString()}`),
      });
      await writer.put('/p/live').value('1');
      await until(() => seen.includes('put /p/live=1'), 10_000, () => 'a live event');
      // the watched member freezes (as a partition looks to its client) while the cluster keeps a quorum and takes writes
      etcd.pause(0);
      try {
        await writer.put('/p/new').value('2');
        await writer.delete().key('/p/gone');
        await writer.put('/p/kept').value('2');
        await new Promise((r) => setTimeout(r, 12_000)); // long enough for the client's stream to break
      } finally {
        etcd.resume(0);
      }
      await until(() => seen.includes('put /p/new=2') && seen.includes('delete /p/gone') && seen.includes('put /p/kept=2'), 30_000, () => `the missed changes (saw ${JSON.stringify(seen)})`);
      // and the watch goes on after the relisting
      await writer.put('/p/after').value('3');
      await until(() => seen.includes('put /p/after=3'), 10_000, () => 'an event after the reconnect');
      stop();
    } finally {
      watching.close();
      writer.close();
    }
  });
});
