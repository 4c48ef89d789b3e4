// Tests: active HTTP and TCP health checks against real local sockets, with Envoy's thresholds.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { ClusterImpl } from '../../../src/proxy/upstream/cluster.js';
import { clusterConfig, fakeLb, httpCheck, lbEndpoint, locality, waitFor } from './fixtures.js';
import { FakeStats } from './fake-stats.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

// Checks run every 100 ms (200 ms when one hangs until its timeout): a poll every 1 ms sees each check's effect well
// before the next check, even on a loaded machine.
test('HTTP check: healthy after first pass, 503 fails at once, M passes to recover, N timeouts to fail', async () => {
  let mode: 'ok' | '503' | 'hang' = 'ok';
  const seen: { host?: string; url?: string; ua?: string } = {};
  const server = http.createServer((req, res) => {
    seen.host = req.headers.host;
    seen.url = req.url;
    seen.ua = req.headers['user-agent'];
    if (mode === 'hang') return; // never answers: the check times out (a network failure)
    res.statusCode = mode === 'ok' ? 200 : 503;
    res.end();
  });
  const port = await listen(server);
  const stats = new FakeStats();
  const cfg = clusterConfig('web', { health_checks: [httpCheck('/healthz', { timeout: 100, interval: 100, unhealthy_threshold: 3, healthy_threshold: 2 })] }, [
    locality('a', [lbEndpoint('127.0.0.1', port)]),
  ]);
  cfg.health_checks[0]!.checker = { ...cfg.health_checks[0]!.checker, host: 'web.internal' } as typeof cfg.health_checks[0]['checker'];
  const c = new ClusterImpl(cfg, { stats, lbFactory: fakeLb() });
  const h = c.prioritySet()[0]!.hosts[0]!;
  const stat = (n: string): number => stats.get(`cluster.web.health_check.${n}`) ?? 0;
  try {
    assert.equal(h.health, 'unhealthy', 'hosts start failed until the first check passes');
    assert.equal(c.chooseHost({ attempt: 0 }), null);
    await c.ready();
    assert.equal(h.health, 'healthy');
    assert.equal(c.chooseHost({ attempt: 0 }), h);
    assert.deepEqual(seen, { host: 'web.internal', url: '/healthz', ua: 'Envoy/HC' });
    assert.equal(stat('healthy'), 1);

    mode = '503';
    const f0 = stat('failure');
    await waitFor(() => h.health === 'unhealthy', 3000, 1);
    assert.equal(stat('failure'), f0 + 1, 'an unexpected status fails the host at once');
    assert.equal(stat('healthy'), 0);
    assert.equal(stats.get('cluster.web.membership_healthy'), 0);

    mode = 'ok';
    const s0 = stat('success');
    await waitFor(() => stat('success') >= s0 + 1, 3000, 1);
    assert.equal(h.health, 'unhealthy', 'one pass is not enough after the first check');
    await waitFor(() => h.health === 'healthy', 3000, 1);
    assert.equal(stat('success'), s0 + 2);

    mode = 'hang';
    const n0 = stat('network_failure');
    await waitFor(() => stat('network_failure') >= n0 + 2, 3000, 1);
    assert.equal(h.health, 'healthy', 'network failures need unhealthy_threshold');
    await waitFor(() => h.health === 'unhealthy', 3000, 1);
    assert.equal(stat('network_failure'), n0 + 3);
    assert.ok(stat('attempt') >= stat('success') + stat('failure'));
  } finally {
    c.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('HTTP check honours expected_statuses and health_check_config.port_value', async () => {
  const server = http.createServer((_req, res) => {
    res.statusCode = 204;
    res.end();
  });
  const port = await listen(server);
  const check = httpCheck('/');
  check.checker = { ...check.checker, expected_statuses: [{ start: 200, end: 300 }] } as typeof check.checker;
  const c = new ClusterImpl(
    clusterConfig('web', { health_checks: [check] }, [locality('a', [lbEndpoint('127.0.0.1', 1, { endpoint: { address: { socket_address: { protocol: 'TCP', address: '127.0.0.1', port_value: 1 } }, health_check_config: { port_value: port } } })])]),
    { stats: new FakeStats(), lbFactory: fakeLb() },
  );
  try {
    await c.ready();
    assert.equal(c.prioritySet()[0]!.hosts[0]!.health, 'healthy');
  } finally {
    c.close();
    await new Promise((r) => server.close(r));
  }
});

test('TCP check against a closed port keeps the host unhealthy', async () => {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise((r) => probe.close(r));
  const stats = new FakeStats();
  const check = { ...httpCheck('/'), checker: { kind: 'tcp' as const, receive: [] } };
  const c = new ClusterImpl(clusterConfig('db', { health_checks: [check] }, [locality('a', [lbEndpoint('127.0.0.1', port)])]), { stats, lbFactory: fakeLb() });
  try {
    await c.ready();
    await waitFor(() => (stats.get('cluster.db.health_check.network_failure') ?? 0) >= 2);
    assert.equal(c.prioritySet()[0]!.hosts[0]!.health, 'unhealthy');
    assert.equal(c.chooseHost({ attempt: 0 }), null);
    assert.equal(stats.get('cluster.db.health_check.success'), 0);
  } finally {
    c.close();
  }
});

test('TCP check with send/receive passes only when the reply contains the blocks in order', async () => {
  let reply = 'xxPONGyyOK';
  const server = net.createServer((s) => {
    s.on('data', (d) => {
      if (d.toString() === 'PING') s.end(reply);
    });
    s.on('error', () => {});
  });
  const port = await listen(server);
  const check = { ...httpCheck('/'), checker: { kind: 'tcp' as const, send: Buffer.from('PING'), receive: [Buffer.from('PONG'), Buffer.from('OK')] } };
  const stats = new FakeStats();
  const c = new ClusterImpl(clusterConfig('tcp', { health_checks: [check] }, [locality('a', [lbEndpoint('127.0.0.1', port)])]), { stats, lbFactory: fakeLb() });
  const h = c.prioritySet()[0]!.hosts[0]!;
  try {
    await c.ready();
    assert.equal(h.health, 'healthy');
    reply = 'OK PONG'; // wrong order: connection closes without a match
    await waitFor(() => h.health === 'unhealthy');
  } finally {
    c.close();
    server.close();
  }
});

test('a host removed from EDS stays while it passes health checks, and goes once it fails', async () => {
  let status = 200;
  const server = http.createServer((_req, res) => {
    res.statusCode = status;
    res.end();
  });
  const port = await listen(server);
  const c = new ClusterImpl(clusterConfig('eds', { type: 'EDS', load_assignment: undefined, health_checks: [httpCheck('/')] }), { stats: new FakeStats(), lbFactory: fakeLb() });
  const cla = (ports: number[]) => ({ cluster_name: 'eds', endpoints: [locality('a', ports.map((p) => lbEndpoint('127.0.0.1', p)))], policy: { overprovisioning_factor: 140, drop_overloads: [] } });
  try {
    c.setLoadAssignment(cla([port]));
    await c.ready();
    c.setLoadAssignment(cla([]));
    assert.equal(c.hosts().length, 1, 'still passing: kept');
    status = 500;
    await waitFor(() => c.hosts().length === 0);
    assert.equal(c.prioritySet().every((s) => s.hosts.length === 0), true);
  } finally {
    c.close();
    await new Promise((r) => server.close(r));
  }
});
