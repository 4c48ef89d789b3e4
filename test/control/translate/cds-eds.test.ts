// Translate tests: CDS (naming, subsets, DestinationRule policy merge, DNS ServiceEntries, inbound) and EDS (subset endpoints, locality priorities).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceInfo, proxyNode } from '../../../src/control/model/builders.js';
import { cdsGenerator } from '../../../src/control/translate/cds.js';
import { edsGenerator } from '../../../src/control/translate/eds.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../../src/control/translate/generator.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';

const R = 'reviews.default.svc.cluster.local';

const POLICY = `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 1.5s, tcpKeepalive: {time: 7200s, interval: 75s}}
      http: {http1MaxPendingRequests: 10, http2MaxRequests: 200, maxRequestsPerConnection: 5, maxRetries: 4, idleTimeout: 30s}
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 50}
    portLevelSettings:
    - port: {number: 9443}
      loadBalancer: {simple: RANDOM}
  subsets:
  - name: hashed
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 2048}}}
  - name: mag
    labels: {version: v2}
    trafficPolicy:
      loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}}
      portLevelSettings:
      - port: {number: 9080}
        connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {ports: [{name: http, port: 9080}, {name: http-alt, port: 9443}]}
---
apiVersion: v1
kind: Service
metadata: {name: grpc-echo, namespace: default}
spec: {ports: [{name: grpc, port: 7070}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext, namespace: default}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
`;

