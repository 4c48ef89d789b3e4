// Unit: replicas list themselves on a lease and find each other; a replica that stops drops out, one whose lease was
// lost lists itself again; asking peers reports each one that fails, is slow, too large or says nonsense.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplicaDirectory, REPLICA_PREFIX } from '../../../src/control/cluster/replica-directory.js';
import { askPeers } from '../../../src/control/cluster/peer-api.js';
import { createMemoryStore } from '../../../src/control/store/index.js';
import { freePort } from '../../../src/common/free-port.js';

async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ReplicaDirectory', () => {
  it('lists the other replicas, drops one that closes, and lists itself again after losing its lease', async () => {
    const store = createMemoryStore();
    const a = new ReplicaDirectory(store, () => {}, 300);
    const b = new ReplicaDirectory(store, () => {}, 300);
    await a.join({ id: 'a', api: 'http://10.0.0.1:15014' });
    await b.join({ id: 'b', api: 'http://10.0.0.2:15014' });
    assert.deepEqual(await a.peers(), [{ id: 'b', api: 'http://10.0.0.2:15014' }]);
    assert.deepEqual((await b.peers()).map((p) => p.id), ['a']);
    // a lease revoked behind its back (as etcd does after a partition) is replaced at the next renewal
    const [entry] = (await store.listEphemeral(REPLICA_PREFIX)).filter((e) => e.key.endsWith('/b'));
    await store.revokeLease(entry!.lease);
    assert.deepEqual(await a.peers(), []);
    await until(async () => (await a.peers()).length === 1);
    await b.close();
    assert.deepEqual(await a.peers(), []);
    // entries that are not replicas are ignored
    await store.putWithLease(`${REPLICA_PREFIX}junk`, { id: 'x', api: 'file:///etc/passwd' }, await store.grantLease(1000));
    assert.deepEqual(await a.peers(), []);
    await a.close();
    await store.close();
  });
});

describe('askPeers', () => {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer tok') return void res.writeHead(401).end('no');
    if (req.url === '/ok') return void res.end('{"n":1}');
    if (req.url === '/slow') return void setTimeout(() => res.end('{"n":2}'), 2000);
    if (req.url === '/big') return void res.end(`{"s":"${'x'.repeat(5000)}"}`);
    if (req.url === '/odd') return void res.end('{"n":"one"}');
    res.writeHead(500).end('broken');
  });
  after(() => server.close());

  it('collects the answers and names every peer that did not give a usable one', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const parse = (v: unknown): number | string => (typeof (v as { n?: unknown }).n === 'number' ? (v as { n: number }).n : 'n is not a number');
    const ask = (path: string, token = 'tok') => askPeers([{ id: 'p', api }], path, token, parse, { timeoutMs: 500, maxBytes: 1000 });
    assert.deepEqual(await ask('/ok'), { answers: [{ replica: 'p', body: 1 }], unreachable: [] });
    const failed = await Promise.all(['/slow', '/big', '/odd', '/nope'].map((p) => ask(p)));
    const errors = failed.map((f) => (assert.equal(f.answers.length, 0), f.unreachable[0]!.error));
    assert.match(errors[0]!, /abort|timeout/i);
    assert.match(errors[1]!, /larger than 1000 bytes/);
    assert.match(errors[2]!, /unusable answer: n is not a number/);
    assert.match(errors[3]!, /HTTP 500: broken/);
    assert.match((await ask('/ok', 'wrong')).unreachable[0]!.error, /HTTP 401/);
    // a peer that does not listen at all
    assert.match((await askPeers([{ id: 'gone', api: `http://127.0.0.1:${await freePort()}` }], '/ok', 'tok', parse)).unreachable[0]!.error, /fetch failed: connect ECONNREFUSED/);
  });
});
