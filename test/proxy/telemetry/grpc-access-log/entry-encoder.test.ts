// gRPC access log service: AccessLogEntry → HTTPAccessLogEntry / TCPAccessLogEntry bytes, decoded with Envoy's own
// .proto files (protobufjs) — examples of the mapping, and properties over random entries (long values force the
// multi-byte length patching at every nesting level).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AccessLogEntry } from '../../../../src/proxy/telemetry/access-log.js';
import type { GrpcAccessLogConfig } from '../../../../src/proxy/telemetry/grpc-access-log/config.js';
import { compileEntryOptions, encodeLogEntryItem, type EntryOptions } from '../../../../src/proxy/telemetry/grpc-access-log/entry-encoder.js';
import { encodeIdentifier, streamMessageFrame } from '../../../../src/proxy/telemetry/grpc-access-log/message.js';
import { decodeStreamMessage, unframe, type Obj } from './als-protos.js';

function config(kind: 'http' | 'tcp', extra: Partial<GrpcAccessLogConfig> = {}, tags: GrpcAccessLogConfig['common_config']['custom_tags'] = []): GrpcAccessLogConfig {
  return {
    '@type': `type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.${kind === 'http' ? 'Http' : 'Tcp'}GrpcAccessLogConfig`,
    kind,
    common_config: {
      log_name: 'mesh',
      grpc_service: { cluster_name: 'als', timeout: 0, initial_metadata: [] },
      transport_api_version: 'V3',
      buffer_flush_interval: 1000,
      buffer_size_bytes: 16384,
      filter_state_objects_to_log: [],
      custom_tags: tags,
    },
    additional_request_headers_to_log: [],
    additional_response_headers_to_log: [],
    additional_response_trailers_to_log: [],
    ...extra,
  };
}

function entry(over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
    durationMs: 12.5,
    method: 'POST',
    path: '/api/v1?q=1',
    authority: 'shop.example',
    protocol: 'HTTP/1.1',
    responseCode: 503,
    responseFlags: 'UF,URX',
    bytesReceived: 42,
    bytesSent: 1234567890123,
    upstreamHost: '10.0.0.7:8080',
    upstreamCluster: 'backend',
    upstreamServiceTimeMs: 3,
    downstreamRemoteAddress: '192.0.2.1:50000',
    downstreamLocalAddress: '[::1]:15006',
    requestHeaders: { 'user-agent': 'curl/8', referer: 'http://r/', 'x-forwarded-for': '192.0.2.1', 'x-forwarded-proto': 'https', 'x-user': ['a', 'b'], 'x-envoy-original-path': '/orig' },
    responseHeaders: { 'content-type': 'text/plain', 'set-cookie': ['x=1', 'y=2'] },
    responseTrailers: { 'grpc-status': '14' },
    routeName: 'r1',
    requestId: 'rid-1',
    upstreamTransportFailureReason: 'TLS error',
    connectionTerminationDetails: 'closed',
    responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
    ...over,
  };
}

/** Encodes entries as one stream message (with an identifier) and decodes it with protobufjs. */
function roundTrip(o: EntryOptions, entries: AccessLogEntry[], identifier: Buffer | null = null): Obj {
  const items = entries.map((e) => encodeLogEntryItem(e, o));
  const frame = streamMessageFrame(identifier, o.kind, items, items.reduce((n, b) => n + b.length, 0));
  const msgs = unframe(frame);
  assert.equal(msgs.length, 1);
  assert.equal(frame.readUInt32BE(1), frame.length - 5);
  return decodeStreamMessage(msgs[0]!);
}

