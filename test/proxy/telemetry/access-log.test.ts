// Telemetry tests: access-log formats (text, JSON, Envoy default), START_TIME formats, response flags and the file sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAccessLogs, DEFAULT_ACCESS_LOG_FORMAT, type AccessLogEntry } from '../../../src/proxy/telemetry/access-log.js';
import { compileJsonFormat, compileTextFormat } from '../../../src/proxy/telemetry/access-log-format.js';
import { compileTimeFormat } from '../../../src/proxy/telemetry/start-time.js';

const START = Date.UTC(2016, 3, 15, 20, 17, 0, 310);

function entry(over: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    startTime: START,
    durationMs: 226.7,
    method: 'POST',
    path: '/api/v1/locations?x=1',
    authority: 'locations',
    protocol: 'HTTP/2',
    responseCode: 204,
    responseFlags: '-',
    bytesReceived: 154,
    bytesSent: 0,
    upstreamHost: '10.0.2.1:80',
    upstreamCluster: 'locations',
    upstreamServiceTimeMs: 100,
    downstreamRemoteAddress: '10.0.35.28:51234',
    downstreamLocalAddress: '10.0.0.1:10000',
    requestHeaders: {
      'x-forwarded-for': '10.0.35.28',
      'user-agent': 'nsq2http',
      'x-request-id': 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2',
      'x-multi': ['a', 'b'],
    },
    responseHeaders: { 'x-envoy-upstream-service-time': '100', 'content-type': 'text/plain' },
    responseTrailers: { 'grpc-status': '0' },
    routeName: 'r1',
    requestId: 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2',
    ...over,
  };
}

test("Envoy's default format matches the documented example", () => {
  const f = compileTextFormat(DEFAULT_ACCESS_LOG_FORMAT);
  assert.equal(
    f(entry()),
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations?x=1 HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" ' +
      '"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80"\n',
  );
  // x-envoy-original-path wins over :path; missing headers and hosts print '-'.
  const e = entry({
    requestHeaders: { 'x-envoy-original-path': '/orig' },
    responseHeaders: {},
    upstreamServiceTimeMs: undefined,
    upstreamHost: '-',
    responseFlags: 'UF,URX',
    responseCode: 503,
  });
  assert.equal(f(e), '[2016-04-15T20:17:00.310Z] "POST /orig HTTP/2" 503 UF,URX 154 0 226 - "-" "-" "-" "locations" "-"\n');
});

test('text operators: headers with fallback and max length, trailers, addresses, flags', () => {
  const f = compileTextFormat(
    '%REQ(X-MISSING?USER-AGENT):3% %REQ(x-multi)% %RESP(content-type)% %TRAILER(grpc-status)% ' +
      '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_ADDRESS% %UPSTREAM_CLUSTER% %ROUTE_NAME% ' +
      '%RESPONSE_FLAGS% %RESPONSE_FLAGS_LONG% %UPSTREAM_TRANSPORT_FAILURE_REASON% %REQ(:AUTHORITY)% 100%',
  );
  assert.equal(
    f(entry({ responseFlags: 'UH,DC' })),
    'nsq a,b text/plain 0 10.0.35.28 10.0.0.1:10000 locations r1 UH,DC NoHealthyUpstream,DownstreamConnectionTermination - locations 100%',
  );
  assert.equal(compileTextFormat('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%')(entry({ downstreamRemoteAddress: '[::1]:5' })), '::1');
  assert.equal(compileTextFormat('%UPSTREAM_TRANSPORT_FAILURE_REASON%')(entry({ upstreamTransportFailureReason: 'TLS_error' })), 'TLS_error');
  assert.throws(() => compileTextFormat('%NOT_AN_OPERATOR%'), /unsupported command operator %NOT_AN_OPERATOR%/);
  assert.throws(() => compileTextFormat('%REQ()%'), /needs a header name/);
});

