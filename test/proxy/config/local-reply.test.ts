// Config: HCM local_reply_config (mappers, AccessLogFilter kinds, body formats) and access_log `filter`, with error paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import { HCM, base, errorsOf, set } from './helpers.js';
import '../../all-filters.js';

function hcmWith(field: string, value: unknown): { hcm?: HttpConnectionManager; errors: string[] } {
  const b = set(base(), `${HCM}.${field}`, value);
  const r = parseBootstrap(b, { baseDir: '/' });
  if (!r.ok) return { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
  return { hcm: r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager, errors: [] };
}

const LRC = `${HCM}.local_reply_config`;
const status400 = { status_code_filter: { comparison: { op: 'EQ', value: { default_value: 400, runtime_key: 'key_b' } } } };

test("local_reply_config: Envoy's documented example validates into mappers and a body format", () => {
  const { hcm, errors } = hcmWith('local_reply_config', {
    mappers: [
      {
        filter: status400,
        headers_to_add: [{ header: { key: 'foo', value: 'bar' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
        status_code: 401,
        body: { inline_string: 'not allowed' },
      },
    ],
    body_format: { json_format: { status: '%RESPONSE_CODE%', message: '%LOCAL_REPLY_BODY%' } },
  });
  assert.deepEqual(errors, []);
  const lrc = hcm!.local_reply_config!;
  assert.deepEqual(lrc.mappers[0].filter, { kind: 'status_code', op: 'EQ', default_value: 400, runtime_key: 'key_b' });
  assert.equal(lrc.mappers[0].status_code, 401);
  assert.equal(lrc.mappers[0].body, 'not allowed');
  assert.equal(lrc.mappers[0].headers_to_add[0].append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
  assert.equal(lrc.body_format?.content_type, 'application/json');
  assert.equal(lrc.body_format?.format.kind, 'json');
});

test('local_reply_config: text formats default to text/plain; content_type and omit_empty_values are kept', () => {
  const a = hcmWith('local_reply_config', { body_format: { text_format_source: { inline_string: '%LOCAL_REPLY_BODY%' } } });
  assert.deepEqual(a.hcm?.local_reply_config?.body_format, { format: { kind: 'text', text: '%LOCAL_REPLY_BODY%' }, omit_empty_values: false, content_type: 'text/plain' });
  const b = hcmWith('local_reply_config', { body_format: { text_format: '<h1>%RESPONSE_CODE%</h1>', content_type: 'text/html; charset=UTF-8', omit_empty_values: true } });
  assert.equal(b.hcm?.local_reply_config?.body_format?.content_type, 'text/html; charset=UTF-8');
  assert.equal(b.hcm?.local_reply_config?.body_format?.omit_empty_values, true);
});

test('local_reply_config: every filter kind trellis evaluates validates', () => {
  const filter = {
    or_filter: {
      filters: [
        { and_filter: { filters: [status400, { duration_filter: { comparison: { op: 'GE', value: { default_value: 10, runtime_key: 'd' } } } }] } },
        { header_filter: { header: { name: 'X-Test', string_match: { exact: 'yes' } } } },
        { response_flag_filter: { flags: ['UF', 'NR'] } },
        { grpc_status_filter: { statuses: ['UNAVAILABLE', 'NOT_FOUND'], exclude: true } },
        { runtime_filter: { runtime_key: 'sample', percent_sampled: { numerator: 5, denominator: 'TEN_THOUSAND' }, use_independent_randomness: true } },
        { not_health_check_filter: {} },
      ],
    },
  };
  const { hcm, errors } = hcmWith('local_reply_config', { mappers: [{ filter, status_code: 500 }] });
  assert.deepEqual(errors, []);
  const f = hcm!.local_reply_config!.mappers[0].filter;
  assert.equal(f.kind, 'or');
  if (f.kind !== 'or') return;
  assert.deepEqual(f.filters.map((x) => x.kind), ['and', 'header', 'response_flag', 'grpc_status', 'runtime', 'not_health_check']);
  assert.deepEqual(f.filters[3], { kind: 'grpc_status', statuses: [14, 5], exclude: true });
  assert.deepEqual(f.filters[4], { kind: 'runtime', runtime_key: 'sample', numerator: 5, denominator: 'TEN_THOUSAND', use_independent_randomness: true });
});

test('local_reply_config: errors name their path', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ mappers: [{ status_code: 401 }] }, `${LRC}.mappers[0].filter`, /is required/],
    [{ mappers: [{ filter: { traceable_filter: {} } }] }, `${LRC}.mappers[0].filter.traceable_filter`, /not supported by trellis/],
    [{ mappers: [{ filter: { metadata_filter: {} } }] }, `${LRC}.mappers[0].filter.metadata_filter`, /not supported by trellis/],
    [{ mappers: [{ filter: status400, status_code: 100 }] }, `${LRC}.mappers[0].status_code`, /out of range/],
    [{ mappers: [{ filter: { and_filter: { filters: [status400] } } }] }, `${LRC}.mappers[0].filter.and_filter.filters`, /at least 2/],
    [{ mappers: [{ filter: { response_flag_filter: { flags: ['XX'] } } }] }, `${LRC}.mappers[0].filter.response_flag_filter.flags[0]`, /unknown response flag/],
    [{ mappers: [{ filter: { status_code_filter: { comparison: { op: 'NE', value: { default_value: 1, runtime_key: 'k' } } } } }] }, `${LRC}.mappers[0].filter.status_code_filter.comparison.op`, /unknown op/],
    [{ mappers: [{ filter: { status_code_filter: { comparison: { op: 'EQ', value: { default_value: 1 } } } } }] }, `${LRC}.mappers[0].filter.status_code_filter.comparison.value.runtime_key`, /is required/],
    [{ body_format: { text_format: '%NO_SUCH_OPERATOR%' } }, `${LRC}.body_format.text_format`, /unsupported command operator %NO_SUCH_OPERATOR%/],
    [{ body_format: { json_format: { a: '%REQ()%' } } }, `${LRC}.body_format.json_format`, /needs a header name/],
    [{ body_format: { text_format: 'x', formatters: [] } }, `${LRC}.body_format.formatters`, /not supported by trellis/],
    [{ body_format: { text_format: 'x', content_type: 'a\nb' } }, `${LRC}.body_format.content_type`, /valid header value/],
    [{ body_format: {} }, `${LRC}.body_format`, /one of text_format, json_format, text_format_source is required/],
    [{ mappers: [{ filter: status400, headers_to_add: [{ header: { key: 'x', value: '%BOGUS%' } }] }] }, `${LRC}.mappers[0].headers_to_add[0].header.value`, /unsupported command operator/],
    [{ mapers: [] }, `${LRC}.mapers`, /unknown field "mapers"; did you mean "mappers"/],
  ];
  for (const [value, path, message] of cases) {
    const { errors } = hcmWith('local_reply_config', value);
    assert.ok(errors.some((e) => e.startsWith(`${path}: `) && message.test(e)), `${JSON.stringify(value)} -> ${errors.join('; ')}`);
  }
});

test('local_reply_config: an unsupported filter kind is one error, not also "one of … is required"', () => {
  const { errors } = hcmWith('local_reply_config', { mappers: [{ filter: { traceable_filter: {} } }] });
  assert.equal(errors.length, 1, errors.join('; '));
});

test('access_log: `filter` is accepted and validated like a mapper filter', () => {
  const log = (filter: unknown): unknown => [
    { name: 'envoy.access_loggers.stdout', filter, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } },
  ];
  const ok = hcmWith('access_log', log({ status_code_filter: { comparison: { op: 'GE', value: { default_value: 500, runtime_key: 'access_log.min' } } } }));
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.hcm?.access_log[0].filter?.kind, 'status_code');
  const bad = hcmWith('access_log', log({ traceable_filter: {} }));
  assert.ok(bad.errors.some((e) => e.startsWith(`${HCM}.access_log[0].filter.traceable_filter: `)), bad.errors.join('; '));
});

