// UDP proxy runtime: sessions per downstream address over real 127.0.0.1 datagram sockets (both directions, stats),
// the circuit breaker bound, no route / no healthy host, oversized upstream datagrams, source-IP hashing, a session
// moved off an unhealthy host, and the idle timeout with fake timers.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { UdpProxyFilter } from '../../../src/proxy/udp/udp-proxy.js';
import { UdpSession } from '../../../src/proxy/udp/session.js';
import { udpClusterStats, udpDownstreamStats } from '../../../src/proxy/udp/stats.js';
import type { UdpProxyConfig } from '../../../src/proxy/udp/types.js';
import type { ClusterManager, Host, PickContext, UpstreamCluster } from '../../../src/proxy/upstream/types.js';
import { xxhash64 } from '../../../src/common/hash.js';
import { FakeStats } from '../upstream/fake-stats.js';

function host(port: number): Host {
  return {
    address: '127.0.0.1', port, key: `127.0.0.1:${port}`, hostname: '', weight: 1, locality: { region: '', zone: '', sub_zone: '' }, priority: 0,
    activeRequests: 0, health: 'healthy', ejected: false, stats: { rq_total: 0, rq_success: 0, rq_error: 0, rq_timeout: 0, cx_total: 0, cx_active: 0, cx_connect_fail: 0 },
  };
}

class FakeCluster {
  readonly picks: PickContext[] = [];
  open = 0;
  constructor(
    readonly stats: FakeStats,
    public hosts: Host[],
    private readonly maxConnections = 1024,
  ) {}
  readonly name = 'up';
  readonly breakers = {
    tryOpenConnection: (): boolean => {
      if (this.open >= this.maxConnections) {
        this.stats.counter('upstream_cx_overflow').inc();
        return false;
      }
      this.open++;
      return true;
    },
    closeConnection: (): void => void this.open--,
  };
  chooseHost(ctx: PickContext): Host | null {
    this.picks.push(ctx);
    return this.hosts.find((h) => h.health === 'healthy') ?? null;
  }
}