test('TLS and connection operators read the downstream connection: peer/local SANs, SNI, fingerprint; ENVIRONMENT at config time', () => {
  const connection = {
    remoteAddress: '10.0.35.28', remotePort: 51234, localAddress: '10.0.0.1', localPort: 10000, listenerName: 'l', filterChainName: 'c',
    tls: {
      sni: 'reviews.default.svc.cluster.local',
      peerUriSans: ['spiffe://cluster.local/ns/default/sa/productpage'],
      peerDnsSans: ['a.example', 'b.example'],
      peerSubject: 'O=trellis',
      peerCertificate: Buffer.from('der'),
      localUriSans: ['spiffe://cluster.local/ns/default/sa/reviews'],
    },
  };
  process.env.TRELLIS_TEST_POD = 'reviews-v1-abc';
  const f = compileTextFormat(
    '%DOWNSTREAM_PEER_URI_SAN% %DOWNSTREAM_LOCAL_URI_SAN% %DOWNSTREAM_PEER_DNS_SAN% %DOWNSTREAM_PEER_SUBJECT% %REQUESTED_SERVER_NAME% ' +
      '%UPSTREAM_LOCAL_ADDRESS% %UPSTREAM_LOCAL_PORT% %UPSTREAM_CLUSTER_RAW% %ENVIRONMENT(TRELLIS_TEST_POD)% %ENVIRONMENT(TRELLIS_TEST_UNSET)%',
  );
  delete process.env.TRELLIS_TEST_POD;
  assert.equal(
    f(entry({ connection, upstreamLocalAddress: '127.0.0.1:40000' })),
    'spiffe://cluster.local/ns/default/sa/productpage spiffe://cluster.local/ns/default/sa/reviews a.example,b.example O=trellis ' +
      'reviews.default.svc.cluster.local 127.0.0.1:40000 40000 locations reviews-v1-abc -',
  );
  assert.equal(compileTextFormat('%DOWNSTREAM_PEER_FINGERPRINT_256%')(entry({ connection })), createHash('sha256').update('der').digest('hex'));
  // plaintext: no identities, '-' (and null in JSON)
  assert.equal(compileTextFormat('%DOWNSTREAM_PEER_URI_SAN% %REQUESTED_SERVER_NAME%')(entry({ connection: { ...connection, tls: undefined } })), '- -');
  assert.equal(compileJsonFormat({ peer: '%DOWNSTREAM_PEER_URI_SAN%' })(entry()), '{"peer":null}\n');
});

test('START_TIME with strftime-like formats', () => {
  assert.equal(compileTimeFormat('%Y/%m/%dT%H:%M:%S%z %s')(START), '2016/04/15T20:17:00+0000 1460751420');
  assert.equal(compileTimeFormat('%s.%3f')(START), '1460751420.310');
  assert.equal(compileTimeFormat('%s.%6f')(START), '1460751420.310000');
  assert.equal(compileTimeFormat('%H:%M:%E3S')(START), '20:17:00.310');
  assert.equal(compileTimeFormat('%b %e %a %j %%')(START), 'Apr 15 Fri 106 %');
  assert.equal(compileTextFormat('[%START_TIME(%F %T)%]')(entry()), '[2016-04-15 20:17:00]');
});

test('JSON format: typed values, null when unset, nested objects, one line', () => {
  const f = compileJsonFormat({
    code: '%RESPONSE_CODE%',
    flags: '%RESPONSE_FLAGS%',
    dur: '%DURATION%',
    ua: '%REQ(USER-AGENT)%',
    missing: '%REQ(X-NOPE)%',
    line: '%REQ(:METHOD)% %REQ(:PATH)%',
    lit: 'plain',
    n: 7,
    nested: { host: '%UPSTREAM_HOST%', start: '%START_TIME%' },
  });
  const out = f(entry({ responseFlags: 'UO' }));
  assert.ok(out.endsWith('\n') && !out.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(out), {
    code: 204,
    flags: 'UO',
    dur: 226,
    ua: 'nsq2http',
    missing: null,
    line: 'POST /api/v1/locations?x=1',
    lit: 'plain',
    n: 7,
    nested: { host: '10.0.2.1:80', start: '2016-04-15T20:17:00.310Z' },
  });
  assert.equal((JSON.parse(f(entry())) as { flags: unknown }).flags, null);
});

test('file sink appends formatted lines and flushes on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-al-'));
  try {
    const path = join(dir, 'access.log');
    const logger = compileAccessLogs([
      { name: 'a', sink: { kind: 'file', path }, format: { kind: 'text', text: '%RESPONSE_CODE% %REQ(:PATH)%\n' } },
      { name: 'b', sink: { kind: 'file', path: join(dir, 'json.log') }, format: { kind: 'json', json: { code: '%RESPONSE_CODE%' } } },
    ]);
    assert.equal(logger.enabled, true);
    logger.log(entry({ path: '/one' }));
    logger.log(entry({ path: '/two', responseCode: 500 }));
    await logger.close();
    assert.equal(readFileSync(path, 'utf8'), '204 /one\n500 /two\n');
    assert.equal(readFileSync(join(dir, 'json.log'), 'utf8'), '{"code":204}\n{"code":500}\n');

    // Reopening appends, and the timer flush works without close().
    const again = compileAccessLogs([{ name: 'a', sink: { kind: 'file', path }, format: { kind: 'text', text: 'x\n' } }]);
    again.log(entry());
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(readFileSync(path, 'utf8'), '204 /one\n500 /two\nx\n');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no access logs: a disabled no-op logger', async () => {
  const l = compileAccessLogs([]);
  assert.equal(l.enabled, false);
  l.log(entry());
  await l.close();
});
