// E2E: a UDP listener with envoy.filters.udp_listener.udp_proxy in a real `trellis proxy` — datagrams from 127.0.0.1
// clients reach a UDP upstream and come back, one session per client address, idle sessions close, oversized
// datagrams are dropped, all under Envoy's stat names.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { adminGet, multiBootstrap, startProxy, staticCluster, waitFor, type RunningProxy } from './harness.js';

const UDP_PROXY = 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig';

let echo: dgram.Socket;
const echoSeen: number[] = [];
let proxy: RunningProxy;

function udpListener(name: string, proxyConfig: object, extra: object = {}): object {
  return {
    name,
    address: { socket_address: { protocol: 'UDP', address: '127.0.0.1', port_value: 0 } },
    listener_filters: [{ name: 'envoy.filters.udp_listener.udp_proxy', typed_config: { '@type': UDP_PROXY, ...proxyConfig } }],
    ...extra,
  };
}

before(async () => {
  echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => {
    echoSeen.push(r.port);
    echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address);
  });
  echo.bind(0, '127.0.0.1');
  await once(echo, 'listening');
  proxy = await startProxy(
    multiBootstrap(
      [
        udpListener('udp', { stat_prefix: 'dns_in', cluster: 'udp_up' }),
        udpListener(
          'udp_idle',
          {
            stat_prefix: 'short',
            matcher: { on_no_match: { action: { name: 'route', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.Route', cluster: 'udp_up' } } } },
            idle_timeout: '0.3s',
            hash_policies: [{ source_ip: true }],
          },
          { stat_prefix: 'udp_idle_listener', udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: 100 } } },
        ),
      ],
      [staticCluster('udp_up', [(echo.address() as { port: number }).port])],
    ),
  );
});

after(async () => {
  await proxy?.stop();
  echo?.close();
});

async function client(): Promise<{ sock: dgram.Socket; got: string[] }> {
  const sock = dgram.createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString()));
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { sock, got };
}

async function stat(name: string): Promise<number | undefined> {
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec((await adminGet(proxy.adminPort, '/stats')).body);
  return m === null ? undefined : Number(m[1]);
}

test('udp_proxy: datagrams go to the upstream and back, one session (and upstream port) per client address', async () => {
  const port = proxy.listeners.get('udp')!;
  const a = await client();
  const b = await client();
  echoSeen.length = 0;
  a.sock.send('one', port, '127.0.0.1');
  await waitFor(() => a.got.length === 1, 5000, 'first reply');
  a.sock.send('two', port, '127.0.0.1');
  b.sock.send('three', port, '127.0.0.1');
  await waitFor(() => a.got.length === 2 && b.got.length === 1, 5000, 'replies');
  assert.deepEqual(a.got, ['echo:one', 'echo:two']);
  assert.deepEqual(b.got, ['echo:three']);
  assert.equal(new Set(echoSeen).size, 2);
  assert.equal(await stat('udp.dns_in.downstream_sess_total'), 2);
  assert.equal(await stat('udp.dns_in.downstream_sess_active'), 2);
  assert.equal(await stat('udp.dns_in.downstream_sess_rx_datagrams'), 3);
  assert.equal(await stat('udp.dns_in.downstream_sess_tx_datagrams'), 3);
  assert.equal(await stat('cluster.udp_up.udp.sess_tx_datagrams'), 3);
  a.sock.close();
  b.sock.close();
});

test('udp_proxy: an idle session closes after idle_timeout; a datagram above the listener max is dropped', async () => {
  const port = proxy.listeners.get('udp_idle')!;
  const c = await client();
  c.sock.send('hello', port, '127.0.0.1');
  await waitFor(() => c.got.length === 1, 5000, 'reply');
  assert.equal(await stat('udp.short.downstream_sess_active'), 1);
  await waitFor(async () => (await stat('udp.short.idle_timeout')) === 1, 5000, 'idle timeout');
  assert.equal(await stat('udp.short.downstream_sess_active'), 0);
  c.sock.send(Buffer.alloc(200, 0x61), port, '127.0.0.1');
  await waitFor(async () => (await stat('listener.udp_idle_listener.udp.downstream_rx_datagram_dropped')) === 1, 5000, 'drop');
  assert.equal(await stat('udp.short.downstream_sess_rx_datagrams'), 1);
  c.sock.close();
});