describe('CDS', () => {
  const snap = snapshotFromYaml(BOOKINFO.replace(/---\napiVersion: v1\nkind: Service\nmetadata: \{name: ratings[^]*?(?=---)/, '') + POLICY, BOOKINFO_INSTANCES);
  const out = cdsGenerator.build(proxyNode({ servicePort: 9080, appPort: 9081, serviceName: 'productpage' }), snap);

  it('passes the proxy validators', () => assertProxyAccepts(CLUSTER_TYPE, out));

  it('names clusters like Istio: outbound|port|subset|host, subsets after the service cluster, inbound last', () => {
    const names = out.map((c) => c.name);
    assert.ok(names.includes(`outbound|9080||${R}`));
    assert.deepEqual(names.filter((n) => n.endsWith(R)), [`outbound|9080||${R}`, `outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`, `outbound|9080|v3|${R}`]);
    assert.equal(names[names.length - 1], 'inbound|9080||');
    const c = byName(out, `outbound|9080|v2|${R}`).resource;
    assert.equal(c.type, 'EDS');
    assert.deepEqual(c.eds_cluster_config, { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: `outbound|9080|v2|${R}` });
    assert.equal(c.lb_policy, 'LEAST_REQUEST', "Istio's default LB");
    assert.equal(c.connect_timeout, '10s');
    assert.equal(get(c, 'metadata', 'filter_metadata', 'istio', 'config'), '/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews', "proxy-config's DESTINATION RULE column");
    assert.equal(byName(out, 'outbound|9080||details.default.svc.cluster.local').resource.metadata, undefined, 'no rule, no reference');
  });

  it('translates connectionPool, outlierDetection and simple LB at the top level', () => {
    const c = byName(out, 'outbound|9080||ratings.default.svc.cluster.local').resource;
    assert.equal(c.lb_policy, 'ROUND_ROBIN');
    assert.equal(c.connect_timeout, '1.500s');
    assert.deepEqual(c.circuit_breakers, { thresholds: [{ max_connections: 100, max_pending_requests: 10, max_requests: 200, max_retries: 4, track_remaining: true }] });
    assert.deepEqual(c.outlier_detection, { enforcing_success_rate: 0, consecutive_5xx: 7, enforcing_consecutive_5xx: 100, interval: '300s', base_ejection_time: '900s', max_ejection_percent: 50 });
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 } });
    assert.deepEqual(c.upstream_connection_options, { tcp_keepalive: { keepalive_time: 7200, keepalive_interval: 75 } });
    assert.deepEqual(get(c, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'), {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 5 },
      explicit_http_config: { http_protocol_options: {} },
    });
  });

  it('port-level settings replace the top-level blocks for that port', () => {
    const c = byName(out, 'outbound|9443||ratings.default.svc.cluster.local').resource;
    assert.equal(c.lb_policy, 'RANDOM');
    assert.equal(c.outlier_detection, undefined, 'port-level policies do not inherit');
    assert.equal(c.connect_timeout, '10s');
  });

  it('subset policy overrides per block; consistentHash → RING_HASH / MAGLEV', () => {
    const hashed = byName(out, 'outbound|9080|hashed|ratings.default.svc.cluster.local').resource;
    assert.equal(hashed.lb_policy, 'RING_HASH');
    assert.deepEqual(hashed.ring_hash_lb_config, { minimum_ring_size: 2048 });
    assert.deepEqual(get(hashed, 'circuit_breakers', 'thresholds', 0, 'max_connections'), 100, 'connectionPool inherited from the top level');
    const mag = byName(out, 'outbound|9443|mag|ratings.default.svc.cluster.local').resource;
    assert.equal(mag.lb_policy, 'MAGLEV');
    const magPort = byName(out, 'outbound|9080|mag|ratings.default.svc.cluster.local').resource;
    assert.equal(magPort.lb_policy, 'LEAST_REQUEST', 'subset port-level entry replaces all blocks');
    assert.deepEqual(get(magPort, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'explicit_http_config'), { http2_protocol_options: {} });
  });

  it('GRPC ports get explicit HTTP/2 upstream', () => {
    const c = byName(out, 'outbound|7070||grpc-echo.default.svc.cluster.local').resource;
    assert.deepEqual(get(c, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'explicit_http_config'), { http2_protocol_options: {} });
  });

  it('DNS ServiceEntry → STRICT_DNS with its host as the endpoint', () => {
    const c = byName(out, 'outbound|80||httpbin.org').resource;
    assert.equal(c.type, 'STRICT_DNS');
    assert.equal(c.dns_lookup_family, 'V4_ONLY');
    assert.deepEqual(get(c, 'load_assignment', 'endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address'), { socket_address: { address: 'httpbin.org', port_value: 80 } });
  });

  it('inbound cluster: STATIC to 127.0.0.1:appPort', () => {
    const c = byName(out, 'inbound|9080||').resource;
    assert.equal(c.type, 'STATIC');
    assert.deepEqual(get(c, 'load_assignment', 'endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address'), { socket_address: { address: '127.0.0.1', port_value: 9081 } });
  });

  it('names filter the answer', () => {
    const snap2 = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES);
    assert.deepEqual(cdsGenerator.build(proxyNode(), snap2, [`outbound|9080|v1|${R}`]).map((c) => c.name), [`outbound|9080|v1|${R}`]);
  });
});

