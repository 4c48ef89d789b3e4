// E2E: non-terminal network filters before tcp_proxy and http_connection_manager — local_ratelimit closes
// connections past its token bucket and counts them; several network filters in one chain are accepted.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { adminGet, hcmListener, multiBootstrap, request, startProxy, startUpstream, staticCluster, type RunningProxy, type Upstream } from './harness.js';

const TCP_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const RL_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit';

function rateLimit(prefix: string, maxTokens: number): object {
  return { name: 'envoy.filters.network.local_ratelimit', typed_config: { '@type': RL_TYPE, stat_prefix: prefix, token_bucket: { max_tokens: maxTokens, fill_interval: '3600s' } } };
}

let backend: Upstream;
let proxy: RunningProxy;

before(async () => {
  backend = await startUpstream('b');
  const http = hcmListener('http', {
    routeConfig: { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }] }] },
  }) as { filter_chains: { filters: object[] }[] };
  http.filter_chains[0].filters.unshift(rateLimit('http_rl', 2));
  const tcp = {
    name: 'tcp',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [rateLimit('tcp_rl_a', 100), rateLimit('tcp_rl', 1), { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_TYPE, stat_prefix: 't', cluster: 'b' } }] }],
  };
  proxy = await startProxy(multiBootstrap([http, tcp], [staticCluster('b', [backend.port])]));
});

after(async () => {
  await proxy?.stop();
  await backend?.close();
});

/** Whether a new connection gets an HTTP answer (true) or is closed by the proxy first (false). */
function connectionServed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(got.startsWith('HTTP/1.1 200')));
  });
}

test('network local_ratelimit before http_connection_manager: connections past the bucket are closed and counted', async () => {
  const port = proxy.listeners.get('http')!;
  assert.equal((await request(port)).status, 200);
  assert.equal(await connectionServed(port), true);
  assert.equal(await connectionServed(port), false);
  const stats = (await adminGet(proxy.adminPort, '/stats')).body;
  assert.match(stats, /local_rate_limit\.http_rl\.rate_limited: 1/);
});

test('network local_ratelimit in a chain of three network filters before tcp_proxy', async () => {
  const port = proxy.listeners.get('tcp')!;
  assert.equal(await connectionServed(port), true);
  assert.equal(await connectionServed(port), false);
  const stats = (await adminGet(proxy.adminPort, '/stats')).body;
  assert.match(stats, /local_rate_limit\.tcp_rl\.rate_limited: 1/);
  assert.match(stats, /local_rate_limit\.tcp_rl_a\.rate_limited: 0/);
});
