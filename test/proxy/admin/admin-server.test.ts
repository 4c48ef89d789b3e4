// Admin tests: every admin endpoint over real HTTP against a fake AdminSource.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startAdminServer, type AdminSource, type ClusterStatus } from '../../../src/proxy/admin/admin-server.js';
import { StatsStore } from '../../../src/proxy/telemetry/stats-store.js';

interface Res {
  status: number;
  type: string;
  body: string;
}

function call(port: number, method: string, path: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const CLUSTERS: ClusterStatus[] = [
  {
    name: 'web',
    observabilityName: 'web',
    addedViaApi: false,
    circuitBreakers: [
      { priority: 'DEFAULT', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
      { priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 },
    ],
    outlier: { successRateAverage: -1, successRateEjectionThreshold: -1 },
    hosts: [
      {
        address: '127.0.0.1',
        port: 19001,
        hostname: '',
        weight: 3,
        priority: 0,
        locality: { region: 'r1', zone: 'z1', sub_zone: '' },
        healthFlags: 'healthy',
        edsHealthStatus: 'HEALTHY',
        failedActiveHealthCheck: false,
        failedOutlierCheck: false,
        ejected: false,
        stats: { cx_total: 2, cx_active: 1, cx_connect_fail: 0, rq_total: 5, rq_timeout: 0, rq_success: 4, rq_error: 1, rq_active: 0 },
        successRate: -1,
      },
    ],
  },
];

function fakeSource(): AdminSource & { quits: number; ready_: boolean; hc: boolean[] } {
  const store = new StatsStore();
  const web = store.scope('cluster', ['envoy_cluster_name', 'web']);
  web.counter('upstream_rq_total').inc(5);
  web.counter('upstream_rq', ['envoy_response_code', '200']).inc(4);
  web.histogram('upstream_rq_time').record(12);
  store.counter('unused_counter');
  const src = {
    quits: 0,
    ready_: true,
    hc: [] as boolean[],
    stats: async () => store.snapshot(),
    clusters: () => CLUSTERS,
    configDump: () => ({ bootstrap: { node: { id: 'n1' }, secret: { private_key: 'PEM', big: 10n } } }),
    serverInfo: () => ({ version: 'trellis/0.1.0', command_line_options: { concurrency: 2 }, node: { id: 'n1' }, uptime_current_epoch: '7s' }),
    ready: () => src.ready_,
    quit: async () => {
      src.quits++;
    },
    setHealthCheckFailed: (f: boolean) => void src.hc.push(f),
  };
  return src;
}

test('admin endpoints over HTTP', async (t) => {
  const source = fakeSource();
  const admin = await startAdminServer({ address: '127.0.0.1', port: 0, source });
  t.after(() => admin.close());
  const port = admin.port;
  assert.ok(port > 0);

  await t.test('/ lists endpoints, unknown path 404', async () => {
    const r = await call(port, 'GET', '/');
    assert.equal(r.status, 200);
    for (const p of ['/stats/prometheus', '/clusters', '/quitquitquit', '/ready', '/server_info', '/config_dump']) assert.ok(r.body.includes(`${p}:`), p);
    assert.equal((await call(port, 'GET', '/nope')).status, 404);
  });

  await t.test('/ready and /healthcheck/fail|ok', async () => {
    let r = await call(port, 'GET', '/ready');
    assert.deepEqual([r.status, r.body], [200, 'LIVE\n']);
    assert.equal((await call(port, 'GET', '/healthcheck/fail')).status, 405);
    r = await call(port, 'POST', '/healthcheck/fail');
    assert.deepEqual([r.status, r.body], [200, 'OK\n']);
    r = await call(port, 'GET', '/ready');
    assert.deepEqual([r.status, r.body], [503, 'DRAINING\n']);
    const info = JSON.parse((await call(port, 'GET', '/server_info')).body) as { state: string };
    assert.equal(info.state, 'DRAINING');
    await call(port, 'POST', '/healthcheck/ok');
    assert.equal((await call(port, 'GET', '/ready')).status, 200);
    assert.deepEqual(source.hc, [true, false]);
  });

  await t.test('/server_info', async () => {
    const r = await call(port, 'GET', '/server_info');
    assert.equal(r.status, 200);
    assert.match(r.type, /application\/json/);
    const info = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(info.version, 'trellis/0.1.0');
    assert.equal(info.state, 'LIVE');
    assert.equal(info.uptime_current_epoch, '7s');
    assert.equal(info.uptime_all_epochs, '7s');
    assert.deepEqual(info.command_line_options, { concurrency: 2 });
    assert.deepEqual(info.node, { id: 'n1' });
  });

  await t.test('/config_dump redacts private keys and handles bigint', async () => {
    const r = await call(port, 'GET', '/config_dump');
    const j = JSON.parse(r.body) as { bootstrap: { secret: { private_key: string; big: string } } };
    assert.equal(j.bootstrap.secret.private_key, '[redacted]');
    assert.equal(j.bootstrap.secret.big, '10');
  });

  await t.test('/clusters text and json', async () => {
    const r = await call(port, 'GET', '/clusters');
    const lines = r.body.split('\n');
    for (const l of [
      'web::observability_name::web',
      'web::default_priority::max_connections::1024',
      'web::high_priority::max_retries::3',
      'web::added_via_api::false',
      'web::outlier::success_rate_average::-1',
      'web::127.0.0.1:19001::cx_active::1',
      'web::127.0.0.1:19001::rq_total::5',
      'web::127.0.0.1:19001::rq_error::1',
      'web::127.0.0.1:19001::health_flags::healthy',
      'web::127.0.0.1:19001::weight::3',
      'web::127.0.0.1:19001::region::r1',
      'web::127.0.0.1:19001::zone::z1',
      'web::127.0.0.1:19001::sub_zone::',
      'web::127.0.0.1:19001::priority::0',
      'web::127.0.0.1:19001::success_rate::-1',
    ]) {
      assert.ok(lines.includes(l), `missing line ${l}`);
    }
    const j = JSON.parse((await call(port, 'GET', '/clusters?format=json')).body) as {
      cluster_statuses: { name: string; host_statuses: { address: { socket_address: { port_value: number } }; stats: { name: string; value: string }[]; health_status: { eds_health_status: string } }[] }[];
    };
    const h = j.cluster_statuses[0].host_statuses[0];
    assert.equal(j.cluster_statuses[0].name, 'web');
    assert.equal(h.address.socket_address.port_value, 19001);
    assert.equal(h.health_status.eds_health_status, 'HEALTHY');
    assert.equal(h.stats.find((s) => s.name === 'rq_total')?.value, '5');
  });

  await t.test('/stats text, filter, usedonly, json; server.* stats', async () => {
    const r = await call(port, 'GET', '/stats');
    assert.equal(r.status, 200);
    assert.ok(r.body.includes('cluster.web.upstream_rq_total: 5\n'));
    assert.ok(r.body.includes('cluster.web.upstream_rq_200: 4\n'));
    assert.ok(r.body.includes('server.concurrency: 2\n'));
    assert.ok(r.body.includes('server.uptime: 7\n'));
    assert.ok(r.body.includes('server.live: 1\n'));
    assert.ok(r.body.includes('server.version: 100\n'));
    assert.match(r.body, /server\.memory_allocated: \d+\n/);
    assert.match(r.body, /cluster\.web\.upstream_rq_time: P0\(nan,12\)/);
    assert.ok(r.body.includes('unused_counter: 0\n'));
    const used = await call(port, 'GET', '/stats?usedonly');
    assert.ok(!used.body.includes('unused_counter'));
    const f = await call(port, 'GET', `/stats?filter=${encodeURIComponent('upstream_rq_\\d+')}`);
    assert.equal(f.body, 'cluster.web.upstream_rq_200: 4\n');
    assert.equal((await call(port, 'GET', '/stats?filter=(')).status, 400);
    const j = JSON.parse((await call(port, 'GET', '/stats?format=json')).body) as { stats: { name?: string; value?: number }[] };
    assert.ok(j.stats.some((s) => s.name === 'cluster.web.upstream_rq_total' && s.value === 5));
  });

  await t.test('/stats/prometheus', async () => {
    const r = await call(port, 'GET', '/stats/prometheus');
    assert.equal(r.status, 200);
    assert.equal(r.type, 'text/plain; version=0.0.4');
    assert.ok(r.body.includes('# TYPE envoy_cluster_upstream_rq_total counter\n'));
    assert.ok(r.body.includes('envoy_cluster_upstream_rq{envoy_cluster_name="web",envoy_response_code="200"} 4\n'));
    assert.ok(r.body.includes('envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="web",le="+Inf"} 1\n'));
    assert.ok(r.body.includes('# TYPE envoy_server_live gauge\n'));
    const alt = await call(port, 'GET', '/stats?format=prometheus&usedonly');
    assert.ok(!alt.body.includes('unused_counter'));
  });

  await t.test('/memory', async () => {
    const j = JSON.parse((await call(port, 'GET', '/memory')).body) as Record<string, string>;
    assert.match(j.allocated, /^\d+$/);
    assert.match(j.total_physical_bytes, /^\d+$/);
  });

  await t.test('/quitquitquit needs POST, then replies OK and calls quit()', async () => {
    const g = await call(port, 'GET', '/quitquitquit');
    assert.equal(g.status, 405);
    assert.equal(g.body, 'Method GET not allowed, POST required.\n');
    assert.equal(source.quits, 0);
    const p = await call(port, 'POST', '/quitquitquit');
    assert.deepEqual([p.status, p.body], [200, 'OK\n']);
    await new Promise((r) => setImmediate(r));
    assert.equal(source.quits, 1);
  });
});

test('/ready: 503 PRE_INITIALIZING before the source is ready, DRAINING once it stops being ready', async () => {
  const source = fakeSource();
  source.ready_ = false;
  const admin = await startAdminServer({ address: '127.0.0.1', port: 0, source });
  try {
    assert.equal((await call(admin.port, 'GET', '/ready')).status, 503);
    assert.equal((await call(admin.port, 'GET', '/ready')).body, 'PRE_INITIALIZING\n');
    source.ready_ = true;
    assert.equal((await call(admin.port, 'GET', '/ready')).body, 'LIVE\n');
    source.ready_ = false;
    assert.equal((await call(admin.port, 'GET', '/ready')).body, 'DRAINING\n');
    const stats = (await call(admin.port, 'GET', '/stats?filter=server.live')).body;
    assert.equal(stats, 'server.live: 0\n');
  } finally {
    await admin.close();
  }
});

test('a taken admin port is reported by --admin-port, with how to fix it', async () => {
  const first = await startAdminServer({ address: '127.0.0.1', port: 0, source: fakeSource() });
  try {
    await assert.rejects(startAdminServer({ address: '127.0.0.1', port: first.port, source: fakeSource() }), {
      message: `--admin-port ${first.port} is already in use (another sidecar on this host? pass --admin-port 0 or a free port)`,
    });
  } finally {
    await first.close();
  }
});
