// Network filters: envoy.filters.network.kafka_broker — config errors, request / response counters per API key
// (matched by correlation id) with response times, unknown keys and ids, malformed sizes (failure), the bounded
// pending table; property tests for chunking and arbitrary bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateKafkaBroker } from '../../../../src/proxy/network/filters/kafka_broker/config.js';
import { kafkaBrokerFactory } from '../../../../src/proxy/network/filters/kafka_broker/filter.js';
import { KafkaDecoder, MAX_PENDING, type KafkaCounters } from '../../../../src/proxy/network/filters/kafka_broker/decoder.js';
import { KAFKA_API_NAMES } from '../../../../src/proxy/network/filters/kafka_broker/api-keys.js';
import { FakeStats } from '../../upstream/fake-stats.js';
import { FakeCallbacks, errorsOf, filterContext, validated } from './helpers.js';
import * as kafka from './kafka-wire.js';

type Step = readonly [from: 'client' | 'server', bytes: Buffer];

function run(steps: readonly Step[], split: (b: Buffer) => Buffer[] = (b) => [b]): FakeStats {
  const stats = new FakeStats();
  const f = kafkaBrokerFactory(validated(validateKafkaBroker, { stat_prefix: 'kb' }), filterContext(stats))(new FakeCallbacks());
  for (const [from, bytes] of steps) for (const c of split(bytes)) from === 'client' ? f.onData!(c, false) : f.onWrite!(c, false);
  return stats;
}

const EXCHANGE: Step[] = [
  ['client', kafka.request(18, 3, 1)],
  ['server', kafka.response(1)],
  ['client', Buffer.concat([kafka.request(3, 12, 2), kafka.request(0, 9, 3, Buffer.alloc(5000, 1))])],
  ['server', Buffer.concat([kafka.response(2), kafka.response(3, Buffer.alloc(3000, 2))])],
  ['client', kafka.request(999, 0, 4)],
  ['server', kafka.response(77)],
];

function summary(s: FakeStats): Record<string, number | undefined> {
  const names = ['request.api_versions_request', 'response.api_versions_response', 'request.metadata_request', 'response.metadata_response', 'request.produce_request', 'response.produce_response', 'request.unknown', 'response.unknown', 'request.failure', 'response.failure'];
  return Object.fromEntries(names.map((n) => [n, s.get(`kafka.kb.${n}`)]));
}

test('kafka_broker config: stat_prefix required; rewriting and api_key filtering are rejected', () => {
  assert.deepEqual(errorsOf(validateKafkaBroker, {}), ['f.stat_prefix: is required']);
  assert.deepEqual(errorsOf(validateKafkaBroker, { stat_prefix: 'k', force_response_rewrite: true }), ['f.force_response_rewrite: force_response_rewrite: true is not supported by trellis (responses pass through as received)']);
  assert.deepEqual(errorsOf(validateKafkaBroker, { stat_prefix: 'k', api_keys_allowed: [0] }), ['f.api_keys_allowed: api_keys_allowed is not supported by trellis']);
  assert.deepEqual(errorsOf(validateKafkaBroker, { stat_prefix: 'k', id_based_broker_address_rewrite_spec: {} }), ['f.id_based_broker_address_rewrite_spec: id_based_broker_address_rewrite_spec is not supported by trellis']);
});

test('kafka_broker: requests count by api_key, responses by the correlated request; unknown keys and ids are counted', () => {
  assert.deepEqual(summary(run(EXCHANGE)), {
    'request.api_versions_request': 1,
    'response.api_versions_response': 1,
    'request.metadata_request': 1,
    'response.metadata_response': 1,
    'request.produce_request': 1,
    'response.produce_response': 1,
    'request.unknown': 1,
    'response.unknown': 1,
    'request.failure': 0,
    'response.failure': 0,
  });
});

test('kafka_broker: every API has its metrics from the start, named as Envoy names them', () => {
  const s = run([]);
  assert.equal(KAFKA_API_NAMES.length, 68);
  assert.equal(s.get('kafka.kb.request.offset_for_leader_epoch_request'), 0);
  assert.equal(s.get('kafka.kb.response.allocate_producer_ids_response'), 0);
});

test('kafka_broker: a negative or too small frame size counts request.failure / response.failure once and stops', () => {
  const bad = Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const s = run([['client', bad], ['client', kafka.request(18, 3, 1)], ['server', Buffer.from([0, 0, 0, 2, 0, 0])], ['server', kafka.response(1)]]);
  assert.equal(s.get('kafka.kb.request.failure'), 1);
  assert.equal(s.get('kafka.kb.request.api_versions_request'), 0, 'no more decoding after a failure');
  assert.equal(s.get('kafka.kb.response.failure'), 0, 'the decoder stopped before the bad response');
});

test('kafka_broker: response time is recorded from the request; pending requests are bounded', () => {
  let now = 1000;
  const fake = new FakeStats();
  const c: KafkaCounters = {
    apis: KAFKA_API_NAMES.map((n) => ({ request: fake.counter(`req.${n}`), response: fake.counter(`res.${n}`), responseDuration: fake.histogram(`dur.${n}`) })),
    requestUnknown: fake.counter('ru'),
    requestFailure: fake.counter('rf'),
    responseUnknown: fake.counter('su'),
    responseFailure: fake.counter('sf'),
  };
  const d = new KafkaDecoder(c, () => now);
  d.fromClient(kafka.request(1, 11, 42));
  now = 1250;
  d.fromServer(kafka.response(42));
  assert.equal(fake.get('dur.fetch'), 250);
  // acks=0 produce requests are never answered: the table keeps only the newest MAX_PENDING
  for (let i = 0; i < MAX_PENDING + 50; i++) d.fromClient(kafka.request(0, 3, 1000 + i));
  assert.equal(d.pendingCount(), MAX_PENDING);
  d.fromServer(kafka.response(1000));
  assert.equal(fake.get('su'), 1, 'the oldest was forgotten');
  d.fromServer(kafka.response(1000 + MAX_PENDING + 49));
  assert.equal(fake.get('res.produce'), 1);
});

test('kafka_broker property: any chunking gives the same counts; arbitrary bytes never throw or change the data', () => {
  const whole = summary(run(EXCHANGE));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 8 }), (sizes) => {
      let k = 0;
      const split = (b: Buffer): Buffer[] => {
        const out: Buffer[] = [];
        for (let i = 0; i < b.length; ) {
          const n = sizes[k++ % sizes.length]!;
          out.push(b.subarray(i, i + n));
          i += n;
        }
        return out;
      };
      assert.deepEqual(summary(run(EXCHANGE, split)), whole);
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 40 })), { maxLength: 30 }), (raw) => {
      const f = kafkaBrokerFactory(validated(validateKafkaBroker, { stat_prefix: 'kb' }), filterContext())(new FakeCallbacks());
      for (const [client, bytes] of raw) {
        const b = Buffer.from(bytes);
        const copy = Buffer.from(b);
        if (client) assert.equal(f.onData!(b, false), 'continue');
        else f.onWrite!(b, false);
        assert.deepEqual(b, copy);
      }
    }),
  );
});
