// Unit: the Prometheus text reader — Istio series read with escapes, everything else skipped, limits kept, garbage never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePrometheusText, parseSampleLine } from '../../../src/control/telemetry/prom-text.js';

test('istio_* samples with labels, escapes, +Inf and timestamps; comments and other series skipped', () => {
  const text = [
    '# HELP istio_requests_total Total requests.',
    '# TYPE istio_requests_total counter',
    'istio_requests_total{reporter="destination",source_workload="a\\"b",response_code="200"} 12 1700000000000',
    'istio_request_duration_milliseconds_bucket{le="+Inf",x="line\\nbreak"} 3',
    'envoy_cluster_upstream_rq{envoy_cluster_name="x"} 5',
    'istio_tcp_sent_bytes_total 42',
    'istio_bad{unterminated="x} 1',
    'istio_nan_value NaN',
    '',
  ].join('\n');
  const { samples, truncated } = parsePrometheusText(text, 'istio_');
  assert.equal(truncated, false);
  assert.deepEqual(samples.map((s) => [s.name, { ...s.labels }, s.value]), [
    ['istio_requests_total', { reporter: 'destination', source_workload: 'a"b', response_code: '200' }, 12],
    ['istio_request_duration_milliseconds_bucket', { le: '+Inf', x: 'line\nbreak' }, 3],
    ['istio_tcp_sent_bytes_total', {}, 42],
  ]);
});

test('limits: series beyond the cap are cut (and said), too many labels or too long a line skip the line', () => {
  const many = Array.from({ length: 10 }, (_, i) => `istio_x{i="${i}"} 1`).join('\n');
  const r = parsePrometheusText(many, 'istio_', { maxSeries: 3, maxLabels: 40, maxLineLength: 1000 });
  assert.equal(r.samples.length, 3);
  assert.equal(r.truncated, true);
  assert.equal(parseSampleLine(`istio_x{${Array.from({ length: 5 }, (_, i) => `l${i}="v"`).join(',')}} 1`, 4), undefined);
  assert.equal(parsePrometheusText(`istio_x{a="${'v'.repeat(2000)}"} 1`, 'istio_', { maxSeries: 10, maxLabels: 4, maxLineLength: 100 }).samples.length, 0);
});

test('property: any text parses without throwing, and every sample read has a finite-or-infinite number and string labels', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (junk) => {
      const { samples } = parsePrometheusText(`istio_${junk}\n${junk}\nistio_a{b="${junk}"} 1\n`, 'istio_');
      for (const s of samples) {
        assert.equal(typeof s.value, 'number');
        assert.ok(!Number.isNaN(s.value));
        for (const v of Object.values(s.labels)) assert.equal(typeof v, 'string');
      }
    }),
    { numRuns: 500 },
  );
});

test('property: a line written from labels reads back the same labels', () => {
  const label = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/);
  fc.assert(
    fc.property(fc.dictionary(label, fc.string({ maxLength: 20 }), { maxKeys: 8 }), fc.nat(), (labels, n) => {
      const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
      const line = `istio_m{${Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}} ${n}`;
      const s = parseSampleLine(line, 40);
      assert.ok(s !== undefined, line);
      assert.deepEqual(Object.entries(s.labels).sort(), Object.entries(labels).sort());
      assert.equal(s.value, n);
    }),
  );
});
