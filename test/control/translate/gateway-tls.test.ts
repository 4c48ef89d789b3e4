// Translate tests: Gateway servers beyond plain HTTP — TCP (tcp routes), TLS PASSTHROUGH (SNI chains from tls routes), HTTPS/TLS termination with file certificates, mixed ports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxyNode } from '../../../src/control/model/builders.js';
import { LISTENER_TYPE, ROUTE_TYPE, type XdsResource } from '../../../src/control/translate/generator.js';
import { ldsGenerator } from '../../../src/control/translate/lds.js';
import { rdsGenerator } from '../../../src/control/translate/rds.js';
import { makeTestPki, type TestPki } from '../../fixtures/certs.js';
import { assertProxyAccepts, byName, get, snapshotFromYaml } from './helpers.js';
import '../../all-filters.js';

const BACKENDS = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backends, namespace: default}
spec:
  hosts: [a.internal, b.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8443, name: tls, protocol: TLS}, {number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: default}
spec:
  hosts: [db.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  endpoints: [{address: 127.0.0.1, labels: {version: v1}}, {address: 127.0.0.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: default}
spec: {host: db.internal, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

const gw = proxyNode({ type: 'router', labels: { istio: 'ingressgateway' } });

function build(yaml: string): { lds: XdsResource[]; rds: XdsResource[] } {
  const snap = snapshotFromYaml(BACKENDS + yaml);
  const lds = ldsGenerator.build(gw, snap);
  const rds = rdsGenerator.build(gw, snap);
  assertProxyAccepts(LISTENER_TYPE, lds);
  assertProxyAccepts(ROUTE_TYPE, rds);
  return { lds, rds };
}

describe('gateway TCP server', () => {
  it('tcp_proxy from the first applicable tcp rule of the VirtualServices bound to the gateway', () => {
    const { lds } = build(`
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp:
  - match: [{port: 31401}]
    route: [{destination: {host: db.internal, subset: v1}}]
  - match: [{port: 31400, gateways: [gw]}]
    route: [{destination: {host: db.internal, subset: v1}, weight: 90}, {destination: {host: db.internal, subset: v2}, weight: 10}]
`);
    const l = byName(lds, '0.0.0.0_31400');
    assert.deepEqual(get(l.resource, 'filter_chains', 0, 'filters', -1, 'typed_config', 'weighted_clusters', 'clusters'), [
      { name: 'outbound|5432|v1|db.internal', weight: 90 },
      { name: 'outbound|5432|v2|db.internal', weight: 10 },
    ]);
  });

  it('no tcp rule → no listener (nothing to forward to)', () => {
    const { lds } = build(`
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}]
`);
    assert.deepEqual(lds, []);
  });
});

describe('gateway TLS PASSTHROUGH server', () => {
  // protocol TLS, and HTTPS as in Istio's SNI-passthrough task (a mode left out is PASSTHROUGH too)
  for (const [protocol, tls] of [['TLS', '{mode: PASSTHROUGH}'], ['HTTPS', '{mode: PASSTHROUGH}'], ['HTTPS', '{}']] as const) {
  it(`${protocol} with tls ${tls}: tls_inspector and one chain per SNI name from the tls rules, narrowed to the server hosts`, () => {
    const { lds } = build(`
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: ${protocol}}
    bind: 127.0.0.1
    hosts: [a.example.com, b.example.com]
    tls: ${tls}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: sni, namespace: default}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  tls:
  - match: [{sniHosts: [a.example.com]}]
    route: [{destination: {host: a.internal, port: {number: 8443}}}]
  - match: [{sniHosts: ["*.example.com"]}]
    route: [{destination: {host: b.internal, port: {number: 8443}}}]
`);
    const l = byName(lds, '127.0.0.1_443');
    assert.equal(get(l.resource, 'listener_filters', 0, 'name'), 'envoy.filters.listener.tls_inspector');
    const chains = get(l.resource, 'filter_chains') as unknown[];
    assert.deepEqual(
      chains.map((c) => [get(c, 'filter_chain_match', 'server_names'), get(c, 'filters', -1, 'typed_config', 'cluster'), get(c, 'transport_socket')]),
      [
        [['a.example.com'], 'outbound|8443||a.internal', undefined],
        [['b.example.com'], 'outbound|8443||b.internal', undefined],
      ],
    );
  });
  }
});

describe('gateway TLS termination (file certificates, credentialName and ISTIO_MUTUAL over SDS)', () => {
  let dir = '';
  let pki: TestPki;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trellis-gwtls-'));
    pki = makeTestPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const gateway = (servers: string): string => `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
${servers.replace(/^/gm, '  ')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [a.example.com, b.example.com]
  gateways: [gw]
  http:
  - match: [{authority: {exact: a.example.com}}]
    route: [{destination: {host: a.internal, port: {number: 8080}}}]
  - route: [{destination: {host: b.internal, port: {number: 8080}}}]
`;

  it('HTTPS SIMPLE: a DownstreamTlsContext chain by server hosts, h2 + http/1.1 ALPN, its own RDS config', () => {
    const { lds, rds } = build(
      gateway(`- port: {number: 8443, name: https, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: SIMPLE, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}, minProtocolVersion: TLSV1_3}`),
    );
    const chain = get(byName(lds, '0.0.0.0_8443').resource, 'filter_chains', 0);
    assert.deepEqual(get(chain, 'filter_chain_match'), { server_names: ['a.example.com'] });
    const common = get(chain, 'transport_socket', 'typed_config', 'common_tls_context');
    assert.deepEqual(get(common, 'tls_certificates', 0, 'certificate_chain'), { filename: pki.serverCertPath });
    assert.deepEqual(get(common, 'alpn_protocols'), ['h2', 'http/1.1']);
    assert.deepEqual(get(common, 'tls_params'), { tls_minimum_protocol_version: 'TLSv1_3' });
    assert.equal(get(chain, 'transport_socket', 'typed_config', 'require_client_certificate'), undefined);
    const rdsName = get(chain, 'filters', 0, 'typed_config', 'rds', 'route_config_name');
    assert.equal(rdsName, 'https.8443.0.gw.default');
    const vhs = get(byName(rds, 'https.8443.0.gw.default').resource, 'virtual_hosts') as { name: string; domains: string[] }[];
    assert.deepEqual(vhs.map((v) => v.domains), [['a.example.com', 'a.example.com:8443']], 'only the hosts this server admits');
  });

  it('MUTUAL: the client is verified against caCertificates and subjectAltNames; two servers on a port split by SNI', () => {
    const { lds, rds } = build(
      gateway(`- port: {number: 8443, name: https-a, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: MUTUAL, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}, caCertificates: ${pki.caCertPath}, subjectAltNames: ["${pki.clientSpiffeId}"]}
- port: {number: 8443, name: https-b, protocol: HTTPS}
  hosts: [b.example.com]
  tls: {mode: OPTIONAL_MUTUAL, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}, caCertificates: ${pki.caCertPath}}`),
    );
    const chains = get(byName(lds, '0.0.0.0_8443').resource, 'filter_chains') as unknown[];
    assert.deepEqual(chains.map((c) => get(c, 'filter_chain_match', 'server_names')), [['a.example.com'], ['b.example.com']]);
    const a = get(chains[0], 'transport_socket', 'typed_config');
    assert.equal(get(a, 'require_client_certificate'), true);
    assert.deepEqual(get(a, 'common_tls_context', 'validation_context', 'trusted_ca'), { filename: pki.caCertPath });
    assert.deepEqual(get(a, 'common_tls_context', 'validation_context', 'match_typed_subject_alt_names'), [
      { san_type: 'DNS', matcher: { exact: pki.clientSpiffeId } },
      { san_type: 'URI', matcher: { exact: pki.clientSpiffeId } },
    ]);
    const b = get(chains[1], 'transport_socket', 'typed_config');
    assert.equal(get(b, 'require_client_certificate'), undefined, 'OPTIONAL_MUTUAL verifies a certificate only when one is presented');
    assert.deepEqual(rds.map((r) => r.name), ['https.8443.0.gw.default', 'https.8443.1.gw.default']);
  });

  it('plain HTTP and HTTPS on one port: the transport protocol keeps the chains apart', () => {
    const { lds, rds } = build(
      gateway(`- port: {number: 8000, name: http, protocol: HTTP}
  hosts: ["*"]
- port: {number: 8000, name: https, protocol: HTTPS}
  hosts: ["*"]
  tls: {mode: SIMPLE, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}}`),
    );
    const l = byName(lds, '0.0.0.0_8000').resource;
    assert.equal(get(l, 'listener_filters', 0, 'name'), 'envoy.filters.listener.tls_inspector');
    const chains = get(l, 'filter_chains') as unknown[];
    assert.deepEqual(chains.map((c) => get(c, 'filter_chain_match')), [{ transport_protocol: 'raw_buffer' }, { transport_protocol: 'tls' }]);
    assert.deepEqual(chains.map((c) => get(c, 'filters', 0, 'typed_config', 'rds', 'route_config_name')), ['http.8000', 'https.8000.1.gw.default']);
    assert.deepEqual(rds.map((r) => r.name), ['http.8000', 'https.8000.1.gw.default']);
  });

  it('TLS SIMPLE: terminated, then opaque TCP by the tcp rules', () => {
    const { lds } = build(
      gateway(`- port: {number: 9443, name: tls, protocol: TLS}
  hosts: ["*"]
  tls: {mode: SIMPLE, serverCertificate: ${pki.serverCertPath}, privateKey: ${pki.serverKeyPath}}`) +
        `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp: [{route: [{destination: {host: db.internal}}]}]
`,
    );
    const chain = get(byName(lds, '0.0.0.0_9443').resource, 'filter_chains', 0);
    assert.equal(get(chain, 'filter_chain_match'), undefined, 'hosts "*": any SNI');
    assert.equal(get(chain, 'transport_socket', 'typed_config', 'common_tls_context', 'alpn_protocols'), undefined);
    assert.equal(get(chain, 'filters', -1, 'typed_config', 'cluster'), 'outbound|5432||db.internal');
  });

  const sds = (name: string): unknown => ({ name, sds_config: { ads: {}, resource_api_version: 'V3' } });

  it('credentialName SIMPLE: the certificate is the Secret kubernetes://<name> over SDS (ADS), no files, no client check', () => {
    const { lds, rds } = build(gateway(`- port: {number: 8443, name: https, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: SIMPLE, credentialName: a-cert, minProtocolVersion: TLSV1_2}`));
    const ctx = get(byName(lds, '0.0.0.0_8443').resource, 'filter_chains', 0, 'transport_socket', 'typed_config');
    assert.deepEqual(get(ctx, 'common_tls_context'), {
      tls_certificate_sds_secret_configs: [sds('kubernetes://a-cert')],
      tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
      alpn_protocols: ['h2', 'http/1.1'],
    });
    assert.equal(get(ctx, 'require_client_certificate'), undefined);
    assert.deepEqual(rds.map((r) => r.name), ['https.8443.0.gw.default']);
  });

  it('credentialName MUTUAL / OPTIONAL_MUTUAL: clients are verified against kubernetes://<name>-cacert', () => {
    const { lds } = build(gateway(`- port: {number: 8443, name: https-a, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: MUTUAL, credentialName: a-cert}
- port: {number: 8443, name: https-b, protocol: HTTPS}
  hosts: [b.example.com]
  tls: {mode: OPTIONAL_MUTUAL, credentialName: b-cert}`));
    const chains = get(byName(lds, '0.0.0.0_8443').resource, 'filter_chains') as unknown[];
    const a = get(chains[0], 'transport_socket', 'typed_config');
    assert.deepEqual(get(a, 'common_tls_context', 'tls_certificate_sds_secret_configs'), [sds('kubernetes://a-cert')]);
    assert.deepEqual(get(a, 'common_tls_context', 'validation_context_sds_secret_config'), sds('kubernetes://a-cert-cacert'));
    assert.equal(get(a, 'require_client_certificate'), true);
    const b = get(chains[1], 'transport_socket', 'typed_config');
    assert.deepEqual(get(b, 'common_tls_context', 'validation_context_sds_secret_config'), sds('kubernetes://b-cert-cacert'));
    assert.equal(get(b, 'require_client_certificate'), undefined);
  });

  it('ISTIO_MUTUAL: the gateway serves its workload certificate (SDS default) and requires a client certificate from the mesh roots (SDS ROOTCA)', () => {
    const { lds } = build(gateway(`- port: {number: 15443, name: mesh, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: ISTIO_MUTUAL}`));
    const ctx = get(byName(lds, '0.0.0.0_15443').resource, 'filter_chains', 0, 'transport_socket', 'typed_config');
    assert.deepEqual(get(ctx, 'common_tls_context', 'tls_certificate_sds_secret_configs'), [sds('default')]);
    assert.deepEqual(get(ctx, 'common_tls_context', 'validation_context_sds_secret_config'), sds('ROOTCA'));
    assert.equal(get(ctx, 'common_tls_context', 'tls_certificates'), undefined);
    assert.equal(get(ctx, 'require_client_certificate'), true);
  });

  it('credentialNames (several certificates) stays untranslated, as apply refuses it', () => {
    const { lds } = build(gateway(`- port: {number: 8443, name: https, protocol: HTTPS}
  hosts: [a.example.com]
  tls: {mode: SIMPLE, credentialNames: [rsa, ecdsa]}`));
    assert.deepEqual(lds, []);
  });
});
