// CLI: `trellis tap` lines as Linkerd prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTapLine } from '../../src/cli/tap.js';

test('one line per request: ids, peers, method, authority, path, status, latency, flags, tls', () => {
  const line = formatTapLine({ proxy: 'p1', reporter: 'destination', source: { workload: 'unknown', namespace: 'shop', principal: 'spiffe://td/ns/shop/sa/web' }, destination: { service: 'reviews', workload: 'reviews-v1', namespace: 'shop', principal: 'x' }, method: 'GET', authority: 'reviews:9080', path: '/a', status: 503, grpcStatus: 14, durationMs: 2.6, responseFlags: 'UF', mtls: true }, 7);
  assert.equal(line, 'req id=7 proxy=p1 in src=spiffe://td/ns/shop/sa/web dst=reviews-v1.shop :method=GET :authority=reviews:9080 :path=/a status=503 grpc-status=14 latency=3ms flags=UF tls=true\n');
});