test('HTTP entry: common properties, request and response as Envoy fills them', () => {
  const o = compileEntryOptions(
    config('http', { additional_request_headers_to_log: ['x-user', ':authority', 'x-absent'], additional_response_headers_to_log: ['set-cookie'], additional_response_trailers_to_log: ['grpc-status'] }, [
      { tag: 'zone', kind: 'literal', value: 'z1' },
      { tag: 'pod', kind: 'environment', name: 'ALS_TEST_POD', defaultValue: 'nopod' },
      { tag: 'user', kind: 'request_header', name: 'x-user', defaultValue: '' },
      { tag: 'tenant', kind: 'request_header', name: 'x-tenant', defaultValue: 'none' },
      { tag: 'gone', kind: 'request_header', name: 'x-gone', defaultValue: '' },
    ]),
    { ALS_TEST_POD: 'pod-7' },
  );
  const m = roundTrip(o, [entry()]);
  const e = m.http_logs.log_entry[0];
  const c = e.common_properties;
  assert.deepEqual(c.downstream_remote_address, { socket_address: { address: '192.0.2.1', port_value: 50000 } });
  assert.deepEqual(c.downstream_local_address, { socket_address: { address: '::1', port_value: 15006 } });
  assert.deepEqual(c.upstream_remote_address, { socket_address: { address: '10.0.0.7', port_value: 8080 } });
  assert.deepEqual(c.start_time, { seconds: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000, nanos: 678_000_000 });
  assert.deepEqual(c.duration, { nanos: 12_500_000 }); // seconds 0 is the proto3 default, left out
  assert.equal(c.upstream_cluster, 'backend');
  assert.deepEqual(c.response_flags, { upstream_connection_failure: true, upstream_retry_limit_exceeded: true });
  assert.equal(c.upstream_transport_failure_reason, 'TLS error');
  assert.equal(c.route_name, 'r1');
  assert.equal(c.connection_termination_details, 'closed');
  assert.deepEqual(c.custom_tags, { zone: 'z1', pod: 'pod-7', user: 'a,b', tenant: 'none' });
  assert.equal(c.access_log_type, 'DownstreamEnd');
  assert.equal(c.tls_properties, undefined);
  assert.equal(e.protocol_version, 'HTTP11');
  assert.deepEqual(e.request, {
    request_method: 'POST',
    scheme: 'https',
    authority: 'shop.example',
    path: '/api/v1?q=1',
    user_agent: 'curl/8',
    referer: 'http://r/',
    forwarded_for: '192.0.2.1',
    request_id: 'rid-1',
    original_path: '/orig',
    request_headers_bytes: e.request.request_headers_bytes,
    request_body_bytes: 42,
    request_headers: { 'x-user': 'a,b', ':authority': 'shop.example' },
  });
  assert.ok(e.request.request_headers_bytes > 50);
  assert.deepEqual(e.response, {
    response_code: { value: 503 },
    response_headers_bytes: e.response.response_headers_bytes,
    response_body_bytes: 1234567890123,
    response_headers: { 'set-cookie': 'x=1,y=2' },
    response_trailers: { 'grpc-status': '14' },
    response_code_details: 'upstream_reset_before_response_started{connection_failure}',
  });
});

test('HTTP entry: no response (downstream gone), no upstream, HTTP/2, every response flag Envoy names', () => {
  const o = compileEntryOptions(config('http'));
  const flags = 'LH,UH,UT,LR,UR,UF,UC,UO,NR,DI,FI,RL,UAEX,RLSE,DC,URX,SI,IH,DPE,UMSDR,RFCF,NFCF,DT,UPE,NC,OM,DF,DR,XX';
  const m = roundTrip(o, [entry({ responseCode: 0, upstreamHost: '-', upstreamCluster: '-', protocol: 'HTTP/2', method: 'BREW', responseFlags: flags })]);
  const e = m.http_logs.log_entry[0];
  assert.equal(e.common_properties.upstream_remote_address, undefined);
  assert.equal(e.common_properties.upstream_cluster, undefined);
  assert.equal(e.response.response_code, undefined);
  assert.equal(e.protocol_version, 'HTTP2');
  assert.equal(e.request.request_method, undefined); // METHOD_UNSPECIFIED, the proto3 default
  const f = e.common_properties.response_flags;
  assert.deepEqual(f.unauthorized_details, { reason: 'EXTERNAL_SERVICE' });
  const booleans = Object.keys(f).filter((k) => k !== 'unauthorized_details');
  assert.equal(booleans.length, 27); // 28 flags, UAEX is the message; XX is not a flag
  assert.ok(booleans.every((k) => f[k] === true));
});

