// Unit: demo/traffic — what one window of product page loads sums up to, and the generator's timers (fake).
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { emptyWindow, record, startTraffic, summary } from '../../src/demo/traffic.js';

const PAGE = (v: string, extra = ''): string => `<p>Reviews served by: <b>reviews-${v}</b></p>${extra}`;

test('a window counts statuses, reviews versions and backends the page says were unavailable', () => {
  const w = emptyWindow();
  record(w, 200, PAGE('v1'));
  record(w, 200, PAGE('v3', '<p>details unavailable (HTTP 503)</p>'));
  record(w, 200, '<p>reviews unavailable (HTTP 403)</p>');
  record(w, 'ECONNREFUSED', '');
  assert.equal(summary(w, 10), 'traffic: 4 requests in 10s — 200: 3, ECONNREFUSED: 1 · reviews-v1 1, reviews-v3 1 · unavailable on the page: details 1, reviews 1');
  assert.equal(summary(emptyWindow(), 10), 'traffic: no requests in 10s');
});

test('the generator reports every period and stops its timers', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const lines: string[] = [];
    // a port nothing listens on: requests fail asynchronously, after the report under test
    const g = startTraffic('http://127.0.0.1:9/productpage', 2, 10_000, (l) => lines.push(l));
    mock.timers.tick(10_000);
    assert.deepEqual(lines, ['traffic: no requests in 10s']);
    g.stop();
    mock.timers.tick(30_000);
    assert.equal(lines.length, 1);
  } finally {
    mock.timers.reset();
  }
});
