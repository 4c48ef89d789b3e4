// Proxy HTTP filters: the filter manager's iteration — stop/continue, held data, injected data, trailers,
// local replies through the encoder filters, and the buffer limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterManager, FilterSlot } from '../../../../src/proxy/http/filter/manager.js';
import type { FilterCallbacks, HttpFilter, LocalReplyOptions, RequestHead, ResponseHead } from '../../../../src/proxy/http/filter/api.js';
import type { CompiledRoute, HeaderMap } from '../../../../src/proxy/router/types.js';

/** A manager whose downstream is a log of what reached it. */
class TestManager extends FilterManager {
  readonly request: RequestHead = { method: 'POST', path: '/', authority: 'a', scheme: 'http', headers: {} };
  readonly route: CompiledRoute | null = null;
  bufferLimit = 16;
  readonly log: string[] = [];
  paused = false;
  rematchRoute(): void {}
  resetStream(): void {
    this.log.push('reset');
  }
  localReplyFrom(from: number, status: number, body: string, _opts?: LocalReplyOptions): void {
    this.decodingStopped = true;
    this.encodeHeadersFrom(from, { status, headers: {} }, body === '');
    if (body !== '') this.encodeDataFrom(from, Buffer.from(body), true);
  }
  protected pauseBody(): void {
    this.paused = true;
  }
  protected resumeBody(): void {
    this.paused = false;
  }
  protected writeHeaders(r: ResponseHead, end: boolean): void {
    this.log.push(`H${r.status}${end ? '.' : ''}${r.headers['x-tag'] ?? ''}`);
  }
  protected writeData(d: Buffer, end: boolean): void {
    this.log.push(`D${d.toString()}${end ? '.' : ''}`);
  }
  protected writeTrailers(t: HeaderMap): void {
    this.log.push(`T${Object.keys(t).join(',')}`);
  }
  protected encodeOverflow(): void {
    this.log.push('overflow');
  }
  install(...makers: ((cb: FilterCallbacks) => HttpFilter)[]): FilterCallbacks[] {
    this.slots = makers.map((make, i) => {
      const s = new FilterSlot(this, i, `f${i}`);
      s.filter = make(s);
      return s;
    });
    return this.slots;
  }
}

/** A terminal filter that records what it was given. */
function sink(seen: string[]): (cb: FilterCallbacks) => HttpFilter {
  return () => ({
    decodeHeaders: (_r, end) => (seen.push(`h${end ? '.' : ''}`), 'stop'),
    decodeData: (d, end) => (seen.push(`d${d.toString()}${end ? '.' : ''}`), 'stop'),
    decodeTrailers: (t) => (seen.push(`t${Object.keys(t).join(',')}`), 'stop'),
  });
}

test('filter manager: a filter that stops at headers holds data and trailers until it continues', () => {
  const m = new TestManager();
  const seen: string[] = [];
  let cb0!: FilterCallbacks;
  m.install((cb) => ((cb0 = cb), { decodeHeaders: () => 'stop' }), sink(seen));
  m.decodeHeadersFrom(0, false);
  m.decodeDataFrom(0, Buffer.from('ab'), false);
  m.decodeDataFrom(0, Buffer.from('cd'), false);
  m.decodeTrailersFrom(0, { x: '1' });
  assert.deepEqual(seen, []);
  cb0.continueDecoding();
  assert.deepEqual(seen, ['h', 'dabcd', 'tx']);
});

test('filter manager: headers-only requests carry end of stream; continue inside the callback is deferred', async () => {
  const m = new TestManager();
  const seen: string[] = [];
  m.install((cb) => ({ decodeHeaders: () => (cb.continueDecoding(), 'stop') }), sink(seen));
  m.decodeHeadersFrom(0, true);
  assert.deepEqual(seen, []);
  await new Promise((r) => queueMicrotask(() => r(undefined)));
  assert.deepEqual(seen, ['h.']);
});

