// Tests validation of bootstrap layered_runtime, the deprecated runtime's translation, and the fault filter's runtime key fields.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import type { FaultConfig } from '../../../src/proxy/config/types.js';
import { HCM, ROUTER, base, describeErrors, errorsOf, set, type J } from './helpers.js';
import '../../all-filters.js';

function parse(b: J) {
  const r = parseBootstrap(b, { baseDir: '/etc/trellis' });
  return { value: r.ok ? r.value : undefined, errs: errorsOf(r) };
}
const withRuntime = (lr: unknown): J => set(base(), 'layered_runtime', lr);

describe('layered_runtime', () => {
  it('reads static, disk and admin layers; the static layer is flattened to dotted keys', () => {
    const { value, errs } = parse(
      withRuntime({
        layers: [
          { name: 's', static_layer: { health_check: { min_interval: 5 }, 'circuit_breakers.a.default.max_requests': 0, f: { numerator: 5, denominator: 'TEN_THOUSAND' }, on: true } },
          { name: 'd', disk_layer: { symlink_root: 'runtime/current', subdirectory: 'envoy', append_service_cluster: true } },
          { name: 'adm', admin_layer: {} },
        ],
      }),
    );
    assert.equal(errs.length, 0, describeErrors(errs));
    const [s, d, a] = value!.layered_runtime!.layers;
    assert.ok(s.layer_specifier.kind === 'static_layer');
    assert.deepEqual(s.layer_specifier.values, {
      'health_check.min_interval': 5,
      'circuit_breakers.a.default.max_requests': 0,
      f: { numerator: 5, denominator: 'TEN_THOUSAND' },
      on: true,
    });
    assert.deepEqual(d.layer_specifier, { kind: 'disk_layer', disk_layer: { symlink_root: '/etc/trellis/runtime/current', subdirectory: 'envoy', append_service_cluster: true } });
    assert.deepEqual(a, { name: 'adm', layer_specifier: { kind: 'admin_layer' } });
  });

  it('gives an empty layer list one admin layer, as Envoy does', () => {
    const { value, errs } = parse(withRuntime({}));
    assert.equal(errs.length, 0, describeErrors(errs));
    assert.deepEqual(value!.layered_runtime, { layers: [{ name: '', layer_specifier: { kind: 'admin_layer' } }] });
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['rtds_layer', { layers: [{ name: 'r', rtds_layer: { name: 'r' } }] }, 'layered_runtime.layers[0].rtds_layer', /rtds_layer is not supported by trellis/],
    ['a list value', { layers: [{ name: 's', static_layer: { a: { b: [1, 2] } } }] }, 'layered_runtime.layers[0].static_layer.a.b', /invalid runtime value for "a.b"/],
    ['a null value', { layers: [{ name: 's', static_layer: { a: null } }] }, 'layered_runtime.layers[0].static_layer.a', /invalid runtime value for "a"/],
    ['no name', { layers: [{ admin_layer: {} }] }, 'layered_runtime.layers[0].name', /is required/],
    ['no layer kind', { layers: [{ name: 'x' }] }, 'layered_runtime.layers[0]', /one of static_layer, disk_layer, admin_layer, rtds_layer is required/],
    ['two kinds', { layers: [{ name: 'x', admin_layer: {}, static_layer: {} }] }, 'layered_runtime.layers[0].admin_layer', /only one of/],
    ['duplicate names', { layers: [{ name: 'x', static_layer: {} }, { name: 'x', admin_layer: {} }] }, 'layered_runtime.layers[1].name', /duplicate layer name "x"/],
    ['two admin layers', { layers: [{ name: 'x', admin_layer: {} }, { name: 'y', admin_layer: {} }] }, 'layered_runtime.layers[1].admin_layer', /at most one admin_layer/],
    ['disk layer without root', { layers: [{ name: 'd', disk_layer: { subdirectory: 'e' } }] }, 'layered_runtime.layers[0].disk_layer.symlink_root', /is required/],
    ['unknown disk field', { layers: [{ name: 'd', disk_layer: { symlink_root: '/r', override_subdirectory: 'o' } }] }, 'layered_runtime.layers[0].disk_layer.override_subdirectory', /unknown field/],
  ];
  for (const [name, lr, path, message] of bad) {
    it(`rejects ${name}`, () => {
      const { errs } = parse(withRuntime(lr));
      assert.ok(errs.some((e) => e.path === path && message.test(e.message)), `expected ${path} ~ ${message}; got:\n${describeErrors(errs)}`);
    });
  }
});

describe('deprecated runtime', () => {
  it('is translated to Envoy\'s base/root/override/admin layers', () => {
    const { value, errs } = parse(set(base(), 'runtime', { symlink_root: '/srv/runtime/current', subdirectory: 'envoy', override_subdirectory: 'envoy_override', base: { a: { b: 1 } } }));
    assert.equal(errs.length, 0, describeErrors(errs));
    const layers = value!.layered_runtime!.layers;
    assert.deepEqual(layers.map((l) => [l.name, l.layer_specifier.kind]), [['base', 'static_layer'], ['root', 'disk_layer'], ['override', 'disk_layer'], ['admin', 'admin_layer']]);
    assert.deepEqual(layers[2].layer_specifier, { kind: 'disk_layer', disk_layer: { symlink_root: '/srv/runtime/current', subdirectory: 'envoy_override', append_service_cluster: true } });
    assert.ok(layers[0].layer_specifier.kind === 'static_layer' && layers[0].layer_specifier.values['a.b'] === 1);
  });

  it('without symlink_root is a static base and the admin layer', () => {
    const { value } = parse(set(base(), 'runtime', {}));
    assert.deepEqual(value!.layered_runtime!.layers.map((l) => l.name), ['base', 'admin']);
  });

  it('cannot be combined with layered_runtime', () => {
    const { errs } = parse(set(withRuntime({ layers: [] }), 'runtime', {}));
    assert.ok(errs.some((e) => e.path === 'runtime' && /cannot be combined with layered_runtime/.test(e.message)), describeErrors(errs));
  });
});

describe('fault filter runtime keys', () => {
  it('reads the *_runtime override fields', () => {
    const b = base();
    set(b, `${HCM}.http_filters`, [
      {
        name: 'envoy.filters.http.fault',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
          abort: { http_status: 503, percentage: { numerator: 1 } },
          abort_percent_runtime: 'my.abort',
          delay_duration_runtime: 'my.delay_ms',
          response_rate_limit_percent_runtime: 'accepted.and.ignored',
        },
      },
      ROUTER,
    ]);
    const { value, errs } = parse(b);
    assert.equal(errs.length, 0, describeErrors(errs));
    const hcm = value!.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as unknown as { http_filters: { typed_config: FaultConfig }[] };
    const fault = hcm.http_filters[0].typed_config;
    assert.equal(fault.abort_percent_runtime, 'my.abort');
    assert.equal(fault.delay_duration_runtime, 'my.delay_ms');
    assert.equal(fault.delay_percent_runtime, undefined, 'unset: the filter uses Envoy\'s global key');
  });
});
