// Telemetry tests: AccessLogFilter evaluation (comparisons with runtime overrides, headers, flags, gRPC status, sampling, and/or).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AccessLogFilter } from '../../../src/proxy/config/types.js';
import type { AccessLogEntry } from '../../../src/proxy/telemetry/access-log.js';
import { compileAccessLogFilter } from '../../../src/proxy/telemetry/access-log-filter.js';
import { RuntimeSnapshot, type RuntimeSource } from '../../../src/proxy/runtime-config/snapshot.js';
import { parseEntry } from '../../../src/proxy/runtime-config/entry.js';

function entry(over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    startTime: 0,
    durationMs: 12.7,
    method: 'GET',
    path: '/a?b=1',
    authority: 'example.com',
    protocol: 'HTTP/1.1',
    responseCode: 503,
    responseFlags: 'UF,URX',
    bytesReceived: 0,
    bytesSent: 0,
    upstreamHost: '-',
    upstreamCluster: '-',
    upstreamServiceTimeMs: undefined,
    downstreamRemoteAddress: '127.0.0.1:1',
    downstreamLocalAddress: '127.0.0.1:2',
    requestHeaders: { 'x-test': 'yes', 'x-request-id': '0000000a-0000-4000-8000-000000000000' },
    responseHeaders: {},
    routeName: '',
    requestId: '',
    ...over,
  };
}

function runtimeOf(values: Record<string, string>): RuntimeSource {
  const snap = new RuntimeSnapshot([{ name: 'test', values: new Map(Object.entries(values).map(([k, v]) => [k, parseEntry(v)])) }]);
  return { snapshot: () => snap };
}

const env = { random: () => 0.5 };
const code = (op: 'EQ' | 'GE' | 'LE', v: number, key = 'k'): AccessLogFilter => ({ kind: 'status_code', op, default_value: v, runtime_key: key });

test('status_code / duration compare with EQ, GE and LE; the runtime key overrides the default', () => {
  const e = entry();
  assert.equal(compileAccessLogFilter(code('EQ', 503), env)(e), true);
  assert.equal(compileAccessLogFilter(code('EQ', 500), env)(e), false);
  assert.equal(compileAccessLogFilter(code('GE', 500), env)(e), true);
  assert.equal(compileAccessLogFilter(code('LE', 499), env)(e), false);
  assert.equal(compileAccessLogFilter({ kind: 'duration', op: 'GE', default_value: 12, runtime_key: 'd' }, env)(e), true);
  assert.equal(compileAccessLogFilter({ kind: 'duration', op: 'GE', default_value: 13, runtime_key: 'd' }, env)(e), false);
  const rt = { ...env, runtime: runtimeOf({ k: '503' }) };
  assert.equal(compileAccessLogFilter(code('EQ', 400), rt)(e), true);
  assert.equal(compileAccessLogFilter(code('EQ', 400, 'unset'), rt)(e), false);
});

test('header_filter matches request headers and pseudo-headers; invert and present work as in route matching', () => {
  const hdr = (header: object): AccessLogFilter => ({ kind: 'header', header: { invert_match: false, treat_missing_header_as_empty: false, ...header } as never });
  assert.equal(compileAccessLogFilter(hdr({ name: 'x-test', string_match: { kind: 'exact', value: 'yes', ignore_case: false } }), env)(entry()), true);
  assert.equal(compileAccessLogFilter(hdr({ name: 'x-test', string_match: { kind: 'exact', value: 'no', ignore_case: false } }), env)(entry()), false);
  assert.equal(compileAccessLogFilter(hdr({ name: ':path', string_match: { kind: 'prefix', value: '/a', ignore_case: false } }), env)(entry()), true);
  assert.equal(compileAccessLogFilter(hdr({ name: 'x-absent', present_match: true, invert_match: true }), env)(entry()), true);
  assert.equal(compileAccessLogFilter(hdr({ name: 'x-test', string_match: { kind: 'safe_regex', regex: 'y.s', ignore_case: false } }), env)(entry()), true);
});

test('response_flag_filter: listed flags, or any flag when the list is empty', () => {
  assert.equal(compileAccessLogFilter({ kind: 'response_flag', flags: ['URX'] }, env)(entry()), true);
  assert.equal(compileAccessLogFilter({ kind: 'response_flag', flags: ['NR'] }, env)(entry()), false);
  assert.equal(compileAccessLogFilter({ kind: 'response_flag', flags: [] }, env)(entry()), true);
  assert.equal(compileAccessLogFilter({ kind: 'response_flag', flags: [] }, env)(entry({ responseFlags: '-' })), false);
});

