import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';
import { startPrometheusServer } from '../../../src/proxy/telemetry/prometheus-server.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function app(body: string): Promise<http.Server & { port: number }> {
  const s = http.createServer((req, res) => (req.url === '/metrics' ? res.end(body) : res.writeHead(404).end())) as http.Server & { port: number };
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  s.port = (s.address() as { port: number }).port;
  return s;
}

test('serves every stat in Prometheus text, with the app metrics appended', async () => {
  const store = new StatsStore();
  store.counter('istio_requests_total', ['reporter', 'source']).inc(3);
  store.counter('cluster', ['envoy_cluster_name', 'web'], 'upstream_rq_total').inc();
  const a = await app('# TYPE app_hits counter\napp_hits 5\n');
  const s = await startPrometheusServer({ port: 0, host: '127.0.0.1', stats: async () => store.snapshot(), app: { port: a.port, path: '/metrics' } });
  try {
    const r = await get(s.port, '/stats/prometheus');
    assert.equal(r.status, 200);
    assert.match(r.body, /^istio_requests_total\{reporter="source"\} 3$/m);
    assert.match(r.body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="web"\} 1$/m);
    assert.match(r.body, /^app_hits 5$/m);
    assert.equal((await get(s.port, '/other')).status, 404);
  } finally {
    await s.close();
    a.close();
  }
});

test('an app over the size cap or down is left out; the proxy stats still serve', async () => {
  const store = new StatsStore();
  store.counter('istio_requests_total').inc();
  const a = await app('x'.repeat(5000));
  const s = await startPrometheusServer({ port: 0, host: '127.0.0.1', stats: async () => store.snapshot(), app: { port: a.port, path: '/metrics' }, appMaxBytes: 1000 });
  try {
    const r = await get(s.port, '/stats/prometheus');
    assert.match(r.body, /istio_requests_total 1/);
    assert.doesNotMatch(r.body, /xxxx/);
  } finally {
    await s.close();
    a.close();
  }
});

test('a port in use is reported naming the flag', async () => {
  const s = await startPrometheusServer({ port: 0, host: '127.0.0.1', stats: async () => new StatsStore().snapshot() });
  try {
    await assert.rejects(startPrometheusServer({ port: s.port, host: '127.0.0.1', stats: async () => new StatsStore().snapshot() }), /--prometheus-port \d+ is already in use \(another sidecar on this host\? pass --prometheus-port 0 or a free port\)/);
  } finally {
    await s.close();
  }
});
