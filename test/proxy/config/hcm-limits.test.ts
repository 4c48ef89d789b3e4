// Config: HCM header limits — max_request_headers_kb (Envoy: 1..8192, default 60) and common_http_protocol_options.max_headers_count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/index.js';
import type { HttpConnectionManager } from '../../../src/proxy/config/types.js';
import { HCM, base, errorsOf, set } from './helpers.js';
import '../../all-filters.js';

function hcmOf(mutate: (b: Record<string, unknown>) => void): { hcm?: HttpConnectionManager; errors: string[] } {
  const b = base();
  mutate(b);
  const r = parseBootstrap(b, { baseDir: '/' });
  if (!r.ok) return { errors: errorsOf(r).map((e) => `${e.path}: ${e.message}`) };
  return { hcm: r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as HttpConnectionManager, errors: [] };
}

test('hcm limits: max_request_headers_kb defaults to 60 and accepts 1..8192', () => {
  assert.equal(hcmOf(() => {}).hcm?.max_request_headers_kb, 60);
  for (const kb of [1, 96, 8192, '128']) assert.equal(hcmOf((b) => set(b, `${HCM}.max_request_headers_kb`, kb)).hcm?.max_request_headers_kb, Number(kb));
  for (const kb of [0, 8193, 1.5, -1]) {
    const { errors } = hcmOf((b) => set(b, `${HCM}.max_request_headers_kb`, kb));
    assert.ok(errors.some((e) => e.includes('max_request_headers_kb')), `${kb}: ${errors.join('; ')}`);
  }
});

test('hcm limits: max_headers_count is read from common_http_protocol_options (>= 1)', () => {
  assert.equal(hcmOf((b) => set(b, `${HCM}.common_http_protocol_options`, { max_headers_count: 200 })).hcm?.common_http_protocol_options.max_headers_count, 200);
  assert.ok(hcmOf((b) => set(b, `${HCM}.common_http_protocol_options`, { max_headers_count: 0 })).errors.length > 0);
});