test('grpc_status_filter reads grpc-status (trailers first) or infers it from the HTTP status; exclude inverts', () => {
  const unavailable: AccessLogFilter = { kind: 'grpc_status', statuses: [14], exclude: false };
  assert.equal(compileAccessLogFilter(unavailable, env)(entry()), true); // 503 -> UNAVAILABLE
  assert.equal(compileAccessLogFilter(unavailable, env)(entry({ responseCode: 200, responseHeaders: { 'grpc-status': '14' } })), true);
  assert.equal(compileAccessLogFilter(unavailable, env)(entry({ responseCode: 200, responseHeaders: { 'grpc-status': '14' }, responseTrailers: { 'grpc-status': '0' } })), false);
  assert.equal(compileAccessLogFilter({ ...unavailable, exclude: true }, env)(entry()), false);
});

test('and / or short-circuit over their filters; not_health_check is always true here', () => {
  const t = code('EQ', 503);
  const f = code('EQ', 200);
  assert.equal(compileAccessLogFilter({ kind: 'and', filters: [t, f] }, env)(entry()), false);
  assert.equal(compileAccessLogFilter({ kind: 'and', filters: [t, { kind: 'not_health_check' }] }, env)(entry()), true);
  assert.equal(compileAccessLogFilter({ kind: 'or', filters: [f, t] }, env)(entry()), true);
  assert.equal(compileAccessLogFilter({ kind: 'or', filters: [f, f] }, env)(entry()), false);
});

test('runtime_filter pivots on x-request-id (first 8 hex digits mod the denominator) unless independent randomness', () => {
  const sample = (n: number, independent = false): AccessLogFilter => ({ kind: 'runtime', runtime_key: 'r', numerator: n, denominator: 'HUNDRED', use_independent_randomness: independent });
  // 0x0000000a % 100 = 10: sampled when the numerator is above 10
  assert.equal(compileAccessLogFilter(sample(11), env)(entry()), true);
  assert.equal(compileAccessLogFilter(sample(10), env)(entry()), false);
  // random() 0.5 -> 2^31, % 100 = 48
  assert.equal(compileAccessLogFilter(sample(49, true), env)(entry()), true);
  assert.equal(compileAccessLogFilter(sample(48, true), env)(entry()), false);
  // runtime override of the numerator (an integer percentage)
  assert.equal(compileAccessLogFilter(sample(0), { ...env, runtime: runtimeOf({ r: '100' }) })(entry()), true);
});

test('runtime_filter (property): the same request id is always sampled the same way, at the configured rate', () => {
  fc.assert(
    fc.property(fc.uuid(), fc.integer({ min: 0, max: 100 }), (id, pct) => {
      const f = compileAccessLogFilter({ kind: 'runtime', runtime_key: 'r', numerator: pct, denominator: 'HUNDRED', use_independent_randomness: false }, { random: Math.random });
      const e = entry({ requestHeaders: { 'x-request-id': id } });
      const first = f(e);
      assert.equal(f(e), first);
      assert.equal(first, parseInt(id.slice(0, 8), 16) % 100 < pct);
    }),
  );
});

test('cel: a CEL expression over Envoy attributes (response, request headers, connection, xds); an error is false', () => {
  const cel = (expression: string): boolean => compileAccessLogFilter({ kind: 'cel', expression }, env)(entry());
  assert.equal(cel('response.code >= 500'), true);
  assert.equal(cel('response.code < 500'), false);
  assert.equal(cel("request.headers['x-test'] == 'yes' && request.url_path == '/a' && request.query == 'b=1'"), true);
  assert.equal(cel("request.method == 'GET' && request.host == 'example.com' && request.scheme == 'http'"), true);
  assert.equal(cel('connection.mtls'), false);
  assert.equal(cel("source.port == 1 && destination.address == '127.0.0.1:2'"), true);
  assert.equal(cel("request.headers['absent'] == 'x'"), false);
  assert.equal(cel('has(xds.cluster_name)'), false, "'-' is an unknown cluster, left out");
  const mtls = compileAccessLogFilter({ kind: 'cel', expression: "connection.mtls && connection.uri_san_peer_certificate.endsWith('/sa/a')" }, env);
  const conn = { remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2, listenerName: 'l', filterChainName: 'c', tls: { peerUriSans: ['spiffe://cluster.local/ns/x/sa/a'] } };
  assert.equal(mtls(entry({ connection: conn })), true);
});
