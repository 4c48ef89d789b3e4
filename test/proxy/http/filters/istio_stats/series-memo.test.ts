import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesMemo, type EdgeLabels, type RequestSeries } from '../../../../../src/proxy/http/filters/istio_stats/series-memo.js';
import type { DestinationService, Principals } from '../../../../../src/proxy/telemetry/istio-edge-labels.js';
import type { PeerInfo } from '../../../../../src/proxy/telemetry/peer-info.js';

const svc: DestinationService = { fqdn: 'echo.bench.svc.cluster.local', name: 'echo', namespace: 'bench' };
const mtls: Principals = { source: 'spiffe://a', destination: 'spiffe://b', policy: 'mutual_tls' };
const peer = { workload: 'client' } as PeerInfo;

/** A resolver that makes a fresh series per call and records what it was asked. */
function resolver(overflowed = false) {
  const calls: string[] = [];
  const resolve = (e: EdgeLabels, grpc: boolean, code: number, grpcStatus: string, flags: string): RequestSeries => {
    calls.push(`${e.peer?.workload}|${e.service.name}|${e.principals.policy}|${grpc}|${code}|${grpcStatus}|${flags}`);
    return { requests: { inc() {}, value: () => 0 }, duration: undefined, reqBytes: undefined, respBytes: undefined, reqMessages: undefined, respMessages: undefined, overflowed };
  };
  return { calls, resolve };
}

test('a label set is resolved once, then found by its edge objects and response', () => {
  const r = resolver();
  const m = new SeriesMemo(r.resolve);
  const a = m.get(peer, svc, mtls, false, 200, '', '-');
  assert.equal(m.get(peer, svc, mtls, false, 200, '', '-'), a);
  assert.notEqual(m.get(peer, svc, mtls, false, 503, '', 'UF'), a);
  assert.notEqual(m.get(undefined, svc, mtls, false, 200, '', '-'), a);
  const g = m.get(peer, svc, mtls, true, 200, '14', '-');
  assert.equal(m.get(peer, svc, mtls, true, 200, '14', '-'), g);
  assert.notEqual(m.get(peer, svc, mtls, true, 200, '0', '-'), g);
  assert.deepEqual(r.calls, [
    'client|echo|mutual_tls|false|200||-',
    'client|echo|mutual_tls|false|503||UF',
    'undefined|echo|mutual_tls|false|200||-',
    'client|echo|mutual_tls|true|200|14|-',
    'client|echo|mutual_tls|true|200|0|-',
  ]);
});

test('an overflowed label set is never remembered: each sample goes back to the tables (which count it)', () => {
  const r = resolver(true);
  const m = new SeriesMemo(r.resolve);
  for (let i = 0; i < 3; i++) assert.equal(m.get(peer, svc, mtls, false, 200, '', '-').overflowed, true);
  assert.equal(r.calls.length, 3);
});

test('the memo is bounded: past its cap it starts over and keeps answering', () => {
  const r = resolver();
  const m = new SeriesMemo(r.resolve, 50);
  for (let i = 0; i < 500; i++) {
    // hostile traffic: a new service object per request (say, one Host header each)
    m.get(peer, { ...svc, fqdn: `h${i}` }, mtls, false, 200 + (i % 3), '', '-');
    assert.ok(m.size() <= 50 + 4, `size ${m.size()}`);
  }
  const before = r.calls.length;
  m.get(peer, svc, mtls, false, 200, '', '-');
  m.get(peer, svc, mtls, false, 200, '', '-');
  assert.equal(r.calls.length, before + 1);
});
