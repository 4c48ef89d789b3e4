// UDP proxy config: a UDP Listener with the udp_proxy listener filter — defaults, the single-action matcher,
// and every unimplemented Envoy field rejected with its path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ctx } from '../../../src/proxy/config/reader.js';
import { listener } from '../../../src/proxy/config/listener.js';
import { newRefs } from '../../../src/proxy/config/refs.js';
import type { Listener } from '../../../src/proxy/config/types.js';

const UDP_PROXY = 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig';

function udpListener(proxy: object, extra: object = {}): object {
  return {
    name: 'dns',
    address: { socket_address: { protocol: 'UDP', address: '127.0.0.1', port_value: 5353 } },
    listener_filters: [{ name: 'envoy.filters.udp_listener.udp_proxy', typed_config: { '@type': UDP_PROXY, stat_prefix: 'dns', ...proxy } }],
    ...extra,
  };
}

function check(raw: object): { l: Listener | undefined; errors: string[] } {
  const ctx = new Ctx(undefined);
  const l = listener(ctx, raw, 'l', newRefs(), true);
  return { l, errors: ctx.errors.map((e) => `${e.path}: ${e.message}`) };
}

test('udp listener: cluster, defaults (idle 60 s, 1500-byte datagrams), no filter chains', () => {
  const { l, errors } = check(udpListener({ cluster: 'dns_servers' }));
  assert.deepEqual(errors, []);
  assert.equal(l?.address.socket_address.protocol, 'UDP');
  assert.deepEqual(l?.filter_chains, []);
  assert.deepEqual(l?.udp, { proxy: { stat_prefix: 'dns', cluster: 'dns_servers', idle_timeout: 60_000, max_upstream_rx_datagram_size: 1500 }, max_downstream_rx_datagram_size: 1500 });
});

test('udp listener: a matcher with one on_no_match Route action, hash policy, socket sizes, idle timeout', () => {
  const { l, errors } = check(
    udpListener(
      {
        matcher: { on_no_match: { action: { name: 'route', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.Route', cluster: 'c' } } } },
        idle_timeout: '5s',
        hash_policies: [{ source_ip: true }],
        upstream_socket_config: { max_rx_datagram_size: 9000, prefer_gro: true },
        access_log: [],
      },
      { udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: 4096 } } },
    ),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(l?.udp?.proxy, { stat_prefix: 'dns', cluster: 'c', idle_timeout: 5000, max_upstream_rx_datagram_size: 9000, hash_policy: { kind: 'source_ip' } });
  assert.equal(l?.udp?.max_downstream_rx_datagram_size, 4096);
});

test('udp listener: unimplemented fields and shapes are rejected by name, with paths', () => {
  const p = 'l.listener_filters[0].typed_config';
  assert.deepEqual(check(udpListener({})).errors, [`${p}: one of cluster, matcher is required`]);
  assert.deepEqual(check(udpListener({ cluster: 'c', use_original_src_ip: true })).errors, [`${p}.use_original_src_ip: use_original_src_ip: true is not supported by trellis (it needs IP_TRANSPARENT and CAP_NET_ADMIN)`]);
  assert.deepEqual(check(udpListener({ cluster: 'c', tunneling_config: {} })).errors, [`${p}.tunneling_config: tunneling_config is not supported by trellis`]);
  assert.deepEqual(check(udpListener({ cluster: 'c', session_filters: [] })).errors, [`${p}.session_filters: session_filters is not supported by trellis`]);
  assert.deepEqual(check(udpListener({ cluster: 'c', use_per_packet_load_balancing: true })).errors, [`${p}.use_per_packet_load_balancing: use_per_packet_load_balancing is not supported by trellis`]);
  assert.deepEqual(check(udpListener({ cluster: 'c', hash_policies: [{ source_ip: true }, { key: 'k' }] })).errors, [`${p}.hash_policies: at most one hash policy`]);
  assert.deepEqual(check(udpListener({ matcher: { matcher_list: {}, on_no_match: {} } })).errors, [
    `${p}.matcher.matcher_list: matcher_list is not supported by trellis`,
    `${p}.matcher.on_no_match.action: is required`,
  ]);
  assert.deepEqual(check(udpListener({ cluster: 'c' }, { filter_chains: [{ filters: [] }] })).errors, [
    'l.filter_chains: a UDP listener has no filter chains (its datagrams go to the udp_proxy listener filter; QUIC is not supported)',
  ]);
  assert.deepEqual(check(udpListener({ cluster: 'c' }, { udp_listener_config: { quic_options: {} } })).errors, ['l.udp_listener_config.quic_options: quic_options is not supported by trellis']);
  const dns = { name: 'dns', address: { socket_address: { protocol: 'udp', address: '0.0.0.0', port_value: 53 } }, listener_filters: [{ name: 'envoy.filters.udp.dns_filter' }] };
  assert.deepEqual(check(dns).errors, ['l.listener_filters[0].name: UDP listener filter "envoy.filters.udp.dns_filter" is not supported by trellis; supported: envoy.filters.udp_listener.udp_proxy']);
  assert.deepEqual(check({ ...dns, listener_filters: [] }).errors, ['l.listener_filters: a UDP listener needs an envoy.filters.udp_listener.udp_proxy listener filter']);
});
