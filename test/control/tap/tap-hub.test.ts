// Control-plane tap: fan-out of a tap to the target's proxies (service or workload, namespace), late joiners, event routing, stop, the concurrency cap, and the NDJSON route's heartbeat (fake timers).
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { TapHub, TooManyTaps, type TapProxyLink } from '../../../src/control/tap/tap-hub.js';
import { streamTap } from '../../../src/control/http/tap-routes.js';
import type { ProxyNode } from '../../../src/control/model/types.js';
import type { TapDown, TapEvent } from '../../../src/tap/protocol.js';

function link(namespace: string, serviceName: string, workloadName: string): TapProxyLink & { sent: TapDown[] } {
  const sent: TapDown[] = [];
  return { node: { namespace, serviceName, workloadName } as ProxyNode, send: (m) => void sent.push(m), sent };
}

const ev = (path: string): TapEvent => ({ time: '', proxy: 'p', reporter: 'destination', source: { workload: 'a', namespace: 'n', principal: 'x' }, destination: { service: 's', workload: 'b', namespace: 'n', principal: 'y' }, method: 'GET', authority: 'a', path, status: 200, durationMs: 1, responseFlags: '-', mtls: true });

const req = { target: 'reviews', namespace: 'shop', match: { pathPrefix: '/api' }, maxRps: 10 };

test('a tap starts on every proxy of the service or workload in its namespace, and on those that connect later', () => {
  const hub = new TapHub();
  const v1 = link('shop', 'reviews', 'reviews-v1');
  const other = link('shop', 'ratings', 'ratings-v1');
  const elsewhere = link('dev', 'reviews', 'reviews-v1');
  for (const l of [v1, other, elsewhere]) hub.attach(l);
  const got: TapEvent[] = [];
  const tap = hub.start(req, { onEvent: (e) => got.push(e) });
  assert.equal(tap.proxies, 1);
  assert.deepEqual(v1.sent, [{ start: { id: tap.id, match: { pathPrefix: '/api' }, maxRps: 10 } }]);
  assert.deepEqual([other.sent, elsewhere.sent], [[], []]);
  const v2 = link('shop', 'reviews', 'reviews-v2');
  hub.attach(v2);
  assert.equal(v2.sent.length, 1, 'late joiner started');
  hub.deliver(v1, tap.id, [ev('/a')], 0);
  hub.deliver(other, tap.id, [ev('/forged')], 0); // not part of this tap
  hub.deliver(v2, 'unknown-id', [ev('/b')], 0);
  assert.deepEqual(got.map((e) => e.path), ['/a']);
  hub.detach(v2);
  tap.stop();
  assert.deepEqual(v1.sent.at(-1), { stop: { id: tap.id } });
  assert.equal(v2.sent.length, 1, 'a detached proxy gets no stop');
  assert.equal(hub.running, 0);
  hub.deliver(v1, tap.id, [ev('/late')], 0);
  assert.equal(got.length, 1, 'nothing after stop');
});

test('a workload name selects only that workload', () => {
  const hub = new TapHub();
  const v1 = link('shop', 'reviews', 'reviews-v1');
  const v2 = link('shop', 'reviews', 'reviews-v2');
  hub.attach(v1);
  hub.attach(v2);
  assert.equal(hub.start({ ...req, target: 'reviews-v2' }, { onEvent: () => {} }).proxies, 1);
  assert.equal(v1.sent.length, 0);
});

test('at most N taps at once', () => {
  const hub = new TapHub(2);
  hub.start(req, { onEvent: () => {} });
  const b = hub.start(req, { onEvent: () => {} });
  assert.throws(() => hub.start(req, { onEvent: () => {} }), TooManyTaps);
  b.stop();
  hub.start(req, { onEvent: () => {} });
});

class FakeResponse extends EventEmitter {
  status = 0;
  body = '';
  writableLength = 0;
  writeHead(s: number): this {
    this.status = s;
    return this;
  }
  flushHeaders(): void {}
  write(s: string): boolean {
    this.body += s;
    return true;
  }
  end(s?: string): void {
    this.body += s ?? '';
  }
}

test('route: NDJSON events, a heartbeat every 10 s, the tap stopped when the client goes', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const hub = new TapHub();
    const v1 = link('shop', 'reviews', 'reviews-v1');
    hub.attach(v1);
    const res = new FakeResponse();
    streamTap(hub, req, res as unknown as ServerResponse);
    assert.equal(res.status, 200);
    const id = (v1.sent[0] as { start: { id: string } }).start.id;
    hub.deliver(v1, id, [ev('/x')], 0);
    mock.timers.tick(10_000);
    const lines = res.body.trim().split('\n');
    assert.equal((JSON.parse(lines[0]!) as TapEvent).path, '/x');
    assert.equal(lines[1], '{}');
    res.emit('close');
    assert.deepEqual(v1.sent.at(-1), { stop: { id } });
    mock.timers.tick(30_000);
    assert.equal(res.body.trim().split('\n').length, 2, 'no heartbeat after close');
  } finally {
    mock.timers.reset();
  }
});

test('route: 429 when too many taps run', () => {
  const hub = new TapHub(0);
  const res = new FakeResponse();
  streamTap(hub, req, res as unknown as ServerResponse);
  assert.equal(res.status, 429);
});

test('route: a client that does not read gets its events dropped, not buffered without bound', () => {
  const hub = new TapHub();
  const v1 = link('shop', 'reviews', 'reviews-v1');
  hub.attach(v1);
  const res = new FakeResponse();
  streamTap(hub, req, res as unknown as ServerResponse);
  const id = (v1.sent[0] as { start: { id: string } }).start.id;
  res.writableLength = 2 * 1024 * 1024;
  hub.deliver(v1, id, [ev('/x')], 0);
  assert.equal(res.body, '');
  res.writableLength = 0;
  hub.deliver(v1, id, [ev('/y')], 0);
  assert.match(res.body, /\/y/);
  res.emit('close');
});
