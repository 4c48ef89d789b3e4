// gRPC access log service: the StreamAccessLogs call over a fake cluster and pool — the request it starts, the host
// lease and its outcome, backpressure, and a misbehaving server (flooding response, malformed grpc-message, reset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterManager, Host, UpstreamCluster, UpstreamFailure } from '../../../../src/proxy/upstream/types.js';
import type { PoolManager } from '../../../../src/proxy/upstream/pool/pool-manager.js';
import type { UpstreamRequestHead, UpstreamResponseHandler, UpstreamStream } from '../../../../src/proxy/upstream/pool/types.js';
import { MAX_RESPONSE_BYTES, openClusterLogStream, type LogStream } from '../../../../src/proxy/telemetry/grpc-access-log/stream.js';
import type { GrpcServiceTarget } from '../../../../src/proxy/ext-authz/grpc-client.js';

class FakeUpstream implements UpstreamStream {
  writes: Buffer[] = [];
  ended = false;
  aborted = false;
  full = false;
  drain: (() => void) | undefined;
  write(chunk: Buffer): boolean {
    this.writes.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  abort(): void {
    this.aborted = true;
  }
  onDrain(cb: () => void): void {
    this.drain = cb;
  }
  pauseResponse(): void {}
  resumeResponse(): void {}
}

function fakes(opts: { noHost?: boolean } = {}) {
  const host = { key: '127.0.0.1:9', activeRequests: 0 } as unknown as Host;
  const outcomes: unknown[] = [];
  const cluster = {
    name: 'als',
    chooseHost: () => (opts.noHost === true ? null : host),
    reportResult: (_h: Host, o: unknown) => outcomes.push(o),
  } as unknown as UpstreamCluster;
  const clusters = { get: (n: string) => (n === 'als' ? cluster : undefined) } as unknown as ClusterManager;
  const calls: { head: UpstreamRequestHead; handler: UpstreamResponseHandler; stream: FakeUpstream }[] = [];
  const pools = {
    pool: () => ({
      request: (head: UpstreamRequestHead, handler: UpstreamResponseHandler) => {
        const stream = new FakeUpstream();
        calls.push({ head, handler, stream });
        return stream;
      },
    }),
  } as unknown as PoolManager;
  return { host, outcomes, clusters, pools, calls };
}

const SVC: GrpcServiceTarget = { cluster_name: 'als', authority: 'als.example', timeout: 200, initial_metadata: [{ key: 'x-tenant', value: 't1' }] };

function open(f: ReturnType<typeof fakes>, svc = SVC) {
  const closed: string[] = [];
  let writable = 0;
  const s = openClusterLogStream(f.clusters, f.pools, svc, { onWritable: () => writable++, onClosed: (r) => closed.push(r) });
  return { s, closed, writable: () => writable };
}

test('starts one POST to StreamAccessLogs on a leased host with gRPC headers and the initial metadata, no deadline', () => {
  const f = fakes();
  const { s } = open(f);
  assert.equal(typeof s, 'object');
  const { head } = f.calls[0]!;
  assert.equal(head.method, 'POST');
  assert.equal(head.path, '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs');
  assert.equal(head.authority, 'als.example');
  assert.equal(head.hasBody, true);
  assert.equal(head.contentLength, -1);
  assert.deepEqual(head.headers, { 'content-type': 'application/grpc', te: 'trailers', 'x-tenant': 't1' });
  assert.equal(f.host.activeRequests, 1, 'the host is leased while the stream lives');
});

test('no cluster or no host: a reason instead of a stream, nothing leased', () => {
  assert.match(String(open(fakes(), { ...SVC, cluster_name: 'nope' }).s), /unknown cluster nope/);
  const f = fakes({ noHost: true });
  assert.match(String(open(f).s), /no healthy host/);
});

test('backpressure: a full write makes it unwritable until the transport drains', () => {
  const f = fakes();
  const { s, writable } = open(f);
  const ls = s as LogStream;
  const up = f.calls[0]!.stream;
  ls.write(Buffer.from('a'));
  assert.equal(ls.writable, true);
  up.full = true;
  ls.write(Buffer.from('b'));
  assert.equal(ls.writable, false);
  up.drain!();
  assert.equal(ls.writable, true);
  assert.equal(writable(), 1);
});

test('the server ends the stream (even with a malformed grpc-message): closed once, our side ended, the outcome reported', () => {
  const f = fakes();
  const { s, closed } = open(f);
  const { handler, stream } = f.calls[0]!;
  handler.onHeaders(200, { 'content-type': 'application/grpc' });
  assert.doesNotThrow(() => handler.onEnd({ 'grpc-status': '13', 'grpc-message': 'bad %ZZ%' }));
  assert.deepEqual(closed, ['the server ended the stream: grpc-status 13 (bad %ZZ%)']);
  assert.equal(stream.ended, true);
  assert.equal((s as LogStream).writable, false);
  assert.equal(f.host.activeRequests, 0);
  assert.deepEqual(f.outcomes, [{ status: 200 }]);
  handler.onError('reset', 'late');
  assert.equal(closed.length, 1, 'exactly once');
});

test('a server that floods the response is cut off past the bound', () => {
  const f = fakes();
  const { closed } = open(f);
  const { handler, stream } = f.calls[0]!;
  handler.onHeaders(200, {});
  const chunk = Buffer.alloc(16 * 1024);
  for (let sent = 0; sent <= MAX_RESPONSE_BYTES + chunk.length; sent += chunk.length) handler.onData(chunk);
  assert.equal(stream.aborted, true);
  assert.equal(closed.length, 1);
  assert.match(closed[0]!, /more than 65536 response bytes/);
});

test('a transport failure closes it with the failure kind; writes after that go nowhere', () => {
  const f = fakes();
  const { s, closed } = open(f);
  const { handler, stream } = f.calls[0]!;
  handler.onError('connect-failure' as UpstreamFailure, 'ECONNREFUSED');
  assert.deepEqual(closed, ['connect-failure: ECONNREFUSED']);
  assert.deepEqual(f.outcomes, [{ localFailure: 'connect-failure' }]);
  (s as LogStream).write(Buffer.from('x'));
  assert.equal(stream.writes.length, 0);
});