test('filter manager: stop-buffer accumulates, continue at the end passes the whole body with end of stream', () => {
  const m = new TestManager();
  const seen: string[] = [];
  m.install(() => ({ decodeData: (_d, end) => (end ? 'continue' : 'stop-buffer') }), sink(seen));
  m.decodeHeadersFrom(0, false);
  m.decodeDataFrom(0, Buffer.from('x'), false);
  m.decodeDataFrom(0, Buffer.from('y'), false);
  m.decodeDataFrom(0, Buffer.from('z'), true);
  assert.deepEqual(seen, ['h', 'dxyz.']);
});

test('filter manager: stop-buffer past the buffer limit answers 413 through the earlier encoder filters', () => {
  const m = new TestManager();
  const seen: string[] = [];
  m.install(
    () => ({ encodeHeaders: (r) => ((r.headers['x-tag'] = '+e0'), 'continue') }),
    () => ({ decodeData: () => 'stop-buffer' }),
    sink(seen),
  );
  m.decodeHeadersFrom(0, false);
  m.decodeDataFrom(0, Buffer.alloc(10), false);
  m.decodeDataFrom(0, Buffer.alloc(10), false);
  assert.deepEqual(m.log, ['H413+e0', 'DPayload Too Large.']);
  m.decodeDataFrom(0, Buffer.from('late'), true);
  assert.deepEqual(seen, ['h'], 'nothing reaches the router after the local reply');
});

test('filter manager: data held only because a filter has not continued pauses the downstream instead of failing', () => {
  const m = new TestManager();
  let cb0!: FilterCallbacks;
  const seen: string[] = [];
  m.install((cb) => ((cb0 = cb), { decodeHeaders: () => 'stop' }), sink(seen));
  m.decodeHeadersFrom(0, false);
  m.decodeDataFrom(0, Buffer.alloc(20), false);
  assert.equal(m.paused, true);
  assert.deepEqual(m.log, []);
  cb0.continueDecoding();
  assert.equal(m.paused, false);
  assert.equal(seen.length, 2);
});

test('filter manager: a filter can take data and inject a transformed copy, and add trailers at the end', () => {
  const m = new TestManager();
  const seen: string[] = [];
  m.install(
    (cb) => ({
      decodeData: (d, end) => {
        cb.injectDecodedData(Buffer.from(d.toString().toUpperCase()), false);
        if (end) cb.addDecodedTrailers()['x-sum'] = '1';
        return end ? 'continue' : 'stop';
      },
    }),
    sink(seen),
  );
  m.decodeHeadersFrom(0, false);
  m.decodeDataFrom(0, Buffer.from('ab'), false);
  m.decodeDataFrom(0, Buffer.from(''), true);
  assert.deepEqual(seen, ['h', 'dAB', 'd', 'd', 'tx-sum']);
});

test('filter manager: encoding runs in reverse order from the producer, and an encoder can hold the response', () => {
  const m = new TestManager();
  let cb0!: FilterCallbacks;
  let router!: FilterCallbacks;
  m.install(
    (cb) => ((cb0 = cb), { encodeHeaders: () => 'stop', encodeData: (_d, end) => (end ? 'stop-buffer' : 'stop-buffer') }),
    () => ({ encodeHeaders: (r) => ((r.headers['x-tag'] = 'e1'), 'continue') }),
    (cb) => ((router = cb), { decodeHeaders: () => 'stop' }),
  );
  m.decodeHeadersFrom(0, true);
  router.encodeHeaders({ status: 200, headers: {} }, false);
  router.encodeData(Buffer.from('hello'), false);
  router.encodeTrailers({ 'grpc-status': '0' });
  assert.deepEqual(m.log, []);
  cb0.continueEncoding();
  assert.deepEqual(m.log, ['H200e1', 'Dhello', 'Tgrpc-status']);
});

test('filter manager: a local reply from a filter skips the filters after it', () => {
  const m = new TestManager();
  const touched: string[] = [];
  m.install(
    () => ({ encodeHeaders: () => (touched.push('e0'), 'continue') }),
    (cb) => ({ decodeHeaders: () => (cb.sendLocalReply(403, 'denied'), 'stop') }),
    () => ({ decodeHeaders: () => (touched.push('d2'), 'stop'), encodeHeaders: () => (touched.push('e2'), 'continue') }),
  );
  m.decodeHeadersFrom(0, false);
  assert.deepEqual(touched, ['e0']);
  assert.deepEqual(m.log, ['H403', 'Ddenied.']);
});
