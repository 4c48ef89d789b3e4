// Translate tests: Sidecar egress listeners with a port — TCP (tcp routes, weighted splits, match scope), TLS (SNI chains from tls routes), HTTP (inline routes), port collisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceInfo, proxyNode } from '../../../src/control/model/builders.js';
import { LISTENER_TYPE, type XdsResource } from '../../../src/control/translate/generator.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { rdsGenerator } from '../../../src/control/translate/rds.js';
import { assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

const ECHO = 'echo.default.svc.cluster.local';

const MESH = `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec: {ports: [{name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: default}
spec: {ports: [{name: tcp, port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-a, namespace: default}
spec:
  hosts: [a.example.com]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.1, labels: {version: v1}}, {address: 127.0.0.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-b, namespace: default}
spec:
  hosts: [b.example.com]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.3}]
`;

const sidecar = (egress: string): string => `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
${egress.replace(/^/gm, '  ')}
  - hosts: ["./*"]
`;

function build(yaml: string, extra: Parameters<typeof proxyNode>[0] = {}): XdsResource[] {
  const snap = snapshotFromYaml(MESH + yaml, [instanceInfo(ECHO, 9000, '10.0.0.5', 15006, { labels: { version: 'v1' } })]);
  const out = ldsGenerator.build(proxyNode(extra), snap);
  assertProxyAccepts(LISTENER_TYPE, out);
  return out;
}

const filterNames = (l: XdsResource, chain = 0): string[] => (get(l.resource, 'filter_chains', chain, 'filters') as { name: string }[]).map((f) => f.name);
const tcpOf = (l: XdsResource, chain = 0): unknown => get(l.resource, 'filter_chains', chain, 'filters', filterNames(l, chain).indexOf('envoy.filters.network.tcp_proxy'), 'typed_config');

describe('Sidecar egress listener, protocol TCP', () => {
  const TCP = '- port: {number: 9000, protocol: TCP, name: tcp}\n  hosts: ["./echo.default.svc.cluster.local"]';

  it('binds 127.0.0.1:port (captureMode NONE default) and forwards to the one imported service', () => {
    const out = build(sidecar(TCP));
    assert.deepEqual(out.map((l) => l.name), ['outbound', '127.0.0.1_9000']);
    const l = byName(out, '127.0.0.1_9000');
    assert.deepEqual(l.resource.address, { socket_address: { address: '127.0.0.1', port_value: 9000 } });
    assert.deepEqual(filterNames(l), ['istio.stats', 'envoy.filters.network.tcp_proxy'], "Istio's TCP metrics (reporter=source) before tcp_proxy");
    assert.equal(get(tcpOf(l), 'cluster'), `outbound|9000||${ECHO}`);
    assert.equal(get(l.resource, 'listener_filters'), undefined);
  });

  it('bind is honoured; a port the proxy holds (outbound, app, admin) gets no listener', () => {
    const bound = build(sidecar(`${TCP}\n  bind: 0.0.0.0`));
    assert.deepEqual(byName(bound, '0.0.0.0_9000').resource.address, { socket_address: { address: '0.0.0.0', port_value: 9000 } });
    for (const own of [{ outboundPort: 9000 }, { appPort: 9000 }, { adminPort: 9000 }]) {
      assert.ok(!build(sidecar(TCP), own).some((l) => l.name === '127.0.0.1_9000'), JSON.stringify(own));
    }
  });

  it('VirtualService tcp routes: first applicable rule, weighted split with subsets, weight 0 left out', () => {
    const vs = (weights: [number, number], more = ''): string => `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  tcp:${more}
  - route:
    - {destination: {host: echo, subset: v1}, weight: ${weights[0]}}
    - {destination: {host: echo, subset: v2}, weight: ${weights[1]}}
`;
    const split = byName(build(sidecar(TCP) + vs([80, 20])), '127.0.0.1_9000');
    assert.deepEqual(get(tcpOf(split), 'weighted_clusters'), {
      clusters: [
        { name: `outbound|9000|v1|${ECHO}`, weight: 80 },
        { name: `outbound|9000|v2|${ECHO}`, weight: 20 },
      ],
    });
    assert.equal(get(tcpOf(split), 'stat_prefix'), '127.0.0.1_9000');
    assert.equal(get(tcpOf(byName(build(sidecar(TCP) + vs([0, 100])), '127.0.0.1_9000')), 'cluster'), `outbound|9000|v2|${ECHO}`);
    // rules that do not apply to this proxy are skipped: another port, other source labels, another gateway
    const scoped = `
  - match: [{port: 9001}]
    route: [{destination: {host: other}}]
  - match: [{sourceLabels: {app: nope}}]
    route: [{destination: {host: other}}]
  - match: [{gateways: [some-gateway]}]
    route: [{destination: {host: other}}]
  - match: [{sourceLabels: {app: client}, port: 9000, gateways: [mesh]}]
    route: [{destination: {host: echo, subset: v1}}]`;
    const l = byName(build(sidecar(TCP) + vs([50, 50], scoped), { labels: { app: 'client' } }), '127.0.0.1_9000');
    assert.equal(get(tcpOf(l), 'cluster'), `outbound|9000|v1|${ECHO}`);
  });

  it('no listener when the hosts import several services on the port (a TCP connection names none)', () => {
    const two = '- port: {number: 9000, protocol: TCP}\n  hosts: ["./*"]';
    assert.deepEqual(build(sidecar(two)).map((l) => l.name), ['outbound']);
  });

  it('a listener port that is not a service port means a single-port service\'s only port', () => {
    const l = byName(build(sidecar('- port: {number: 7777, protocol: TCP}\n  hosts: ["./echo.default.svc.cluster.local"]')), '127.0.0.1_7777');
    assert.equal(get(tcpOf(l), 'cluster'), `outbound|9000||${ECHO}`);
  });
});

describe('Sidecar egress listener, protocol TLS', () => {
  const TLS = '- port: {number: 8443, protocol: TLS}\n  hosts: ["./a.example.com", "./b.example.com"]';

  it('tls_inspector and one chain per SNI name: tls rules first, services without one under their own host', () => {
    const vs = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.example.com]
  tls:
  - match: [{sniHosts: [a.example.com], port: 8443}]
    route: [{destination: {host: a.example.com, subset: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: default}
spec: {host: a.example.com, subsets: [{name: v2, labels: {version: v2}}]}
`;
    const l = byName(build(sidecar(TLS) + vs), '127.0.0.1_8443');
    assert.deepEqual(get(l.resource, 'listener_filters', 0, 'name'), 'envoy.filters.listener.tls_inspector');
    const chains = get(l.resource, 'filter_chains') as unknown[];
    assert.deepEqual(
      chains.map((c) => [get(c, 'filter_chain_match', 'server_names'), get(c, 'filters', -1, 'typed_config', 'cluster')]),
      [
        [['a.example.com'], 'outbound|443|v2|a.example.com'],
        [['b.example.com'], 'outbound|443||b.example.com'],
      ],
    );
    assert.equal(get(l.resource, 'default_filter_chain'), undefined, 'several services: an unknown SNI is not guessed');
  });

  it('a single imported service without a tls rule also takes connections with any other SNI', () => {
    const l = byName(build(sidecar('- port: {number: 8443, protocol: TLS}\n  hosts: ["./b.example.com"]')), '127.0.0.1_8443');
    assert.equal(get(l.resource, 'default_filter_chain', 'filters', -1, 'typed_config', 'cluster'), 'outbound|443||b.example.com');
  });
});

describe('Sidecar egress listener, protocol HTTP', () => {
  it('its own HTTP connection manager with an inline route config: names with and without the listener port, VirtualService routes', () => {
    const vs = `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - match: [{port: 18080, uri: {prefix: /v2}}]
    route: [{destination: {host: web}}]
    timeout: 2s
  - match: [{port: 8080}]
    route: [{destination: {host: echo}}]
  - route: [{destination: {host: web}}]
`;
    const l = byName(build(sidecar('- port: {number: 18080, protocol: HTTP}\n  hosts: ["./web.default.svc.cluster.local"]') + vs), '127.0.0.1_18080');
    const hcm = get(l.resource, 'filter_chains', 0, 'filters', 0, 'typed_config');
    assert.deepEqual((get(hcm, 'http_filters') as { name: string }[]).map((f) => f.name), ['envoy.filters.http.cors', 'envoy.filters.http.fault', 'istio.stats', 'envoy.filters.http.router']);
    const vh = get(hcm, 'route_config', 'virtual_hosts', 0);
    assert.equal(get(vh, 'name'), 'web.default.svc.cluster.local:8080');
    assert.ok((get(vh, 'domains') as string[]).includes('web'));
    assert.ok((get(vh, 'domains') as string[]).includes('web:18080'));
    // match.port is the port the app addressed (the listener's): the 8080 rule does not apply here
    const routes = get(vh, 'routes') as unknown[];
    assert.deepEqual(routes.map((r) => get(r, 'route', 'cluster')), ['outbound|8080||web.default.svc.cluster.local', 'outbound|8080||web.default.svc.cluster.local']);
    assert.equal(get(routes[0], 'route', 'timeout'), '2s');
  });
});

describe('egress listeners are sidecar-only', () => {
  it('a router ignores Sidecar egress listeners', () => {
    const snap = snapshotFromYaml(MESH + sidecar('- port: {number: 9000, protocol: TCP}\n  hosts: ["./echo.default.svc.cluster.local"]'));
    assert.deepEqual(ldsGenerator.build(proxyNode({ type: 'router' }), snap), []);
  });
});

describe('the catch-all outbound listener', () => {
  const scoped = (egress: string): string => `
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
${egress}`;
  const vhostNames = (yaml: string): string[] =>
    (get(rdsGenerator.build(proxyNode(), snapshotFromYaml(MESH + yaml))[0]!.resource, 'virtual_hosts') as { name: string }[]).map((v) => v.name);

  it('carries only what egress listeners without a port import', () => {
    const both = scoped(`  - port: {number: 8081, protocol: HTTP, name: http}
    hosts: [./a.example.com]
  - hosts: [./web.default.svc.cluster.local]`);
    assert.deepEqual(vhostNames(both), ['web.default.svc.cluster.local:8080']);
    assert.deepEqual(vhostNames(scoped(`  - port: {number: 8081, protocol: HTTP, name: http}
    hosts: [./web.default.svc.cluster.local]`)), []);
  });
});
