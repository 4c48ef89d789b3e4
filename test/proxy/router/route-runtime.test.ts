// Tests route matching with runtime_fraction.runtime_key: the runtime's value replaces default_value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../../src/proxy/router/route-table.js';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import type { RouteConfiguration } from '../../../src/proxy/config/types.js';
import { entryFromStatic } from '../../../src/proxy/runtime-config/entry.js';
import { RuntimeSnapshot, type RuntimeSource } from '../../../src/proxy/runtime-config/snapshot.js';
import { HCM, base, set } from '../config/helpers.js';
import { req } from './fixtures.js';
import '../../all-filters.js';

function routeConfig(): RouteConfiguration {
  const b = base();
  set(b, `${HCM}.route_config.virtual_hosts[0].routes`, [
    { match: { prefix: '/', runtime_fraction: { default_value: { numerator: 50 }, runtime_key: 'canary.share' } }, route: { cluster: 'b' } },
    { match: { prefix: '/' }, route: { cluster: 'a' } },
  ]);
  const r = parseBootstrap(b, { baseDir: '/' });
  assert.ok(r.ok);
  const hcm = r.value.static_resources.listeners[0].filter_chains[0].filters[0].typed_config as { route_specifier: { route_config: RouteConfiguration } };
  return hcm.route_specifier.route_config;
}

class FakeRuntime implements RuntimeSource {
  values: Record<string, unknown> = {};
  snapshot(): RuntimeSnapshot {
    return new RuntimeSnapshot([{ name: 'l', values: new Map(Object.entries(this.values).map(([k, v]) => [k, entryFromStatic(v)])) }]);
  }
}

test('runtime_fraction follows its runtime_key, else the default_value', () => {
  const rt = new FakeRuntime();
  let draw = 0.3;
  const table = compileRouteTable(routeConfig(), { random: () => draw, runtime: rt });
  const cluster = (): string | undefined => {
    const m = table.match(req());
    return m?.route.action.kind === 'route' ? m.route.action.route.chooseCluster(req())?.cluster : undefined;
  };
  assert.equal(cluster(), 'b', 'default 50%: draw 0.3 matches');
  draw = 0.7;
  assert.equal(cluster(), 'a');
  rt.values = { 'canary.share': 100 };
  assert.equal(cluster(), 'b', 'runtime 100%');
  rt.values = { 'canary.share': 0 };
  draw = 0;
  assert.equal(cluster(), 'a', 'runtime 0%');
  rt.values = { 'canary.share': { numerator: 5000, denominator: 'TEN_THOUSAND' } };
  draw = 0.49;
  assert.equal(cluster(), 'b', 'a FractionalPercent value');
});