test('access_log: extension_filter takes the CEL expression filter; a bad expression or another extension is refused by path', () => {
  const CEL = 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';
  const log = (expression: string, type = CEL): unknown => [
    {
      name: 'envoy.access_loggers.stdout',
      filter: { extension_filter: { name: 'envoy.access_loggers.extension_filters.cel', typed_config: { '@type': type, expression } } },
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' },
    },
  ];
  const ok = hcmWith('access_log', log('response.code >= 400'));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.hcm?.access_log[0].filter, { kind: 'cel', expression: 'response.code >= 400' });
  const at = `${HCM}.access_log[0].filter.extension_filter.typed_config`;
  const syntax = hcmWith('access_log', log('response.code >='));
  assert.ok(syntax.errors.some((e) => e.startsWith(`${at}.expression: invalid CEL expression`)), syntax.errors.join('; '));
  const unknown = hcmWith('access_log', log('resp.code >= 400'));
  assert.ok(unknown.errors.some((e) => e.startsWith(`${at}.expression: `) && /"resp"/.test(e)), unknown.errors.join('; '));
  const other = hcmWith('access_log', log('x', 'type.googleapis.com/envoy.extensions.access_loggers.filters.other.v3.Other'));
  assert.ok(other.errors.some((e) => e.startsWith(`${at}.@type: `) && /not supported by trellis/.test(e)), other.errors.join('; '));
});