test('TLS properties come from the entry when it has them (SNI, local and peer URI SANs)', () => {
  const o = compileEntryOptions(config('http'));
  const e = entry({
    connection: {
      remoteAddress: '10.0.0.2', remotePort: 1, localAddress: '10.0.0.1', localPort: 2, listenerName: 'inbound', filterChainName: 'c',
      tls: { sni: 'outbound_.80_._.b.svc', peerUriSans: ['spiffe://cluster.local/ns/a/sa/client'], localUriSans: ['spiffe://cluster.local/ns/b/sa/server', 'spiffe://other/x'] },
    },
    upstreamLocalAddress: '10.0.0.1:40000',
  });
  const c = roundTrip(o, [e]).http_logs.log_entry[0].common_properties;
  assert.deepEqual(c.tls_properties, {
    tls_sni_hostname: 'outbound_.80_._.b.svc',
    local_certificate_properties: { subject_alt_name: [{ uri: 'spiffe://cluster.local/ns/b/sa/server' }, { uri: 'spiffe://other/x' }] },
    peer_certificate_properties: { subject_alt_name: [{ uri: 'spiffe://cluster.local/ns/a/sa/client' }] },
  });
  assert.deepEqual(c.upstream_local_address, { socket_address: { address: '10.0.0.1', port_value: 40000 } });
});

test('TCP entry: common properties and connection bytes; the identifier names node and log', () => {
  const o = compileEntryOptions(config('tcp'));
  const id = encodeIdentifier({ id: 'sidecar~10.0.0.1~a.ns~ns.svc.cluster.local', cluster: 'a.ns', metadata: { NAMESPACE: 'ns', LABELS: { app: 'a' } }, user_agent_name: 'trellis' }, 'tcp-log');
  const e = entry({ method: '', path: '', authority: '', protocol: '', responseCode: 0, responseFlags: '-', bytesReceived: 10, bytesSent: 20, requestHeaders: {}, responseHeaders: {} });
  const m = roundTrip(o, [e, e], id);
  assert.equal(m.identifier.log_name, 'tcp-log');
  assert.equal(m.identifier.node.id, 'sidecar~10.0.0.1~a.ns~ns.svc.cluster.local');
  assert.equal(m.identifier.node.cluster, 'a.ns');
  assert.equal(m.identifier.node.user_agent_name, 'trellis');
  const ns = m.identifier.node.metadata.fields.NAMESPACE; // protobufjs' own struct.proto spells Value's fields in camelCase
  assert.equal(ns.stringValue ?? ns.string_value, 'ns');
  assert.equal(m.http_logs, undefined);
  assert.equal(m.tcp_logs.log_entry.length, 2);
  const t = m.tcp_logs.log_entry[0];
  assert.deepEqual(t.connection_properties, { received_bytes: 10, sent_bytes: 20 });
  assert.equal(t.common_properties.access_log_type, 'TcpConnectionEnd');
  assert.equal(t.common_properties.response_flags, undefined);
  assert.deepEqual(t.common_properties.upstream_remote_address, { socket_address: { address: '10.0.0.7', port_value: 8080 } });
});

// ---------------------------------------------------------------- properties

const text = (max: number): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength: max });
const headerMap = fc.dictionary(fc.constantFrom('x-a', 'x-b', 'user-agent', 'x-request-id', 'referer'), fc.oneof(text(300), fc.array(text(40), { maxLength: 3 })), { maxKeys: 5 });
const hostPort = fc.oneof(
  fc.constant('-'),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
);
const arbEntry: fc.Arbitrary<AccessLogEntry> = fc.record({
  startTime: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  durationMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'CONNECT', 'WEIRD', ''),
  path: text(600),
  authority: text(200),
  protocol: fc.constantFrom('HTTP/1.0', 'HTTP/1.1', 'HTTP/2', ''),
  responseCode: fc.integer({ min: 0, max: 599 }),
  responseFlags: fc.subarray(['UH', 'UF', 'UAEX', 'DC', 'NR', 'URX'], { minLength: 0 }).map((a) => (a.length === 0 ? '-' : a.join(','))),
  bytesReceived: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  bytesSent: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  upstreamHost: hostPort,
  upstreamCluster: fc.oneof(fc.constant('-'), text(150)),
  upstreamServiceTimeMs: fc.constant(undefined),
  downstreamRemoteAddress: hostPort,
  downstreamLocalAddress: hostPort,
  requestHeaders: headerMap,
  responseHeaders: headerMap,
  routeName: text(200),
  requestId: text(40),
});