/** A UDP server that answers every datagram with `reply(msg)`. */
async function upstream(reply: (m: Buffer) => Buffer = (m) => Buffer.concat([Buffer.from('re:'), m])): Promise<{ port: number; seen: string[]; sock: dgram.Socket }> {
  const sock = dgram.createSocket('udp4');
  const seen: string[] = [];
  sock.on('message', (m, r) => {
    seen.push(`${r.port}:${m.toString()}`);
    sock.send(reply(m), r.port, r.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { port: sock.address().port, seen, sock };
}

interface Rig {
  proxy: UdpProxyFilter;
  stats: FakeStats;
  cluster: FakeCluster;
  listen: dgram.Socket;
  port: number;
  close(): void;
}

async function rig(config: Partial<UdpProxyConfig>, hosts: Host[], maxConnections?: number, clusterName = 'up'): Promise<Rig> {
  const stats = new FakeStats();
  const cluster = new FakeCluster(stats.scope('cluster', 'up') as FakeStats, hosts, maxConnections);
  const clusters = { get: (n: string) => (n === clusterName ? (cluster as unknown as UpstreamCluster) : undefined) } as ClusterManager;
  const listen = dgram.createSocket('udp4');
  listen.bind(0, '127.0.0.1');
  await once(listen, 'listening');
  const proxy = new UdpProxyFilter({ stat_prefix: 'u', cluster: 'up', idle_timeout: 60_000, max_upstream_rx_datagram_size: 1500, ...config }, {
    clusters,
    stats,
    send: (m, port, address, cb) => listen.send(m, port, address, cb),
  });
  listen.on('message', (data, r) => proxy.onDatagram({ data, address: r.address, port: r.port }));
  return { proxy, stats, cluster, listen, port: listen.address().port, close: () => (proxy.closeAll(), listen.close()) };
}

async function client(): Promise<{ sock: dgram.Socket; got: string[] }> {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { sock, got };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('udp proxy: one session per downstream address, each with its own upstream socket; datagrams both ways, Envoy stats', async () => {
  const up = await upstream();
  const r = await rig({}, [host(up.port)]);
  const a = await client();
  const b = await client();
  a.sock.send('a1', r.port, '127.0.0.1');
  await until(() => a.got.length === 1, 'reply to a');
  a.sock.send('a2', r.port, '127.0.0.1');
  b.sock.send('b1', r.port, '127.0.0.1');
  await until(() => a.got.length === 2 && b.got.length === 1, 'replies');
  assert.deepEqual(a.got, ['re:a1', 're:a2']);
  assert.deepEqual(b.got, ['re:b1']);
  const ports = new Set(up.seen.map((s) => s.split(':')[0]));
  assert.equal(ports.size, 2, 'two sessions, two upstream source ports');
  assert.equal(r.proxy.sessionCount, 2);
  const s = r.stats;
  assert.equal(s.get('udp.u.downstream_sess_total'), 2);
  assert.equal(s.get('udp.u.downstream_sess_active'), 2);
  assert.equal(s.get('udp.u.downstream_sess_rx_datagrams'), 3);
  assert.equal(s.get('udp.u.downstream_sess_rx_bytes'), 6);
  assert.equal(s.get('udp.u.downstream_sess_tx_datagrams'), 3);
  assert.equal(s.get('udp.u.downstream_sess_tx_bytes'), 15);
  assert.equal(s.get('cluster.up.udp.sess_tx_datagrams'), 3);
  assert.equal(s.get('cluster.up.udp.sess_rx_datagrams'), 3);
  assert.equal(s.get('cluster.up.upstream_cx_tx_bytes_total'), 6);
  r.close();
  assert.equal(s.get('udp.u.downstream_sess_active'), 0);
  assert.equal(r.cluster.open, 0, 'circuit breaker released');
  for (const x of [a.sock, b.sock, up.sock]) x.close();
});

test('udp proxy: the max_connections circuit breaker bounds sessions; the overflow is counted', async () => {
  const up = await upstream();
  const r = await rig({}, [host(up.port)], 1);
  const a = await client();
  const b = await client();
  a.sock.send('a', r.port, '127.0.0.1');
  await until(() => a.got.length === 1, 'reply to a');
  b.sock.send('b', r.port, '127.0.0.1');
  await until(() => r.stats.get('udp.u.downstream_sess_rx_datagrams') === 2, 'b received');
  assert.equal(r.proxy.sessionCount, 1);
  assert.equal(r.stats.get('cluster.up.upstream_cx_overflow'), 1);
  r.close();
  for (const x of [a.sock, b.sock, up.sock]) x.close();
});

test('udp proxy: no cluster counts downstream_sess_no_route; no healthy host counts upstream_cx_none_healthy', async () => {
  const noRoute = await rig({ cluster: 'missing' }, []);
  noRoute.proxy.onDatagram({ data: Buffer.from('x'), address: '127.0.0.1', port: 9 });
  assert.equal(noRoute.stats.get('udp.u.downstream_sess_no_route'), 1);
  noRoute.close();
  const sick = host(9);
  sick.health = 'unhealthy';
  const none = await rig({}, [sick]);
  none.proxy.onDatagram({ data: Buffer.from('x'), address: '127.0.0.1', port: 9 });
  assert.equal(none.stats.get('cluster.up.upstream_cx_none_healthy'), 1);
  assert.equal(none.proxy.sessionCount, 0);
  none.close();
});

test('udp proxy: upstream datagrams above max_rx_datagram_size are dropped and counted', async () => {
  const up = await upstream((m) => (m.toString() === 'big' ? Buffer.alloc(2000, 1) : Buffer.from('small')));
  const r = await rig({}, [host(up.port)]);
  const a = await client();
  a.sock.send('big', r.port, '127.0.0.1');
  await until(() => r.stats.get('cluster.up.udp.sess_rx_datagrams_dropped') === 1, 'drop');
  a.sock.send('x', r.port, '127.0.0.1');
  await until(() => a.got.length === 1, 'small reply');
  assert.deepEqual(a.got, ['small']);
  r.close();
  a.sock.close();
  up.sock.close();
});

test('udp proxy: hash_policies source_ip passes the hash of the client IP to the load balancer; key a fixed hash', async () => {
  const byIp = await rig({ hash_policy: { kind: 'source_ip' } }, [host(9)]);
  byIp.proxy.onDatagram({ data: Buffer.from('x'), address: '10.1.2.3', port: 4000 });
  assert.equal(byIp.cluster.picks[0]!.hashKey, xxhash64('10.1.2.3'));
  byIp.close();
  const byKey = await rig({ hash_policy: { kind: 'key', key: 'rtp-7' } }, [host(9)]);
  byKey.proxy.onDatagram({ data: Buffer.from('x'), address: '10.1.2.3', port: 4000 });
  assert.equal(byKey.cluster.picks[0]!.hashKey, xxhash64('rtp-7'));
  byKey.close();
});

test('udp proxy: a session whose host became unhealthy moves to a healthy host on its next datagram', async () => {
  const h1 = host(9);
  const h2 = host(10);
  const r = await rig({}, [h1, h2]);
  r.proxy.onDatagram({ data: Buffer.from('x'), address: '127.0.0.1', port: 4000 });
  assert.equal(h1.stats.cx_active, 1);
  h1.health = 'unhealthy';
  r.proxy.onDatagram({ data: Buffer.from('y'), address: '127.0.0.1', port: 4000 });
  assert.equal(h1.stats.cx_active, 0);
  assert.equal(h2.stats.cx_active, 1);
  assert.equal(r.stats.get('udp.u.downstream_sess_total'), 2);
  assert.equal(r.stats.get('udp.u.downstream_sess_active'), 1);
  r.close();
});

test('udp session: closes after idle_timeout without datagrams; each datagram pushes the deadline (fake timers)', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const stats = new FakeStats();
    const closed: boolean[] = [];
    const cluster = { stats: stats.scope('cluster', 'up') } as unknown as UpstreamCluster;
    const s = new UdpSession('k', cluster, host(9), {
      downstream: udpDownstreamStats(stats, 'u'),
      upstream: udpClusterStats(cluster),
      idleTimeoutMs: 1000,
      maxUpstreamDatagram: 1500,
      sendDownstream: () => {},
      onClose: (_s, idle) => closed.push(idle),
    });
    mock.timers.tick(600);
    s.fromDownstream(Buffer.from('keepalive'));
    mock.timers.tick(999);
    assert.deepEqual(closed, [], 'the datagram at 600 ms moved the deadline to 1600 ms');
    mock.timers.tick(1);
    assert.deepEqual(closed, [true]);
  } finally {
    mock.timers.reset();
  }
});
