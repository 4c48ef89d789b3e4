// Translate tests: Sidecar scoping and exportTo, determinism (same inputs → same bytes), real-proto encoding, needsPush filters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proxyNode } from '../../../src/control/model/builders.js';
import { buildSnapshot } from '../../../src/control/model/snapshot.js';
import { GENERATORS, cdsGenerator, edsGenerator, ldsGenerator, rdsGenerator } from '../../../src/control/translate/index.js';
import { encodeResource } from '../../../src/xds/codec.js';
import { BOOKINFO, BOOKINFO_INSTANCES, assertProxyAccepts, get, parseYaml, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

const OTHER_NS = `
---
apiVersion: v1
kind: Service
metadata: {name: billing, namespace: finance}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: audit, namespace: finance}
spec: {ports: [{name: http, port: 8080}]}
`;

describe('Sidecar scoping', () => {
  const hostsOf = (yaml: string, proxy = proxyNode()): string[] =>
    cdsGenerator.build(proxy, snapshotFromYaml(BOOKINFO + OTHER_NS + yaml, BOOKINFO_INSTANCES)).map((c) => c.name.split('|')[3] ?? '').filter((h, i, a) => h !== '' && a.indexOf(h) === i);

  it('without a Sidecar every service is visible', () => {
    assert.equal(hostsOf('').length, 6);
  });

  it('egress hosts ./* and finance/billing.finance.svc.cluster.local scope CDS, RDS and EDS', () => {
    const sc = `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["./reviews.default.svc.cluster.local", "finance/billing.finance.svc.cluster.local"]}]
`;
    assert.deepEqual(hostsOf(sc), ['billing.finance.svc.cluster.local', 'reviews.default.svc.cluster.local']);
    const snap = snapshotFromYaml(BOOKINFO + OTHER_NS + sc, BOOKINFO_INSTANCES);
    const vhs = get(rdsGenerator.build(proxyNode(), snap)[0]?.resource, 'virtual_hosts') as { name: string }[];
    assert.deepEqual(vhs.map((v) => v.name), ['billing.finance.svc.cluster.local:8080', 'reviews.default.svc.cluster.local:9080']);
    assert.ok(edsGenerator.build(proxyNode(), snap).every((c) => c.name.endsWith('reviews.default.svc.cluster.local') || c.name.endsWith('billing.finance.svc.cluster.local')));
    assert.deepEqual(edsGenerator.build(proxyNode(), snap, ['outbound|9080||ratings.default.svc.cluster.local']), [], 'out of scope even when asked by name');
  });

  it('a workloadSelector Sidecar wins over the namespace default; the root namespace default applies elsewhere', () => {
    const sc = `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec: {egress: [{hosts: ["finance/*"]}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: pp, namespace: default}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress: [{hosts: ["*/ratings.default.svc.cluster.local"]}]
`;
    assert.deepEqual(hostsOf(sc, proxyNode({ labels: { app: 'productpage' } })), ['ratings.default.svc.cluster.local']);
    assert.deepEqual(hostsOf(sc), ['audit.finance.svc.cluster.local', 'billing.finance.svc.cluster.local']);
  });

  it('exportTo "." hides a VirtualService from other namespaces', () => {
    const vs = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  exportTo: ["."]
  http: [{route: [{destination: {host: reviews, subset: v3}}]}]
`;
    const snap = snapshotFromYaml(BOOKINFO + vs, BOOKINFO_INSTANCES);
    const cluster = (ns: string): unknown => {
      const vhs = get(rdsGenerator.build(proxyNode({ namespace: ns }), snap)[0]?.resource, 'virtual_hosts') as { name: string }[];
      return get(vhs.find((v) => v.name.startsWith('reviews.')), 'routes', 0, 'route', 'cluster');
    };
    assert.equal(cluster('default'), 'outbound|9080|v3|reviews.default.svc.cluster.local');
    assert.equal(cluster('finance'), 'outbound|9080||reviews.default.svc.cluster.local');
  });
});

describe('determinism', () => {
  const yaml = BOOKINFO + OTHER_NS + `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {b: {exact: "2"}, a: {exact: "1"}}}]
    headers: {request: {set: {z: "1", y: "2"}}}
    route: [{destination: {host: reviews, subset: v1}, weight: 50}, {destination: {host: reviews, subset: v2}, weight: 50}]
`;
  const proxies = [
    proxyNode({ serviceName: 'reviews', servicePort: 9080, appPort: 9081, locality: { region: 'r', zone: 'z', subzone: 's' } }),
    proxyNode({ type: 'router', labels: { istio: 'ingressgateway' } }),
    proxyNode({ type: 'proxyless' }),
  ];

  it('same inputs in a different order → deep-equal and byte-equal output', () => {
    const a = snapshotFromYaml(yaml, BOOKINFO_INSTANCES);
    const rs = parseYaml(yaml);
    const b = buildSnapshot({
      version: 'v1',
      services: [...a.services].reverse(),
      instances: [...BOOKINFO_INSTANCES].reverse(),
      virtualServices: rs.filter((r) => r.kind === 'VirtualService').reverse(),
      destinationRules: [...a.destinationRules].reverse(),
    });
    for (const p of proxies) {
      for (const g of GENERATORS) {
        const x = g.build(p, a);
        const y = g.build(p, b);
        assert.deepEqual(x, y);
        assert.equal(JSON.stringify(x), JSON.stringify(y));
        assert.equal(JSON.stringify(g.build(p, a)), JSON.stringify(x), 'build twice');
      }
    }
  });

  it('every sidecar/gateway resource encodes with the real Envoy protos and passes the proxy validators', () => {
    const snap = snapshotFromYaml(yaml, BOOKINFO_INSTANCES);
    for (const p of proxies.slice(0, 2)) {
      for (const g of GENERATORS) {
        const out = g.build(p, snap);
        assertProxyAccepts(g.typeUrl, out);
        for (const r of out) assert.doesNotThrow(() => encodeResource(g.typeUrl, r.resource), r.name);
      }
    }
  });
});

describe('needsPush', () => {
  it('endpoint-only changes touch EDS alone; VirtualService changes touch routes and listeners (tcp/tls rules live there), never clusters', () => {
    const which = (kinds: string[]): string[] => GENERATORS.filter((g) => g.needsPush(new Set(kinds))).map((g) => g.typeUrl.split('.').pop() ?? '');
    assert.deepEqual(which(['endpoints']), ['ClusterLoadAssignment']);
    const vs = which(['VirtualService']);
    assert.ok(vs.includes('Listener') && vs.includes('RouteConfiguration') && !vs.includes('Cluster') && !vs.includes('ClusterLoadAssignment'), vs.join());
    const dr = which(['DestinationRule']);
    for (const t of ['Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration']) assert.ok(dr.includes(t), `${t} in ${dr.join()}`);
    assert.deepEqual(which(['Gateway']), ['Listener', 'RouteConfiguration', 'VirtualHost']);
    assert.ok(ldsGenerator.needsPush(new Set(['Service'])));
  });
});
