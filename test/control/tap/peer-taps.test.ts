// Taps relayed from peer replicas: only well-formed event lines pass (no heartbeats, no junk, no oversized line), a peer
// that refuses or does not answer is named, and stop() ends the peers' streams.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openPeerTaps } from '../../../src/control/tap/peer-taps.js';

describe('openPeerTaps', () => {
  let closedStreams = 0;
  // one server per peer: a peer's API is a base URL, the tap path is the same on each
  const refusing = http.createServer((_req, res) => void res.writeHead(429).end('{"error":"too many taps"}'));
  const silent = http.createServer(() => undefined); // never answers
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-trellis-tap-proxies': '2' });
    res.write('{}\n{"method":"GET","path":"/a"}\nnot json\n[1,2]\n');
    res.write(`{"path":"${'x'.repeat(300 * 1024)}"}\n`);
    res.write('{"method":"POST","pa');
    setTimeout(() => res.write('th":"/b"}\n'), 20);
    req.on('close', () => closedStreams++);
  });
  const servers = [server, refusing, silent];
  const urls: string[] = [];
  before(async () => {
    for (const s of servers) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
  });
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('relays event lines only, sums the proxies and names the peers that did not open a tap', async () => {
    const taps = await openPeerTaps(
      [
        { id: 'good', api: urls[0]! },
        { id: 'busy', api: urls[1]! },
        { id: 'mute', api: urls[2]! },
      ],
      '/api/v1/tap?target=x',
      'tok',
      300,
    );
    assert.equal(taps.proxies, 2);
    assert.deepEqual(taps.unreachable.map((u) => u.replica).sort(), ['busy', 'mute']);
    assert.match(taps.unreachable.find((u) => u.replica === 'busy')!.error, /HTTP 429/);
    const lines: string[] = [];
    taps.start((l) => lines.push(l));
    const deadline = Date.now() + 5000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(lines, ['{"method":"GET","path":"/a"}', '{"method":"POST","path":"/b"}']);
    taps.stop();
    while (closedStreams < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closedStreams, 1, 'the peer saw its tap stream end');
  });
});
