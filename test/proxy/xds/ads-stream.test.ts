// xDS client tests: the ADS stream's targets — a host name's addresses are tried in turn, one per attempt, so a
// replica that is down behind a name with several A records does not hold the stream back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdsStream } from '../../../src/proxy/xds/ads-stream.js';
import { adsMethods } from '../../../src/proxy/xds/ads-methods.js';
import { FakeAds } from './fake-ads.js';

test('a name resolving to several addresses: each attempt takes the next one until one answers', async () => {
  const ads = new FakeAds();
  const port = await ads.listen();
  const asked: string[] = [];
  const closes: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const stream = new AdsStream(
        adsMethods().sotw,
        {
          targets: [`cp.mesh.test:${port}`],
          backoff: { baseMs: 1, maxMs: 5 },
          connectTimeoutMs: 2000,
          // the first address has nothing listening (the fake binds 127.0.0.1 only)
          lookup: async (host) => {
            asked.push(host);
            return ['127.0.0.2', '127.0.0.1'];
          },
        },
        {
          onOpen: () => {
            stream.close();
            resolve();
          },
          onResponse: () => {},
          onClose: (reason) => {
            closes.push(reason);
            if (closes.length > 5) reject(new Error(closes.join('\n')));
          },
        },
      );
      stream.start();
    });
  } finally {
    await ads.close();
  }
  assert.deepEqual(asked, ['cp.mesh.test', 'cp.mesh.test']);
  assert.equal(closes.length, 1);
  assert.match(closes[0]!, /cannot connect to 127\.0\.0\.2:\d+/);
});

test('a name that does not resolve is a failed attempt, retried with backoff', async () => {
  const closes: string[] = [];
  await new Promise<void>((resolve) => {
    const stream = new AdsStream(adsMethods().sotw, { targets: ['nowhere.mesh.test:15012'], backoff: { baseMs: 1, maxMs: 2 }, lookup: async () => Promise.reject(new Error('ENOTFOUND')) }, {
      onOpen: () => {},
      onResponse: () => {},
      onClose: (reason) => {
        closes.push(reason);
        if (closes.length === 2) {
          stream.close();
          resolve();
        }
      },
    });
    stream.start();
  });
  assert.deepEqual(closes, ['cannot resolve nowhere.mesh.test: ENOTFOUND', 'cannot resolve nowhere.mesh.test: ENOTFOUND']);
});