/** What the decoded proto must say for the address string the entry held. */
function expectedAddress(hp: string): Obj | undefined {
  if (hp === '-') return undefined;
  const i = hp.lastIndexOf(':');
  let host = hp.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { socket_address: { address: host, port_value: Number(hp.slice(i + 1)) } };
}

/** protobufjs leaves out an empty string; the writer does too. Strings are compared after the UTF-8 round trip. */
const utf8 = (s: string): string | undefined => (s === '' ? undefined : Buffer.from(s, 'utf8').toString('utf8'));

test('property: every HTTP entry decodes (with Envoy protos) to the fields it was made from', () => {
  const o = compileEntryOptions(config('http', { additional_request_headers_to_log: ['x-a', 'x-b'], additional_response_headers_to_log: ['x-a'] }));
  fc.assert(
    fc.property(fc.array(arbEntry, { minLength: 1, maxLength: 4 }), (entries) => {
      const m = roundTrip(o, entries);
      assert.equal(m.http_logs.log_entry.length, entries.length);
      entries.forEach((src, i) => {
        const e = m.http_logs.log_entry[i];
        const c = e.common_properties;
        assert.deepEqual(c.downstream_remote_address, expectedAddress(src.downstreamRemoteAddress));
        assert.deepEqual(c.upstream_remote_address, expectedAddress(src.upstreamHost));
        assert.equal(c.upstream_cluster, src.upstreamCluster === '-' ? undefined : utf8(src.upstreamCluster));
        assert.equal(c.route_name, utf8(src.routeName));
        assert.equal((c.start_time.seconds ?? 0) * 1000 + Math.round((c.start_time.nanos ?? 0) / 1e6), src.startTime);
        const d = c.duration ?? { seconds: 0, nanos: 0 };
        assert.ok(Math.abs((d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6 - src.durationMs) < 1e-3);
        assert.equal(e.request.path, utf8(src.path));
        assert.equal(e.request.authority, utf8(src.authority));
        assert.equal(e.request.request_body_bytes, src.bytesReceived === 0 ? undefined : src.bytesReceived);
        assert.equal(e.response.response_body_bytes, src.bytesSent === 0 ? undefined : src.bytesSent);
        assert.equal(e.response.response_code?.value, src.responseCode === 0 ? undefined : src.responseCode);
        const want = (h: AccessLogEntry['requestHeaders'], n: string): string | undefined => {
          const v = h[n];
          return typeof v === 'string' ? v : Array.isArray(v) && v.length > 0 ? v.join(',') : undefined;
        };
        for (const n of ['x-a', 'x-b']) {
          const w = want(src.requestHeaders, n);
          const got = e.request.request_headers?.[n];
          assert.equal(got, w === undefined ? undefined : (utf8(w) ?? ''));
        }
      });
    }),
    { numRuns: 300 },
  );
});

test('property: batches of TCP entries keep their order and byte counts', () => {
  const o = compileEntryOptions(config('tcp'));
  fc.assert(
    fc.property(fc.array(arbEntry, { minLength: 1, maxLength: 20 }), (entries) => {
      const m = roundTrip(o, entries);
      assert.deepEqual(
        m.tcp_logs.log_entry.map((t: Obj) => [t.connection_properties?.received_bytes ?? 0, t.connection_properties?.sent_bytes ?? 0]),
        entries.map((e) => [e.bytesReceived, e.bytesSent]),
      );
    }),
    { numRuns: 200 },
  );
});
