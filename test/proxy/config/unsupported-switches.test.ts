// Config: known Envoy switches Trellis cannot honour are errors by name, never silent no-ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBootstrapText } from '../../../src/proxy/config/bootstrap.js';

const cluster = `
    - name: c
      type: STATIC
      close_connections_on_host_health_failure: true
      load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }`;
const listener = `
    - name: l
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      use_original_dst: true
      listener_filters: [{ name: envoy.filters.listener.original_dst }]
      filter_chains: [{ filters: [{ name: envoy.filters.network.tcp_proxy, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: t, cluster: c } }] }]`;

test('use_original_dst, the original_dst listener filter and close_connections_on_host_health_failure are rejected', () => {
  const r = loadBootstrapText(`static_resources:\n  listeners:${listener}\n  clusters:${cluster}\n`, '/tmp');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const paths = r.errors.map((e) => e.path);
  assert.ok(paths.includes('static_resources.listeners[0].use_original_dst'), paths.join('\n'));
  assert.ok(paths.some((p) => p.startsWith('static_resources.listeners[0].listener_filters[0]')), paths.join('\n'));
  assert.ok(paths.includes('static_resources.clusters[0].close_connections_on_host_health_failure'), paths.join('\n'));
  assert.ok(r.errors.every((e) => /not supported by trellis/.test(e.message)), r.errors.map((e) => e.message).join('\n'));
});
