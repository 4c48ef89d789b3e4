// E2E: load-balancing policies (round robin, weights, least request, ring hash, maglev, priorities, localities) through `trellis proxy -c`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminGet,
  countBy,
  deadPort,
  httpBootstrap,
  request,
  requestMany,
  startProxy,
  startUpstream,
  staticCluster,
  waitFor,
  type RunningProxy,
  type Upstream,
} from './harness.js';

let proxy: RunningProxy;
let port: number;
let ups: Upstream[] = [];
let a: Upstream, b: Upstream, c: Upstream, fast: Upstream, slow: Upstream;

const sock = (p: number): object => ({ address: { socket_address: { address: '127.0.0.1', port_value: p } } });

before(async () => {
  ups = await Promise.all(['a', 'b', 'c', 'fast'].map((n) => startUpstream(n)));
  [a, b, c, fast] = ups;
  slow = await startUpstream('slow', (req, res) => {
    setTimeout(() => {
      res.setHeader('x-upstream', 'slow');
      res.end('slow');
    }, 300);
  });
  ups.push(slow);
  const dead = await deadPort();
  const hc = {
    timeout: '1s',
    interval: '0.1s',
    no_traffic_interval: '0.1s',
    unhealthy_threshold: 1,
    healthy_threshold: 1,
    http_health_check: { path: '/' },
  };
  const route = (prefix: string, r: object): object => ({ match: { prefix }, route: r });
  proxy = await startProxy(
    httpBootstrap({
      clusters: [
        staticCluster('rr', [a.port, b.port, c.port]),
        {
          name: 'weighted',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'weighted',
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: sock(a.port), load_balancing_weight: 1 },
                  { endpoint: sock(b.port), load_balancing_weight: 2 },
                  { endpoint: sock(c.port), load_balancing_weight: 3 },
                ],
              },
            ],
          },
        },
        staticCluster('lr', [fast.port, slow.port], { lb_policy: 'LEAST_REQUEST' }),
        staticCluster('ring', [a.port, b.port, c.port], { lb_policy: 'RING_HASH' }),
        staticCluster('maglev', [a.port, b.port, c.port], { lb_policy: 'MAGLEV' }),
        {
          name: 'prio',
          type: 'STATIC',
          connect_timeout: '1s',
          health_checks: [hc],
          load_assignment: {
            cluster_name: 'prio',
            endpoints: [
              { priority: 0, lb_endpoints: [{ endpoint: sock(dead) }] },
              { priority: 1, lb_endpoints: [{ endpoint: sock(b.port) }] },
            ],
          },
        },
        {
          name: 'prio_ok',
          type: 'STATIC',
          connect_timeout: '1s',
          health_checks: [hc],
          load_assignment: {
            cluster_name: 'prio_ok',
            endpoints: [
              { priority: 0, lb_endpoints: [{ endpoint: sock(a.port) }] },
              { priority: 1, lb_endpoints: [{ endpoint: sock(b.port) }] },
            ],
          },
        },
        {
          name: 'locality',
          type: 'STATIC',
          connect_timeout: '1s',
          common_lb_config: { locality_weighted_lb_config: {} },
          load_assignment: {
            cluster_name: 'locality',
            endpoints: [
              { locality: { region: 'r', zone: 'z1' }, load_balancing_weight: 1, lb_endpoints: [{ endpoint: sock(a.port) }] },
              { locality: { region: 'r', zone: 'z2' }, load_balancing_weight: 3, lb_endpoints: [{ endpoint: sock(b.port) }] },
            ],
          },
        },
      ],
      routeConfig: {
        name: 'local',
        virtual_hosts: [
          {
            name: 'lb',
            domains: ['*'],
            routes: [
              route('/rr', { cluster: 'rr' }),
              route('/weighted', { cluster: 'weighted' }),
              route('/lr', { cluster: 'lr' }),
              route('/ring', { cluster: 'ring', hash_policy: [{ header: { header_name: 'x-user' } }] }),
              route('/maglev', { cluster: 'maglev', hash_policy: [{ header: { header_name: 'x-user' } }] }),
              route('/prio-ok', { cluster: 'prio_ok' }),
              route('/prio', { cluster: 'prio' }),
              route('/locality', { cluster: 'locality' }),
            ],
          },
        ],
      },
    }),
  );
  port = proxy.listeners.get('ingress')!;
});

