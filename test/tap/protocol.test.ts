// Tap protocol: the JSON-in-gRPC message decoders read network input — examples and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTapDown, decodeTapUp, encodeTap, MAX_TAP_RPS, type TapEvent } from '../../src/tap/protocol.js';

const event: TapEvent = { time: 't', proxy: 'p', reporter: 'source', source: { workload: 'a', namespace: 'n', principal: 'x' }, destination: { service: 's', workload: 'b', namespace: 'n', principal: 'y' }, method: 'GET', authority: 'a', path: '/', status: 200, grpcStatus: 0, durationMs: 1, responseFlags: '-', mtls: false };

test('round trips and clamping', () => {
  assert.deepEqual(decodeTapDown(encodeTap({ start: { id: 'x', match: { pathPrefix: '/a' }, maxRps: 5 } })), { start: { id: 'x', match: { pathPrefix: '/a' }, maxRps: 5 } });
  assert.equal((decodeTapDown(Buffer.from('{"start":{"id":"x","maxRps":1e9}}')) as { start: { maxRps: number } }).start.maxRps, MAX_TAP_RPS);
  assert.deepEqual(decodeTapDown(encodeTap({ stop: { id: 'x' } })), { stop: { id: 'x' } });
  assert.deepEqual(decodeTapUp(encodeTap({ node: { id: 'n' } })), { node: { id: 'n' } });
  assert.deepEqual(decodeTapUp(encodeTap({ events: { id: 'x', events: [event], dropped: 2 } })), { events: { id: 'x', events: [event], dropped: 2 } });
});

test('extra fields a proxy adds to an event never pass through', () => {
  const raw = Buffer.from(JSON.stringify({ events: { id: 'x', dropped: 0, events: [{ ...event, authorization: 'SECRET', source: { ...event.source, cookie: 'SECRET' } }] } }));
  assert.ok(!JSON.stringify(decodeTapUp(raw)).includes('SECRET'));
});

test('malformed messages are refused with an Error', () => {
  for (const s of ['', 'null', '[]', '{}', '{"start":{}}', '{"start":{"id":""}}', '{"stop":{"id":3}}', '{"events":{"id":"x","events":[{}],"dropped":0}}', '{"node":{"id":1}}']) {
    assert.throws(() => decodeTapDown(Buffer.from(s)));
    assert.throws(() => decodeTapUp(Buffer.from(s)));
  }
});

test('property: any bytes either decode or throw an Error, never anything else', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.json().map((s) => Buffer.from(s))), (b) => {
      for (const decode of [decodeTapDown, decodeTapUp]) {
        try {
          decode(b);
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('property: decoded starts always have a bounded rate and string match fields', () => {
  fc.assert(
    fc.property(fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), maxRps: fc.oneof(fc.double(), fc.integer()), match: fc.record({ pathPrefix: fc.string(), method: fc.string() }, { requiredKeys: [] }) }), (start) => {
      const d = decodeTapDown(Buffer.from(JSON.stringify({ start })));
      assert.ok('start' in d);
      assert.ok(d.start.maxRps >= 1 && d.start.maxRps <= MAX_TAP_RPS && Number.isInteger(d.start.maxRps));
    }),
  );
});
