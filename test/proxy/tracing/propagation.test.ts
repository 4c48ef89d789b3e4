// Tests: W3C traceparent and B3 (multi and single) codecs — examples, round trips and fast-check properties.
// Seed convention: a fixed seed, overridable with FC_SEED.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { b3SamplingOnly, injectB3, injectTraceparent, parseB3, parseTraceparent } from '../../../src/proxy/tracing/propagation.js';
import type { HeaderMap } from '../../../src/proxy/router/types.js';

const SEED = Number(process.env.FC_SEED ?? 20261204);
const RUNS = Number(process.env.FC_RUNS ?? 500);
const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('traceparent: the spec example, flags, tracestate', () => {
  assert.deepEqual(parseTraceparent({ traceparent: `00-${T}-${S}-01`, tracestate: 'congo=t61rcWkgMzE' }), { traceId: T, spanId: S, sampled: true, tracestate: 'congo=t61rcWkgMzE' });
  assert.equal(parseTraceparent({ traceparent: `00-${T}-${S}-00` })?.sampled, false);
  // a later version may append fields
  assert.equal(parseTraceparent({ traceparent: `01-${T}-${S}-01-extra` })?.traceId, T);
  assert.deepEqual(parseTraceparent({ traceparent: `00-${T}-${S}-01`, tracestate: ['a=1', 'b=2'] })?.tracestate, 'a=1,b=2');
});

test('traceparent: malformed values start a new trace', () => {
  for (const bad of [
    `ff-${T}-${S}-01`, // forbidden version
    `00-${'0'.repeat(32)}-${S}-01`, // zero trace id
    `00-${T}-${'0'.repeat(16)}-01`, // zero span id
    `00-${T.toUpperCase()}-${S}-01`, // upper case
    `00-${T}-${S}-01-x`, // version 00 has no more fields
    `00-${T}-${S}-0g`,
    `00_${T}-${S}-01`,
    `00-${T}-${S}`,
    '',
  ]) {
    assert.equal(parseTraceparent({ traceparent: bad }), undefined, bad);
  }
  assert.equal(parseTraceparent({ traceparent: [`00-${T}-${S}-01`, `00-${T}-${S}-01`] }), undefined, 'repeated header');
});

test('B3 multi-header, single header, sampling-only', () => {
  assert.deepEqual(parseB3({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': 'a'.repeat(16), 'x-b3-sampled': '1' }), { traceId: T, spanId: S, parentId: 'a'.repeat(16), sampled: true });
  assert.deepEqual(parseB3({ 'x-b3-traceid': 'A'.repeat(16), 'x-b3-spanid': S }), { traceId: 'a'.repeat(16), spanId: S, sampled: undefined });
  assert.equal(parseB3({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1', 'x-b3-sampled': '0' })?.sampled, true, 'debug implies sampled');
  assert.deepEqual(parseB3({ b3: `${T}-${S}-1-${'b'.repeat(16)}` }), { traceId: T, spanId: S, sampled: true, parentId: 'b'.repeat(16) });
  assert.deepEqual(parseB3({ b3: `${T}-${S}` }), { traceId: T, spanId: S, sampled: undefined });
  assert.equal(parseB3({ b3: `${T}-${S}-d` })?.sampled, true);
  assert.equal(parseB3({ b3: '0' }), undefined);
  assert.equal(b3SamplingOnly({ b3: '0' }), false);
  assert.equal(b3SamplingOnly({ 'x-b3-sampled': '1' }), true);
  for (const bad of [{ b3: `${T}-${S}-x` }, { b3: `${T}` }, { b3: `${T}-short` }, { 'x-b3-traceid': T }, { 'x-b3-traceid': 'x'.repeat(32), 'x-b3-spanid': S }, { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': 'zz' }]) {
    assert.equal(parseB3(bad as HeaderMap), undefined, JSON.stringify(bad));
  }
});

test('injection: multi-header out (single b3 removed), traceparent out', () => {
  const h: HeaderMap = { b3: `${T}-${S}-1`, 'x-b3-flags': '1' };
  injectB3(h, { traceId: T, spanId: S, parentId: 'c'.repeat(16), sampled: true });
  assert.deepEqual(h, { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': 'c'.repeat(16), 'x-b3-sampled': '1' });
  const w: HeaderMap = {};
  injectTraceparent(w, { traceId: T, spanId: S, sampled: false, tracestate: 'k=v' });
  assert.deepEqual(w, { traceparent: `00-${T}-${S}-00`, tracestate: 'k=v' });
});

const hexId = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex')).filter((s) => !/^0+$/.test(s));
const ctxArb = fc.record({ traceId: hexId(16), spanId: hexId(8), sampled: fc.boolean() });

test('property: inject then parse gives the context back (W3C and B3)', () => {
  fc.assert(
    fc.property(ctxArb, (c) => {
      const w: HeaderMap = {};
      injectTraceparent(w, c);
      const back = parseTraceparent(w);
      assert.deepEqual(back, { traceId: c.traceId, spanId: c.spanId, sampled: c.sampled });
      const b: HeaderMap = {};
      injectB3(b, c);
      assert.deepEqual(parseB3(b), { traceId: c.traceId, spanId: c.spanId, sampled: c.sampled });
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

const headerValue = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF-x '), maxLength: 80 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }));
const names = ['traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'b3'];

test('property: arbitrary header values never throw, and what parses is well-formed', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...names), headerValue), (raw) => {
      const h = raw as HeaderMap;
      for (const c of [parseTraceparent(h), parseB3(h)]) {
        if (c === undefined) continue;
        assert.match(c.traceId, /^([0-9a-f]{16}|[0-9a-f]{32})$/);
        assert.match(c.spanId, /^[0-9a-f]{16}$/);
        if (c.parentId !== undefined) assert.match(c.parentId, /^[0-9a-f]{16}$/);
      }
      b3SamplingOnly(h);
    }),
    { seed: SEED, numRuns: RUNS * 4 },
  );
});

test('property: one mutated character in a valid traceparent never crashes, and parses only if still valid', () => {
  fc.assert(
    fc.property(ctxArb, fc.nat(54), fc.string({ minLength: 1, maxLength: 1 }), (c, at, ch) => {
      const w: HeaderMap = {};
      injectTraceparent(w, c);
      const tp = w.traceparent as string;
      const mutated = tp.slice(0, at) + ch + tp.slice(at + 1);
      const r = parseTraceparent({ traceparent: mutated });
      if (r !== undefined) assert.deepEqual([r.traceId, r.spanId], [mutated.slice(3, 35), mutated.slice(36, 52)]);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});
