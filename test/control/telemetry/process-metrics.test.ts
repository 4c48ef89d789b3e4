// Process metrics: valid Prometheus text under the names Node services export, with this process's real figures,
// and an event-loop delay that shows a blocked loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText } from '../../../src/control/telemetry/prom-text.js';
import { renderProcessMetrics } from '../../../src/control/telemetry/process-metrics.js';

function values(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const prefix of ['process_', 'nodejs_']) for (const s of parsePrometheusText(text, prefix).samples) out.set(s.name, s.value);
  return out;
}

describe('renderProcessMetrics', () => {
  it("reports this process's CPU, memory, start time and descriptors", () => {
    const first = values(renderProcessMetrics());
    const rss = process.memoryUsage().rss;
    const got = (name: string): number => {
      const v = first.get(name);
      assert.ok(v !== undefined, `${name} is exported`);
      return v;
    };
    assert.ok(Math.abs(got('process_resident_memory_bytes') - rss) < rss * 0.2, 'RSS is this process');
    assert.ok(got('process_cpu_seconds_total') > 0);
    assert.ok(Math.abs(got('process_cpu_seconds_total') - got('process_cpu_user_seconds_total') - got('process_cpu_system_seconds_total')) < 1e-6);
    assert.ok(Math.abs(got('process_start_time_seconds') - (Date.now() / 1000 - process.uptime())) < 2);
    assert.ok(got('process_open_fds') > 2);
    assert.ok(got('nodejs_heap_size_used_bytes') <= got('nodejs_heap_size_total_bytes'));
    for (const p of ['mean', 'max', 'p50', 'p90', 'p99']) assert.ok(Number.isFinite(got(`nodejs_eventloop_lag_${p}_seconds`)));
    // CPU time is a counter: spending some raises it
    const t = Date.now();
    while (Date.now() - t < 30);
    assert.ok(values(renderProcessMetrics()).get('process_cpu_seconds_total')! > got('process_cpu_seconds_total'));
  });

  it('shows a blocked event loop in the delay since the last scrape, and only there', async () => {
    renderProcessMetrics();
    await new Promise((r) => setTimeout(r, 50)); // a few samples
    const t = Date.now();
    while (Date.now() - t < 300); // the loop is blocked for 300 ms
    await new Promise((r) => setTimeout(r, 30));
    const blocked = values(renderProcessMetrics()).get('nodejs_eventloop_lag_max_seconds')!;
    assert.ok(blocked >= 0.25, `max delay ${blocked} s after a 300 ms block`);
    await new Promise((r) => setTimeout(r, 100));
    const after = values(renderProcessMetrics()).get('nodejs_eventloop_lag_max_seconds')!;
    assert.ok(after < blocked, `reset at the scrape: ${after} s, not the ${blocked} s before it`);
  });
});
