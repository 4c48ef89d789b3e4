// Proxy HTTP filters: envoy.filters.http.header_to_metadata through a real stream — present/missing rules, value
// overrides, regex rewrites, cookies, removal, response rules, per-route config — and config errors with paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE, configErrors, filterRig } from '../filter-rig.js';
import '../../../../all-filters.js';

const CONFIG = `${TYPE}header_to_metadata.v3.Config`;
const h2m = (cfg: object): object => ({ name: 'envoy.filters.http.header_to_metadata', typed_config: { '@type': CONFIG, ...cfg } });

/** The dynamic metadata of the request the rig made last. */
function metadataOf(rig: ReturnType<typeof filterRig>): Record<string, Record<string, unknown>> | undefined {
  return rig.streams.at(-1)!.dynamicMetadata;
}

test('header_to_metadata: a present header\'s value (or the configured value) goes to its namespace; the default namespace is the filter\'s', () => {
  const rig = filterRig({
    filters: [
      h2m({
        request_rules: [
          { header: 'x-version', on_header_present: { metadata_namespace: 'envoy.lb', key: 'version' } },
          { header: 'x-beta', on_header_present: { key: 'beta', value: 'yes' }, on_header_missing: { key: 'beta', value: 'no' } },
          { header: 'x-count', on_header_present: { key: 'count', type: 'NUMBER' } },
        ],
      }),
    ],
  });
  rig.request({ headers: { 'x-version': ['v1', 'v2'], 'x-beta': 'anything', 'x-count': '3' } });
  assert.deepEqual(metadataOf(rig), { 'envoy.lb': { version: 'v1,v2' }, 'envoy.filters.http.header_to_metadata': { beta: 'yes', count: 3 } });
  rig.request({ headers: { 'x-count': 'three' } });
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { beta: 'no' } }, 'an unparsable number adds nothing');
  rig.request({});
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { beta: 'no' } });
});

test('header_to_metadata: regex_value_rewrite rewrites the header value; an empty result adds nothing; remove drops the header', () => {
  const rig = filterRig({
    filters: [
      h2m({
        request_rules: [
          {
            header: ':path',
            on_header_present: { key: 'cluster', regex_value_rewrite: { pattern: { regex: '^/(\\w+)/.*$' }, substitution: '\\1' } },
          },
          { header: 'x-secret', on_header_present: { key: 'secret' }, remove: true },
          { header: 'x-empty', on_header_present: { key: 'empty', regex_value_rewrite: { pattern: { regex: '.*' }, substitution: '' } } },
        ],
      }),
    ],
  });
  rig.request({ path: '/payments/v1/charge', headers: { 'x-secret': 's3', 'x-empty': 'gone' } });
  const up = rig.upstreams[0]!;
  assert.equal(up.head.headers['x-secret'], undefined);
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { cluster: 'payments', secret: 's3' } }, ':path read from the request line');
});

test('header_to_metadata: cookies, BASE64 values and PROTOBUF_VALUE', () => {
  const rig = filterRig({
    filters: [
      h2m({
        request_rules: [
          { cookie: 'Session', on_header_present: { key: 'session' } },
          { header: 'x-b64', on_header_present: { key: 'decoded', encode: 'BASE64' } },
          { header: 'x-bad-b64', on_header_present: { key: 'bad', encode: 'BASE64' } },
          { header: 'x-pb', on_header_present: { key: 'weight', type: 'PROTOBUF_VALUE', encode: 'BASE64' } },
        ],
      }),
    ],
  });
  // a serialized google.protobuf.Value {number_value: 2.5}: field 2, wire type 1 (64-bit), little-endian double
  const pb = Buffer.alloc(9);
  pb[0] = 0x11;
  pb.writeDoubleLE(2.5, 1);
  rig.request({ headers: { cookie: 'a=1; Session="abc"; b=2', 'x-b64': Buffer.from('hello').toString('base64'), 'x-bad-b64': '***', 'x-pb': pb.toString('base64') } });
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { session: 'abc', decoded: 'hello', weight: 2.5 } });
});

test('header_to_metadata: response rules read (and remove) response headers', () => {
  const rig = filterRig({ filters: [h2m({ response_rules: [{ header: 'x-upstream-tier', on_header_present: { key: 'tier' }, remove: true }] })] });
  const r = rig.request();
  rig.upstreams[0]!.respond(200, 'ok', { 'x-upstream-tier': 'gold' });
  assert.equal(r.responseHeaders['x-upstream-tier'], undefined);
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { tier: 'gold' } });
});

test('header_to_metadata: a route\'s config replaces the filter\'s rules', () => {
  const rig = filterRig({
    filters: [h2m({ request_rules: [{ header: 'x-a', on_header_present: { key: 'a' } }] })],
    virtualHost: {
      routes: [
        { match: { prefix: '/b' }, route: { cluster: 'a' }, typed_per_filter_config: { 'envoy.filters.http.header_to_metadata': { '@type': CONFIG, request_rules: [{ header: 'x-b', on_header_present: { key: 'b' } }] } } },
        { match: { prefix: '/' }, route: { cluster: 'a' } },
      ],
    },
  });
  rig.request({ path: '/b', headers: { 'x-a': '1', 'x-b': '2' } });
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { b: '2' } });
  rig.request({ path: '/x', headers: { 'x-a': '1', 'x-b': '2' } });
  assert.deepEqual(metadataOf(rig), { 'envoy.filters.http.header_to_metadata': { a: '1' } });
});

test('header_to_metadata config: Envoy\'s rule checks, with paths', () => {
  const f = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
  const msgs = (rule: object): string[] => configErrors([h2m({ request_rules: [rule] })]).map((e) => `${e.path}: ${e.message}`);
  const r = `${f}.request_rules[0]`;
  assert.deepEqual(msgs({ on_header_present: { key: 'k' } }), [`${r}.header: one of header and cookie is required`]);
  assert.deepEqual(msgs({ header: 'x', cookie: 'c', on_header_present: { key: 'k' } }), [`${r}.cookie: only one of header and cookie may be set`]);
  assert.deepEqual(msgs({ header: 'x' }), [`${r}.on_header_present: a rule needs on_header_present or on_header_missing`]);
  assert.deepEqual(msgs({ header: 'x', on_header_missing: { key: 'k' } }), [`${r}.on_header_missing.value: must be set: there is no header value to use`]);
  assert.deepEqual(msgs({ cookie: 'c', remove: true, on_header_present: { key: 'k' } }), [`${r}.remove: cannot be used with a cookie rule`]);
  assert.deepEqual(msgs({ header: 'x', on_header_present: { key: 'k', value: 'v', regex_value_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } } }), [
    `${r}.on_header_present.regex_value_rewrite: cannot be set together with value`,
  ]);
  assert.deepEqual(msgs({ header: 'x', on_header_present: { key: '' } }), [`${r}.on_header_present.key: must not be empty`]);
  assert.match(msgs({ header: 'x', on_header_present: { key: 'k', type: 'BYTES' } })[0]!, /unknown type "BYTES"/);
  const route = { routes: [{ match: { prefix: '/' }, route: { cluster: 'a' }, typed_per_filter_config: { 'envoy.filters.http.header_to_metadata': { '@type': CONFIG } } }] };
  assert.match(configErrors([h2m({})], route).map((e) => e.message).join(), /a per-route config must have request_rules or response_rules/);
});
