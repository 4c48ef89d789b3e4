// Translate tests: sidecar listeners (outbound, inbound HTTP/TCP), gateway listeners and routes, proxyless api_listeners (checked by grpc-js-xds itself).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { instanceInfo, proxyNode, serviceInfo } from '../../../src/control/model/builders.js';
import { buildSnapshot } from '../../../src/control/model/snapshot.js';
import { cdsGenerator } from '../../../src/control/translate/cds.js';
import { edsGenerator } from '../../../src/control/translate/eds.js';
import { LISTENER_TYPE, ROUTE_TYPE, type Generator } from '../../../src/control/translate/generator.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { rdsGenerator } from '../../../src/control/translate/rds.js';
import { encodeResource } from '../../../src/xds/codec.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

describe('sidecar LDS', () => {
  it('outbound on 127.0.0.1:15001 with RDS outbound and cors + fault + router; inbound on 0.0.0.0:15006 to the app', () => {
    const snap = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES);
    const out = ldsGenerator.build(proxyNode({ serviceName: 'reviews', servicePort: 9080, appPort: 9081 }), snap);
    assertProxyAccepts(LISTENER_TYPE, out);
    assert.deepEqual(out.map((l) => l.name), ['outbound', 'inbound']);
    const ob = byName(out, 'outbound').resource;
    assert.deepEqual(ob.address, { socket_address: { address: '127.0.0.1', port_value: 15001 } });
    const hcm = get(ob, 'filter_chains', 0, 'filters', 0, 'typed_config');
    assert.equal(get(hcm, 'codec_type'), 'AUTO');
    assert.equal(get(hcm, 'rds', 'route_config_name'), 'outbound');
    assert.deepEqual((get(hcm, 'http_filters') as { name: string }[]).map((f) => f.name), ['envoy.filters.http.cors', 'envoy.filters.http.fault', 'istio.stats', 'envoy.filters.http.router']);
    const ib = byName(out, 'inbound').resource;
    assert.deepEqual(ib.address, { socket_address: { address: '0.0.0.0', port_value: 15006 } });
    assert.equal(get(ib, 'filter_chains', 0, 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes', 0, 'route', 'cluster'), 'inbound|9080||');
    // the inbound listener faces the network: heads bounded in time, count and size (Envoy's edge best practices)
    const ihcm = get(ib, 'filter_chains', 0, 'filters', 0, 'typed_config');
    assert.equal(get(ihcm, 'request_headers_timeout'), '10s');
    assert.equal(get(ihcm, 'max_request_headers_kb'), 60);
    assert.equal(get(ihcm, 'common_http_protocol_options', 'max_headers_count'), 100);
    assert.equal(get(ihcm, 'http2_protocol_options', 'max_concurrent_streams'), 100);
    assert.equal(get(hcm, 'request_headers_timeout'), undefined, 'the loopback outbound listener serves the app alone');
  });

  it('custom ports from the node; no inbound without service/app port', () => {
    const out = ldsGenerator.build(proxyNode({ outboundPort: 25001 }), snapshotFromYaml(BOOKINFO));
    assert.deepEqual(out.map((l) => l.name), ['outbound']);
    assert.equal(get(out[0]?.resource, 'address', 'socket_address', 'port_value'), 25001);
  });

  it('a TCP service port gets a tcp_proxy inbound', () => {
    const snap = buildSnapshot({ version: '1', services: [serviceInfo('db', 'default', [{ port: 5432, name: 'tcp' }])] });
    const out = ldsGenerator.build(proxyNode({ serviceName: 'db', servicePort: 5432, appPort: 5433 }), snap);
    assertProxyAccepts(LISTENER_TYPE, out);
    assert.equal(get(byName(out, 'inbound').resource, 'filter_chains', 0, 'filters', -1, 'name'), 'envoy.filters.network.tcp_proxy');
  });
});

const GATEWAY = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match: [{uri: {exact: /productpage}}, {uri: {prefix: /static}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-only, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
`;

describe('gateway (router)', () => {
  const snap = snapshotFromYaml(BOOKINFO + GATEWAY, BOOKINFO_INSTANCES);
  const gw = proxyNode({ type: 'router', labels: { istio: 'ingressgateway' } });

  it('one listener per server port: RDS http.<port> for HTTP; the credentialName HTTPS server terminates with its Secret over SDS', () => {
    const lds = ldsGenerator.build(gw, snap);
    assertProxyAccepts(LISTENER_TYPE, lds);
    assert.deepEqual(lds.map((l) => l.name), ['0.0.0.0_8080', '0.0.0.0_8443']);
    assert.equal(get(lds[1]?.resource, 'filter_chains', 0, 'transport_socket', 'typed_config', 'common_tls_context', 'tls_certificate_sds_secret_configs', 0, 'name'), 'kubernetes://cert');
    assert.equal(get(lds[0]?.resource, 'filter_chains', 0, 'filters', 0, 'typed_config', 'rds', 'route_config_name'), 'http.8080');
  });

  it('virtual hosts only from VirtualServices bound to the gateway', () => {
    const rds = rdsGenerator.build(gw, snap);
    assertProxyAccepts(ROUTE_TYPE, rds);
    const vhs = get(byName(rds, 'http.8080').resource, 'virtual_hosts') as { name: string; domains: string[]; routes: unknown[] }[];
    assert.deepEqual(vhs.map((v) => [v.name, v.domains]), [['*:8080', ['*']]]);
    assert.deepEqual(vhs[0]?.routes.map((r) => [get(r, 'match'), get(r, 'route', 'cluster')]), [
      [{ path: '/productpage' }, 'outbound|9080||productpage.default.svc.cluster.local'],
      [{ prefix: '/static' }, 'outbound|9080||productpage.default.svc.cluster.local'],
    ]);
  });

  it('a router whose labels match no Gateway gets nothing; a sidecar ignores gateway-bound VirtualServices', () => {
    assert.deepEqual(ldsGenerator.build(proxyNode({ type: 'router', labels: { istio: 'other' } }), snap), []);
    const rds = rdsGenerator.build(proxyNode(), snap);
    const pp = (get(rds[0]?.resource, 'virtual_hosts') as { name: string; routes: { name: string }[] }[]).find((v) => v.name.startsWith('productpage'));
    assert.equal(pp?.routes[0]?.name, 'default');
  });
});

describe('proxyless gRPC', () => {
  const require = createRequire(import.meta.url);
  type Decoder = { decode(ctx: unknown, any: { type_url: string; value: Uint8Array }): { error?: string } };
  const xds = require('@grpc/grpc-js-xds') as { register(): void };
  xds.register();
  const base = '@grpc/grpc-js-xds/build/src/xds-resource-type/';
  const load = (file: string, cls: string): Decoder => (require(base + file) as Record<string, { get(): Decoder }>)[cls]!.get();
  const decoders = new Map<Generator, Decoder>([
    [ldsGenerator, load('listener-resource-type.js', 'ListenerResourceType')],
    [rdsGenerator, load('route-config-resource-type.js', 'RouteConfigurationResourceType')],
    [cdsGenerator, load('cluster-resource-type.js', 'ClusterResourceType')],
    [edsGenerator, load('endpoint-resource-type.js', 'EndpointResourceType')],
  ]);
  const H = 'echo.default.svc.cluster.local';
  const snap = snapshotFromYaml(
    `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: grpc, port: 7070}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}, outlierDetection: {consecutive5xxErrors: 3}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - match: [{headers: {x-canary: {exact: "1"}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
    route: [{destination: {host: echo, subset: v2}}]
  - timeout: 2s
    retries: {attempts: 2, retryOn: unavailable}
    route: [{destination: {host: echo, subset: v1}, weight: 75}, {destination: {host: echo, subset: v2}, weight: 25}]
`,
    [instanceInfo(H, 7070, '127.0.0.1', 7071, { labels: { version: 'v1' } }), instanceInfo(H, 7070, '127.0.0.1', 7072, { labels: { version: 'v2' } })],
  );
  const client = proxyNode({ type: 'proxyless', id: 'client-1' });
  const names = ['echo:7070', `${H}:7070`, 'echo.default:7070', 'nope:1'];

  it('answers each requested target name with an api_listener of that name, RDS of the same name', () => {
    const lds = ldsGenerator.build(client, snap, names);
    assert.deepEqual(lds.map((l) => l.name), ['echo.default.svc.cluster.local:7070', 'echo.default:7070', 'echo:7070']);
    for (const l of lds) {
      assert.deepEqual(Object.keys(l.resource), ['@type', 'name', 'api_listener']);
      assert.equal(get(l.resource, 'api_listener', 'api_listener', 'rds', 'route_config_name'), l.name);
    }
    const rds = rdsGenerator.build(client, snap, ['echo:7070']);
    const routes = get(rds[0]?.resource, 'virtual_hosts', 0, 'routes') as unknown[];
    assert.equal(get(routes[1], 'route', 'max_stream_duration', 'max_stream_duration'), '2s');
    assert.deepEqual(get(routes[0], 'typed_per_filter_config', 'envoy.filters.http.fault', 'abort'), { grpc_status: 14, percentage: { numerator: 1000000, denominator: 'MILLION' } });
  });

  it('every resource is accepted by grpc-js-xds itself (no NACK)', () => {
    const ctx = { bootstrap: { certificateProviders: {}, servers: [] }, server: {} };
    for (const [gen, dec] of decoders) {
      const out = gen.build(client, snap, gen === ldsGenerator || gen === rdsGenerator ? names : undefined);
      assert.ok(out.length > 0);
      for (const r of out) {
        const d = dec.decode(ctx, encodeResource(gen.typeUrl, r.resource));
        assert.equal(d.error, undefined, `${r.name}: ${d.error ?? ''}`);
      }
    }
    const clusters = cdsGenerator.build(client, snap);
    assert.ok(clusters.every((c) => c.resource.lb_policy === 'ROUND_ROBIN'), 'grpc-js-xds supports only ROUND_ROBIN and RING_HASH');
  });
});
