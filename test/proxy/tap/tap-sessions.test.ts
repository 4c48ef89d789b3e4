// Proxy tap: session matching, the token bucket (fake timers), the bounded queue, and events that never carry header values.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { TapSessions, TokenBucket, tapMatches, TAP_QUEUE_LIMIT } from '../../../src/proxy/tap/tap-sessions.js';
import { buildTapEvent, isInbound, namespaceOfPrincipal, stripQuery } from '../../../src/proxy/tap/tap-event.js';
import type { AccessLogEntry } from '../../../src/proxy/telemetry/access-log.js';
import type { DownstreamConnectionInfo } from '../../../src/proxy/http/types.js';
import type { TapEvent } from '../../../src/tap/protocol.js';

const key = { method: 'GET', authority: 'reviews:9080', path: '/api/v1/x' };

test('matching: method (case-insensitive), path prefix, authority; empty match takes all', () => {
  assert.ok(tapMatches({}, key));
  assert.ok(tapMatches({ method: 'get', pathPrefix: '/api', authority: 'Reviews:9080' }, key));
  assert.ok(!tapMatches({ method: 'POST' }, key));
  assert.ok(!tapMatches({ pathPrefix: '/other' }, key));
  assert.ok(!tapMatches({ authority: 'ratings' }, key));
});

test('token bucket: a second of burst, then the rate (fake timers)', () => {
  mock.timers.enable({ apis: ['Date'], now: 0 });
  try {
    const b = new TokenBucket(5);
    let n = 0;
    for (let i = 0; i < 20; i++) if (b.take()) n++;
    assert.equal(n, 5);
    mock.timers.tick(200);
    assert.ok(b.take());
    assert.ok(!b.take());
    mock.timers.tick(10_000);
    n = 0;
    for (let i = 0; i < 20; i++) if (b.take()) n++;
    assert.equal(n, 5, 'refill is capped at one second of tokens');
  } finally {
    mock.timers.reset();
  }
});

const ev = (): TapEvent => ({ time: '', proxy: 'p', reporter: 'destination', source: { workload: 'a', namespace: 'n', principal: 'x' }, destination: { service: 's', workload: 'b', namespace: 'n', principal: 'y' }, method: 'GET', authority: 'a', path: '/', status: 200, durationMs: 1, responseFlags: '-', mtls: true });

test('sessions: inactive costs nothing, rate-limited sessions count drops, stop clears active', () => {
  let now = 0;
  const s = new TapSessions(() => now);
  assert.equal(s.active, false);
  s.start('a', { pathPrefix: '/api' }, 2);
  s.start('b', { method: 'POST' }, 100);
  assert.equal(s.active, true);
  let built = 0;
  for (let i = 0; i < 5; i++) s.offer(key, () => (built++, ev()));
  const batches = s.drain();
  assert.deepEqual(batches.map((b) => [b.id, b.events.length, b.dropped]), [['a', 2, 3]]);
  assert.equal(built, 2, 'events are built only when a session takes them');
  assert.deepEqual(s.drain(), []);
  s.stop('a');
  s.stop('b');
  assert.equal(s.active, false);
  now += 1;
});

test('sessions: the queue is bounded; beyond it events are dropped and counted', () => {
  let now = 0;
  const s = new TapSessions(() => now);
  s.start('a', {}, 1000);
  for (let i = 0; i < TAP_QUEUE_LIMIT + 500; i++) {
    now += 2; // 500 rps offered: the bucket never runs dry
    s.offer(key, ev);
  }
  const [b] = s.drain();
  assert.equal(b!.events.length, TAP_QUEUE_LIMIT);
  assert.equal(b!.dropped, 500);
  assert.equal(s.counters.eventsDropped, 500);
});

const conn = (tls: boolean): DownstreamConnectionInfo => ({
  remoteAddress: '127.0.0.1', remotePort: 5, localAddress: '127.0.0.1', localPort: 6, listenerName: 'virtualInbound', filterChainName: 'x',
  ...(tls ? { tls: { peerUriSans: ['spiffe://cluster.local/ns/shop/sa/web'], localUriSans: ['spiffe://cluster.local/ns/shop/sa/reviews'] } } : {}),
});

const entry: AccessLogEntry = {
  startTime: 0, durationMs: 3.14159, method: 'GET', path: '/api/items?token=secret', authority: 'reviews:9080', protocol: 'HTTP/1.1', responseCode: 200, responseFlags: '-',
  bytesReceived: 0, bytesSent: 0, upstreamHost: '-', upstreamCluster: '-', upstreamServiceTimeMs: undefined, downstreamRemoteAddress: '', downstreamLocalAddress: '',
  requestHeaders: { authorization: 'Bearer SECRET-AUTH', cookie: 'session=SECRET-COOKIE' }, responseHeaders: { 'set-cookie': 'SECRET-SET', 'grpc-status': '0' },
  routeName: '', requestId: 'rid',
};
const self = { proxy: 'reviews-v1.shop', service: 'reviews', workload: 'reviews-v1', namespace: 'shop', principal: 'unknown' };

test('event: inbound reports destination, peer principal from the certificate, query stripped, no header values', () => {
  const e = buildTapEvent(self, conn(true), entry);
  assert.equal(e.reporter, 'destination');
  assert.deepEqual(e.source, { workload: 'unknown', namespace: 'shop', principal: 'spiffe://cluster.local/ns/shop/sa/web' });
  assert.deepEqual(e.destination, { service: 'reviews', workload: 'reviews-v1', namespace: 'shop', principal: 'spiffe://cluster.local/ns/shop/sa/reviews' });
  assert.equal(e.path, '/api/items');
  assert.equal(e.grpcStatus, 0);
  assert.equal(e.mtls, true);
  const text = JSON.stringify(e);
  for (const secret of ['SECRET', 'token=', 'Bearer']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
});

test('event: outbound reports source; plaintext is not mtls', () => {
  const e = buildTapEvent(self, { ...conn(false), listenerName: '0.0.0.0_9080' }, entry);
  assert.equal(e.reporter, 'source');
  assert.equal(e.destination.service, 'reviews');
  assert.equal(e.source.workload, 'reviews-v1');
  assert.equal(e.mtls, false);
});

test('helpers', () => {
  assert.equal(stripQuery('/a?b'), '/a');
  assert.equal(stripQuery('/a'), '/a');
  assert.equal(namespaceOfPrincipal('spiffe://td/ns/N/sa/S'), 'N');
  assert.equal(namespaceOfPrincipal('x'), 'unknown');
  assert.ok(isInbound('virtualInbound') && isInbound('inbound|9080||') && !isInbound('virtualOutbound'));
});
