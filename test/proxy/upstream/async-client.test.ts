// Tests: the async client sends a request with a body to a real HTTP/1.1 server exactly once-framed (one content-length).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { ClusterManagerImpl } from '../../../src/proxy/upstream/cluster-manager.js';
import { PoolManager } from '../../../src/proxy/upstream/pool/pool-manager.js';
import { asyncHttpCall, type AsyncFailure, type AsyncResponse } from '../../../src/proxy/upstream/async-client.js';
import { clusterConfig, lbEndpoint, locality } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

test('asyncHttpCall with a body: one content-length on HTTP/1.1 (a second copy is a 400 from strict servers)', async () => {
  const seen: { cl: string | undefined; raw: string[]; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ cl: req.headers['content-length'], raw: req.rawHeaders, body: Buffer.concat(chunks).toString() });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const cm = new ClusterManagerImpl({ stats: new FakeStats() });
  const pools = new PoolManager(() => undefined);
  try {
    cm.update([clusterConfig('svc', {}, [locality('a', [lbEndpoint('127.0.0.1', port)])])]);
    const res = await new Promise<{ err: AsyncFailure | null; res?: AsyncResponse }>((resolve) =>
      asyncHttpCall(cm, pools, 'svc', { method: 'POST', path: '/x', headers: { 'content-length': '99', 'x-a': '1' }, body: Buffer.from('hello') }, { timeoutMs: 2000 }, (err, r) =>
        resolve({ err, res: r }),
      ),
    );
    assert.equal(res.err, null);
    assert.equal(res.res?.status, 200);
    assert.equal(seen[0].body, 'hello');
    assert.equal(seen[0].raw.filter((h) => h.toLowerCase() === 'content-length').length, 1);
    assert.equal(seen[0].cl, '5', "the body's length, not a caller's stale header");
  } finally {
    pools.close();
    cm.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
