// HTTP tests: local_reply_config rewriting — first matching mapper, Envoy's order of body / headers / status / format, content types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalReplyConfig, ResponseMapper } from '../../../src/proxy/config/types.js';
import type { AccessLogEntry } from '../../../src/proxy/telemetry/access-log.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';
import { LocalReplyRewriter } from '../../../src/proxy/http/local-reply-config.js';

function entry(code: number, body: string, over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    startTime: 0,
    durationMs: 1,
    method: 'GET',
    path: '/foo',
    authority: 'example.com',
    protocol: 'HTTP/1.1',
    responseCode: code,
    responseFlags: '-',
    bytesReceived: 0,
    bytesSent: 0,
    upstreamHost: '-',
    upstreamCluster: '-',
    upstreamServiceTimeMs: undefined,
    downstreamRemoteAddress: '127.0.0.1:1',
    downstreamLocalAddress: '127.0.0.1:2',
    requestHeaders: { 'x-tenant': 'a' },
    responseHeaders: {},
    routeName: '',
    requestId: '',
    localReplyBody: body,
    ...over,
  };
}

const eq = (v: number): ResponseMapper['filter'] => ({ kind: 'status_code', op: 'EQ', default_value: v, runtime_key: 'k' });
const text = (t: string, contentType = 'text/plain'): LocalReplyConfig['body_format'] => ({ format: { kind: 'text', text: t }, omit_empty_values: false, content_type: contentType });

function run(config: LocalReplyConfig, code: number, body: string, headers: HeaderMap = {}, over: Partial<AccessLogEntry> = {}): { status: number; body: string; headers: HeaderMap } {
  const r = new LocalReplyRewriter(config, { random: Math.random });
  const e = entry(code, body, over);
  e.responseHeaders = headers;
  const out = r.rewrite(e, headers);
  return { status: out.status, body: out.body, headers };
}

test("Envoy's documented example: 400 becomes 401 'not allowed' with header foo: bar", () => {
  const config: LocalReplyConfig = {
    mappers: [
      {
        filter: eq(400),
        status_code: 401,
        body: 'not allowed',
        headers_to_add: [{ header: { key: 'foo', value: 'bar' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', keep_empty_value: false }],
      },
    ],
  };
  assert.deepEqual(run(config, 400, 'Bad Request'), { status: 401, body: 'not allowed', headers: { foo: 'bar', 'content-type': 'text/plain' } });
  // no mapper matches: untouched
  assert.deepEqual(run(config, 404, ''), { status: 404, body: '', headers: {} });
});

test('headers_to_add see the original status; the body format sees the new one and %LOCAL_REPLY_BODY%', () => {
  const config: LocalReplyConfig = {
    mappers: [
      {
        filter: eq(503),
        status_code: 502,
        headers_to_add: [{ header: { key: 'x-original', value: '%RESPONSE_CODE%' }, append_action: 'APPEND_IF_EXISTS_OR_ADD', keep_empty_value: false }],
      },
    ],
    body_format: text('%LOCAL_REPLY_BODY%:%RESPONSE_CODE%:path=%REQ(:path)%\n'),
  };
  const r = run(config, 503, 'upstream connect error');
  assert.equal(r.status, 502);
  assert.equal(r.headers['x-original'], '503');
  assert.equal(r.body, 'upstream connect error:502:path=/foo\n');
});

test('the first matching mapper wins; its body_format_override replaces body_format', () => {
  const config: LocalReplyConfig = {
    mappers: [
      { filter: eq(404), body: 'first', headers_to_add: [], body_format_override: { format: { kind: 'json', json: { m: '%LOCAL_REPLY_BODY%', c: '%RESPONSE_CODE%' } }, omit_empty_values: false, content_type: 'application/json' } },
      { filter: { kind: 'not_health_check' }, body: 'second', headers_to_add: [] },
    ],
    body_format: text('[%LOCAL_REPLY_BODY%]'),
  };
  const a = run(config, 404, '');
  assert.equal(a.body, '{"m":"first","c":404}\n');
  assert.equal(a.headers['content-type'], 'application/json');
  const b = run(config, 503, 'x');
  assert.equal(b.body, '[second]');
  assert.equal(b.headers['content-type'], 'text/plain');
});

test('a changed body takes the format content type, unless a mapper set content-type itself', () => {
  const html = text('<p>%LOCAL_REPLY_BODY%</p>', 'text/html; charset=UTF-8');
  assert.equal(run({ mappers: [], body_format: html }, 503, 'down', { 'content-type': 'application/grpc-web' }).headers['content-type'], 'text/html; charset=UTF-8');
  const custom: LocalReplyConfig = {
    mappers: [{ filter: eq(503), headers_to_add: [{ header: { key: 'content-type', value: 'text/x-custom' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', keep_empty_value: false }] }],
    body_format: html,
  };
  assert.equal(run(custom, 503, 'down').headers['content-type'], 'text/x-custom');
});

test('omit_empty_values: unset operators print nothing in text and drop their key in JSON; header values of unset operators add nothing', () => {
  const t = run({ mappers: [], body_format: { format: { kind: 'text', text: '[%REQ(x-none)%]' }, omit_empty_values: true, content_type: 'text/plain' } }, 500, 'e');
  assert.equal(t.body, '[]');
  const dash = run({ mappers: [], body_format: { format: { kind: 'text', text: '[%REQ(x-none)%]' }, omit_empty_values: false, content_type: 'text/plain' } }, 500, 'e');
  assert.equal(dash.body, '[-]');
  const j = run({ mappers: [], body_format: { format: { kind: 'json', json: { a: '%REQ(x-none)%', b: '%REQ(x-tenant)%' } }, omit_empty_values: true, content_type: 'application/json' } }, 500, 'e');
  assert.equal(j.body, '{"b":"a"}\n');
  const h = run({ mappers: [{ filter: eq(500), headers_to_add: [{ header: { key: 'x-h', value: '%REQ(x-none)%' }, append_action: 'APPEND_IF_EXISTS_OR_ADD', keep_empty_value: false }] }] }, 500, 'e');
  assert.equal(h.headers['x-h'], undefined);
});

test('localBody is the text before formatting (what %LOCAL_REPLY_BODY% logs)', () => {
  const r = new LocalReplyRewriter({ mappers: [{ filter: eq(404), body: 'gone', headers_to_add: [] }], body_format: text('[%LOCAL_REPLY_BODY%]') }, { random: Math.random });
  assert.deepEqual(r.rewrite(entry(404, ''), {}), { status: 404, body: '[gone]', localBody: 'gone' });
  assert.deepEqual(r.rewrite(entry(503, 'down'), {}), { status: 503, body: '[down]', localBody: 'down' });
});

test('an empty local reply body stays empty in %LOCAL_REPLY_BODY% (not "-")', () => {
  assert.equal(run({ mappers: [], body_format: text('<%LOCAL_REPLY_BODY%>') }, 404, '').body, '<>');
});
