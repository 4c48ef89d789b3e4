// Tests: configuration for Delta xDS — `vhds` only in a route configuration from RDS, and `trellis proxy --control-plane --xds-api`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatErrors } from '../../../src/common/result.js';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { validateRouteConfiguration, validateVirtualHostResource } from '../../../src/proxy/config/validators.js';
import { sidecarBootstrap } from '../../../src/proxy/xds/sidecar-bootstrap.js';
import { HCM_TYPE, ROUTER_TYPE } from '../../../src/xds/type-urls.js';

const VHDS = { config_source: { ads: {}, resource_api_version: 'V3' } };

function staticBootstrap(routeConfig: object): Parameters<typeof parseBootstrap>[0] {
  return {
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: { '@type': HCM_TYPE, stat_prefix: 'l', route_config: routeConfig, http_filters: [{ name: 'router', typed_config: { '@type': ROUTER_TYPE } }] },
                },
              ],
            },
          ],
        },
      ],
      clusters: [],
    },
  };
}

describe('vhds in route configurations', () => {
  it('is accepted in a RouteConfiguration from RDS, with an ADS config source only', () => {
    const ok = validateRouteConfiguration({ name: 'r', vhds: VHDS }, 'r');
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.errors));
    assert.deepEqual(ok.value.vhds, { config_source: 'ads' });
    const bad = validateRouteConfiguration({ name: 'r', vhds: { config_source: { path: '/tmp/x' } } }, 'r');
    assert.ok(!bad.ok);
    assert.match(formatErrors(bad.errors), /r\.vhds\.config_source/);
    const missing = validateRouteConfiguration({ name: 'r', vhds: {} }, 'r');
    assert.ok(!missing.ok);
  });

  it('is refused in an inline (static) route_config', () => {
    const r = parseBootstrap(staticBootstrap({ name: 'r', vhds: VHDS, virtual_hosts: [] }), { baseDir: process.cwd() });
    assert.ok(!r.ok);
    assert.match(formatErrors(r.errors), /route_config\.vhds: VHDS needs a route configuration from RDS/);
  });

  it('validates a VirtualHost resource with paths under its resource name', () => {
    const r = validateVirtualHostResource({ name: 'a', domains: ['a.test'], routes: [{ match: {}, route: { cluster: 'c' } }], bogus: 1 }, 'rc/a');
    assert.ok(!r.ok);
    assert.match(formatErrors(r.errors), /^rc\/a\.bogus: unknown field/m);
  });
});

describe('trellis proxy --control-plane --xds-api', () => {
  const apiType = async (xdsApi?: string): Promise<string | undefined> => {
    const r = await sidecarBootstrap({ controlPlane: '127.0.0.1:15010', outboundPort: '1', inboundPort: '2', ...(xdsApi !== undefined ? { xdsApi } : {}) }, {});
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    return r.value.dynamic_resources?.ads_config?.api_type;
  };

  it('defaults to DELTA_GRPC, and sotw gives GRPC', async () => {
    assert.equal(await apiType(), 'DELTA_GRPC');
    assert.equal(await apiType('delta'), 'DELTA_GRPC');
    assert.equal(await apiType('sotw'), 'GRPC');
  });

  it('refuses anything else', async () => {
    const r = await sidecarBootstrap({ controlPlane: '127.0.0.1:15010', xdsApi: 'incremental' }, {});
    assert.ok(!r.ok);
    assert.match(formatErrors(r.errors), /--xds-api must be sotw or delta, got "incremental"/);
  });
});
