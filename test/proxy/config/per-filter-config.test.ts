// Config: typed_per_filter_config is keyed by the filter's name in the chain, and its type says which filter reads it —
// also when the filter has a name of the operator's choosing and a per-route type of its own (Envoy finds the factory by type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRouteConfiguration } from '../../../src/proxy/config/index.js';
import { describeErrors, errorsOf } from './helpers.js';
import '../../all-filters.js';

function route(perFilter: Record<string, unknown>): unknown {
  return { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a' }, typed_per_filter_config: perFilter }] }] };
}

test('per-filter config: a per-route type under a custom filter name is found by its type', () => {
  const r = validateRouteConfiguration(
    route({
      'edge-rbac': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute' },
      'br-compressor': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute', disabled: true },
    }),
    '',
  );
  assert.ok(r.ok, describeErrors(errorsOf(r)));
  const cfg = r.value.virtual_hosts[0].routes[0].typed_per_filter_config;
  assert.equal(cfg['edge-rbac']['@type'], 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute');
  assert.equal(cfg['br-compressor']['@type'], 'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute');
});

test('per-filter config: an unknown per-route type is still an error with its path', () => {
  const errs = errorsOf(validateRouteConfiguration(route({ x: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.nope.v3.NopePerRoute' } }), ''));
  assert.deepEqual(errs.map((e) => e.path), ['virtual_hosts[0].routes[0].typed_per_filter_config["x"].@type']);
});