after(async () => {
  await proxy?.stop();
  await Promise.all(ups.map((u) => u.close()));
});

const get = (p: string, headers: Record<string, string> = {}) => request(port, { path: p, headers });

test('ROUND_ROBIN over 3 hosts rotates exactly', async () => {
  const seq = (await requestMany(30, 1, () => get('/rr'))).map((r) => String(r.headers['x-upstream']));
  assert.deepEqual([...seq.slice(0, 3)].sort(), ['a', 'b', 'c'], seq.join(','));
  for (let i = 3; i < seq.length; i++) assert.equal(seq[i], seq[i % 3], `position ${i}: ${seq.join(',')}`);
});

test('endpoint load_balancing_weight 1,2,3 gives 1/6, 1/3, 1/2', async () => {
  const n = 600;
  const counts = countBy(await requestMany(n, 10, () => get('/weighted')));
  // Weighted round robin is deterministic; allow a little slack anyway.
  assert.ok(Math.abs((counts.a ?? 0) / n - 1 / 6) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs((counts.b ?? 0) / n - 1 / 3) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs((counts.c ?? 0) / n - 1 / 2) < 0.02, JSON.stringify(counts));
});

test('LEAST_REQUEST keeps traffic off the host with requests in flight', async () => {
  const n = 40;
  const counts = countBy(await requestMany(n, 5, () => get('/lr')));
  assert.equal((counts.fast ?? 0) + (counts.slow ?? 0), n);
  // Round robin would send half (20) to the slow host; least request only picks it when it is idle.
  assert.ok((counts.slow ?? 0) <= 6, JSON.stringify(counts));
});

for (const policy of ['ring', 'maglev'] as const) {
  test(`${policy === 'ring' ? 'RING_HASH' : 'MAGLEV'} with a header hash_policy: one user, one host; users spread`, async () => {
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const hostOf = new Map<string, string>();
    for (let round = 0; round < 4; round++) {
      const replies = await Promise.all(users.map((u) => get(`/${policy}`, { 'x-user': u })));
      replies.forEach((r, i) => {
        const h = String(r.headers['x-upstream']);
        const prev = hostOf.get(users[i]);
        if (prev === undefined) hostOf.set(users[i], h);
        else assert.equal(h, prev, `${users[i]} moved from ${prev} to ${h}`);
      });
    }
    assert.deepEqual([...new Set(hostOf.values())].sort(), ['a', 'b', 'c'], JSON.stringify([...hostOf]));
  });
}

test('priority failover: P0 failing its health check sends traffic to P1; a healthy P0 takes it all', async () => {
  await waitFor(async () => /^prio::127\.0\.0\.1:\d+::health_flags::\/failed_active_hc/m.test((await adminGet(proxy.adminPort, '/clusters')).body), 3000, 'P0 failed');
  await waitFor(async () => /^prio_ok::127\.0\.0\.1:\d+::health_flags::healthy/m.test((await adminGet(proxy.adminPort, '/clusters')).body), 3000, 'prio_ok healthy');
  const failover = countBy(await requestMany(20, 4, () => get('/prio')));
  assert.deepEqual(failover, { b: 20 });
  const normal = countBy(await requestMany(20, 4, () => get('/prio-ok')));
  assert.deepEqual(normal, { a: 20 });
});

test('locality weights 1:3 split traffic 1/4, 3/4', async () => {
  const n = 400;
  const counts = countBy(await requestMany(n, 10, () => get('/locality')));
  assert.ok(Math.abs((counts.a ?? 0) / n - 1 / 4) < 0.03, JSON.stringify(counts));
  assert.ok(Math.abs((counts.b ?? 0) / n - 3 / 4) < 0.03, JSON.stringify(counts));
});
