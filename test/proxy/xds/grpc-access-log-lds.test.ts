// Tests: gRPC access loggers over xDS — an LDS listener whose logger names a cluster that neither the bootstrap nor
// CDS has is NACKed with the field's path (Envoy refuses an unknown gRPC client cluster); one naming a CDS cluster
// is accepted and its entries reach the service (the typed_config travels through the wire codec both ways).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/parse-bootstrap.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import { CLUSTER_TYPE, LISTENER_TYPE } from '../../../src/xds/type-urls.js';
import type { Json } from '../../../src/xds/codec.js';
import { FakeAds } from './fake-ads.js';
import { get, upstream, type Upstream } from './resources.js';
import { AlsServer } from '../../e2e/als-server.js';
import { waitFor } from '../../e2e/harness.js';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HTTP_ALS = 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig';

function staticCluster(name: string, port: number, h2: boolean): Json {
  const c: Json = {
    '@type': CLUSTER_TYPE,
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
  if (h2) {
    c.typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } },
    };
  }
  return c;
}

function listener(alsCluster: string): Json {
  return {
    '@type': LISTENER_TYPE,
    name: 'http',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: 'http',
              route_config: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'web' } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
              access_log: [
                {
                  name: 'envoy.access_loggers.http_grpc',
                  typed_config: {
                    '@type': HTTP_ALS,
                    common_config: { log_name: 'lds-log', grpc_service: { envoy_grpc: { cluster_name: alsCluster } }, transport_api_version: 'V3', buffer_flush_interval: '0.05s' },
                    additional_request_headers_to_log: ['x-user'],
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

describe('gRPC access loggers over LDS', () => {
  const ads = new FakeAds();
  const als = new AlsServer();
  let web: Upstream;
  let proxy: Proxy;

  before(async () => {
    web = await upstream('web');
    await als.start();
    await ads.listen();
    ads.set(CLUSTER_TYPE, [staticCluster('web', web.port, false), staticCluster('als', als.port, true)]);
    ads.set(LISTENER_TYPE, [listener('missing')]);
    const r = parseBootstrap(
      {
        node: { id: 'lds-node', cluster: 'test' },
        dynamic_resources: {
          ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
          cds_config: { ads: {}, resource_api_version: 'V3' },
          lds_config: { ads: {}, resource_api_version: 'V3' },
        },
        static_resources: {
          clusters: [{ name: 'xds-grpc', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ads.port } } } }] }] } }],
        },
      },
      { baseDir: process.cwd() },
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    proxy = new Proxy({ bootstrap: r.value });
    await proxy.start();
  });

  after(async () => {
    await proxy.stop(100);
    await ads.close();
    await web.close();
    als.kill();
  });

  it('NACKs a listener whose logger cluster is unknown, naming the field', async () => {
    await ads.waitFor(() => ads.nacks.some((n) => n.typeUrl === LISTENER_TYPE), 3000, 'LDS NACK');
    const nack = ads.nacks.find((n) => n.typeUrl === LISTENER_TYPE)!;
    assert.match(
      nack.message,
      /^http\.filter_chains\[0\]\.filters\[0\]\.typed_config\.access_log\[0\]\.typed_config\.common_config\.grpc_service\.envoy_grpc\.cluster_name: unknown cluster "missing"/m,
      nack.message,
    );
    assert.equal(proxy.listeners.addresses().length, 0);
  });

  it('accepts one naming a CDS cluster; its entries reach the service with the node identifier', async () => {
    ads.set(LISTENER_TYPE, [listener('als')]);
    await ads.waitFor(() => ads.acked(LISTENER_TYPE), 3000, 'LDS ACK');
    await proxy.ads!.idle();
    const port = proxy.listeners.addresses().find((l) => l.name === 'http')?.port ?? 0;
    assert.ok(port > 0);
    assert.equal((await get(port, '/over-lds')).status, 200);
    const got = (await waitFor(() => als.http('lds-log')[0], 5000, 'an entry over the LDS listener'))!;
    assert.equal(got.entry.request.path, '/over-lds');
    assert.equal(got.entry.common_properties.upstream_cluster, 'web');
    assert.equal(als.identifiers()[0]?.node.id, 'lds-node');
    assert.equal(als.identifiers()[0]?.node.user_agent_name, 'trellis');
  });
});
