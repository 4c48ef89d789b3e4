// Tests: Envoy's sampling decision and the trace bit kept in the x-request-id UUID.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, requestIdDraw, requestIdStatus, withRequestIdStatus } from '../../../src/proxy/tracing/sampling.js';

const all = { clientSampling: 100, randomSampling: 100, overallSampling: 100 };
const none = { clientSampling: 0, randomSampling: 0, overallSampling: 100 };
const RID = '00002710-1234-4abc-9def-0123456789ab'; // first 32 bits: 10000 -> draw 0

test('random sampling: 100% traces, 0% does not, the request id decides the draw', () => {
  assert.equal(decide({}, RID, false, all, () => 0.99, true), 'sampled');
  assert.equal(decide({}, RID, false, none, () => 0, true), 'not_traceable');
  assert.equal(requestIdDraw(RID), 0);
  assert.equal(decide({}, RID, false, { ...none, randomSampling: 0.01 }, () => 0.99, true), 'sampled', 'draw 0 < 1 (0.01% of 10000)');
  const late = '0000270f-1234-4abc-9def-0123456789ab'; // draw 9999
  assert.equal(decide({}, late, false, { ...none, randomSampling: 99.99 }, () => 0, true), 'not_traceable');
  // without the request id, the random source draws
  assert.equal(decide({}, RID, false, { ...none, randomSampling: 50 }, () => 0.7, false), 'not_traceable');
  assert.equal(decide({}, RID, false, { ...none, randomSampling: 50 }, () => 0.2, false), 'sampled');
});

test('forced (internal clients only), client trace id, overall gate', () => {
  assert.equal(decide({ 'x-envoy-force-trace': '1' }, RID, true, none, () => 0.5, true), 'forced');
  assert.equal(decide({ 'x-envoy-force-trace': '1' }, RID, false, none, () => 0.5, true), 'not_traceable');
  assert.equal(decide({ 'x-client-trace-id': 'x' }, RID, false, { ...none, clientSampling: 100 }, () => 0.5, true), 'client');
  assert.equal(decide({}, RID, false, { ...all, overallSampling: 0 }, () => 0.5, true), 'not_traceable');
  assert.equal(decide({ 'x-envoy-force-trace': '1' }, RID, true, { ...all, overallSampling: 0 }, () => 0.5, true), 'forced');
});

test('the decision travels in the request id (character 14)', () => {
  const marked = withRequestIdStatus(RID, 'sampled');
  assert.equal(marked[14], '9');
  assert.equal(requestIdStatus(marked), 'sampled');
  assert.equal(decide({}, marked, false, none, () => 0.99, true), 'sampled', 'a later hop keeps the first decision');
  assert.equal(requestIdStatus(withRequestIdStatus(RID, 'forced')), 'forced');
  assert.equal(requestIdStatus(withRequestIdStatus(RID, 'not_traceable')), undefined);
  assert.equal(withRequestIdStatus('not-a-uuid', 'sampled'), 'not-a-uuid');
});