describe('EDS', () => {
  it('one CLA per EDS cluster; subsets select by labels; weights and localities set', () => {
    const snap = snapshotFromYaml(BOOKINFO, BOOKINFO_INSTANCES);
    const out = edsGenerator.build(proxyNode(), snap);
    assertProxyAccepts(ENDPOINT_TYPE, out);
    const v2 = byName(out, `outbound|9080|v2|${R}`).resource;
    assert.deepEqual(v2, {
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: `outbound|9080|v2|${R}`,
      endpoints: [
        {
          locality: { region: '', zone: '', sub_zone: '' },
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.12', port_value: 15006 } } }, health_status: 'HEALTHY', load_balancing_weight: 1 }],
          load_balancing_weight: 1,
          priority: 0,
        },
      ],
    });
    assert.equal((get(byName(out, `outbound|9080||${R}`).resource, 'endpoints', 0, 'lb_endpoints') as unknown[]).length, 3);
    assert.deepEqual(get(byName(out, 'outbound|9080||details.default.svc.cluster.local').resource, 'endpoints'), []);
  });

  const H = 'svc.default.svc.cluster.local';
  const instances = [
    instanceInfo(H, 80, '10.1.0.1', 80, { locality: 'us-east/a/1' }),
    instanceInfo(H, 80, '10.1.0.2', 80, { locality: 'us-east/a/2', weight: 3 }),
    instanceInfo(H, 80, '10.1.0.3', 80, { locality: 'us-east/b/1' }),
    instanceInfo(H, 80, '10.2.0.1', 80, { locality: 'eu-west/a/1' }),
    instanceInfo(H, 80, '10.3.0.1', 80, { locality: 'ap-south/a/1' }),
    instanceInfo(H, 80, '10.9.9.9', 80, { locality: 'us-east/a/1', healthy: false }),
  ];
  const svc = `
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: default}
spec: {ports: [{name: http, port: 80}]}
`;
  const prios = (dr: string): Record<string, number> => {
    const snap = snapshotFromYaml(svc + dr, instances);
    const out = edsGenerator.build(proxyNode({ locality: { region: 'us-east', zone: 'a', subzone: '1' } }), snap);
    assertProxyAccepts(ENDPOINT_TYPE, out);
    const eps = get(out[0]?.resource, 'endpoints') as { locality: { region: string; zone: string; sub_zone: string }; priority: number; load_balancing_weight: number }[];
    return Object.fromEntries(eps.map((e) => [`${e.locality.region}/${e.locality.zone}/${e.locality.sub_zone}`, e.priority]));
  };

  it('no outlier detection → no locality priorities; unhealthy endpoints left out', () => {
    assert.deepEqual(new Set(Object.values(prios(''))), new Set([0]));
    const snap = snapshotFromYaml(svc, instances);
    const all = JSON.stringify(edsGenerator.build(proxyNode(), snap));
    assert.ok(!all.includes('10.9.9.9'));
  });

  it('outlier detection → same subzone P0, same zone P1, same region P2, elsewhere P3 (contiguous)', () => {
    const dr = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc}
spec: {host: svc, trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}}}
`;
    assert.deepEqual(prios(dr), { 'us-east/a/1': 0, 'us-east/a/2': 1, 'us-east/b/1': 2, 'eu-west/a/1': 3, 'ap-south/a/1': 3 });
  });

  it('failover from us-east to eu-west puts other regions last', () => {
    const dr = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc}
spec:
  host: svc
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1}
    loadBalancer: {localityLbSetting: {enabled: true, failover: [{from: us-east, to: eu-west}]}}
`;
    assert.deepEqual(prios(dr), { 'us-east/a/1': 0, 'us-east/a/2': 1, 'us-east/b/1': 2, 'eu-west/a/1': 3, 'ap-south/a/1': 4 });
  });

  it('distribute sets locality weights and drops unmatched localities', () => {
    const dr = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc}
spec:
  host: svc
  trafficPolicy:
    loadBalancer: {localityLbSetting: {distribute: [{from: "us-east/a/*", to: {"us-east/a/*": 80, "eu-west/*": 20}}]}}
`;
    const snap = snapshotFromYaml(svc + dr, instances);
    const p = proxyNode({ locality: { region: 'us-east', zone: 'a', subzone: '1' } });
    const out = edsGenerator.build(p, snap);
    assertProxyAccepts(ENDPOINT_TYPE, out);
    const eps = get(out[0]?.resource, 'endpoints') as { locality: { region: string; zone: string; sub_zone: string }; load_balancing_weight: number }[];
    assert.deepEqual(Object.fromEntries(eps.map((e) => [`${e.locality.region}/${e.locality.zone}/${e.locality.sub_zone}`, e.load_balancing_weight])), {
      'eu-west/a/1': 20,
      'us-east/a/1': 20,
      'us-east/a/2': 60,
    });
    const cds = cdsGenerator.build(p, snap);
    assert.deepEqual(get(cds[0]?.resource, 'common_lb_config'), { locality_weighted_lb_config: {} });
    assertProxyAccepts(CLUSTER_TYPE, cds);
  });
});
