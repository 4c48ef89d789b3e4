// Translate tests: upstream TLS — Istio's auto-mTLS (transport_socket_matches on the tlsMode endpoint metadata, SNI,
// SANs from the service accounts behind the port), DestinationRule tls modes, ServiceEntry subjectAltNames, and what
// namespace/mesh PeerAuthentication DISABLE changes for clients.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceInfo, proxyNode, serviceInfo } from '../../../src/control/model/builders.js';
import { buildSnapshot } from '../../../src/control/model/snapshot.js';
import type { InstanceInfo, ServiceInfo } from '../../../src/control/model/types.js';
import type { DestinationRule, PeerAuthentication } from '../../../src/api/types.js';
import { cdsGenerator } from '../../../src/control/translate/cds.js';
import { edsGenerator } from '../../../src/control/translate/eds.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, type Json } from '../../../src/control/translate/generator.js';
import { decodeResource, encodeResource } from '../../../src/xds/codec.js';
import { validateCluster } from '../../../src/proxy/config/validators.js';
import { assertProxyAccepts, byName, get, parseYaml } from './helpers.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** The proxy reads DestinationRule file paths when it validates a cluster: give it files. */
const files = mkdtempSync(join(tmpdir(), 'mtls-translate-'));
for (const f of ['ca.pem', 'c.pem', 'k.pem']) writeFileSync(join(files, f), 'PEM');
after(() => rmSync(files, { recursive: true, force: true }));

const R = 'reviews.default.svc.cluster.local';
const G = 'grpc.default.svc.cluster.local';

function snap(opts: { yaml?: string; services?: ServiceInfo[]; instances?: InstanceInfo[]; trustDomain?: string } = {}) {
  const rs = parseYaml(opts.yaml ?? '');
  return buildSnapshot({
    version: '1',
    ...(opts.trustDomain !== undefined ? { trustDomain: opts.trustDomain } : {}),
    services: opts.services ?? [serviceInfo('reviews', 'default', [{ port: 9080, name: 'http' }]), serviceInfo('grpc', 'default', [{ port: 7070, name: 'grpc' }])],
    instances: opts.instances ?? [
      instanceInfo(R, 9080, '10.0.0.1', 15006, { labels: { version: 'v1' }, serviceAccount: 'reviews', namespace: 'default', tlsMode: 'istio', workloadPort: 9081 }),
      instanceInfo(R, 9080, '10.0.0.2', 15006, { labels: { version: 'v2' }, serviceAccount: 'reviews-v2', namespace: 'default', tlsMode: 'istio' }),
      instanceInfo(R, 9080, '10.0.0.3', 9080, { labels: { version: 'v1' }, serviceAccount: 'legacy', namespace: 'other' }),
      instanceInfo(G, 7070, '10.0.0.9', 15006, { serviceAccount: 'grpc', namespace: 'default', tlsMode: 'istio' }),
    ],
    destinationRules: rs.filter((r): r is DestinationRule => r.kind === 'DestinationRule'),
    peerAuthentications: rs.filter((r): r is PeerAuthentication => r.kind === 'PeerAuthentication'),
  });
}

const clusters = (s: ReturnType<typeof snap>, proxy = proxyNode()) => cdsGenerator.build(proxy, s);
const socketOf = (c: Json, i: number): unknown => get(c, 'transport_socket_matches', i, 'transport_socket', 'typed_config');

describe('auto-mTLS (no DestinationRule tls)', () => {
  const s = snap();
  const out = clusters(s);

  it('a mesh service gets two socket matches: mTLS for tlsMode istio endpoints, plaintext for the rest', () => {
    assertProxyAccepts(CLUSTER_TYPE, out);
    const c = byName(out, `outbound|9080||${R}`).resource;
    assert.equal(c.transport_socket, undefined);
    const ms = c.transport_socket_matches as Json[];
    assert.deepEqual(ms.map((m) => [m.name, m.match]), [['tlsMode-istio', { tlsMode: 'istio' }], ['tlsMode-disabled', {}]]);
    assert.equal(get(ms[1], 'transport_socket', 'name'), 'envoy.transport_sockets.raw_buffer');
    const tls = socketOf(c, 0);
    assert.equal(get(tls, 'sni'), `outbound_.9080_._.${R}`);
    assert.deepEqual(get(tls, 'common_tls_context', 'tls_certificate_sds_secret_configs'), [{ name: 'default', sds_config: { ads: {}, resource_api_version: 'V3' } }]);
    assert.deepEqual(get(tls, 'common_tls_context', 'combined_validation_context', 'validation_context_sds_secret_config', 'name'), 'ROOTCA');
    assert.deepEqual(get(tls, 'common_tls_context', 'alpn_protocols'), ['http/1.1']);
  });

  it('verifies the server against every service account behind the port (each in its own namespace), sorted', () => {
    const c = byName(out, `outbound|9080|v1|${R}`.replace('|v1|', '||')).resource;
    const sans = get(socketOf(c, 0), 'common_tls_context', 'combined_validation_context', 'default_validation_context', 'match_typed_subject_alt_names');
    assert.deepEqual(sans, [
      { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/reviews' } },
      { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/reviews-v2' } },
      { san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/other/sa/legacy' } },
    ]);
    const td = byName(clusters(snap({ trustDomain: 'corp.example' })), `outbound|9080||${R}`).resource;
    assert.match(JSON.stringify(td), /spiffe:\/\/corp\.example\/ns\/default\/sa\/reviews"/);
  });

  it('subset clusters carry the subset in the SNI; an h2 port offers h2', () => {
    const s2 = snap({ yaml: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}]}' });
    const c = byName(clusters(s2), `outbound|9080|v1|${R}`).resource;
    assert.equal(get(socketOf(c, 0), 'sni'), `outbound_.9080_.v1_.${R}`);
    assert.deepEqual(get(socketOf(byName(out, `outbound|7070||${G}`).resource, 0), 'common_tls_context', 'alpn_protocols'), ['h2']);
  });

  it('travels over the wire intact (Struct match, combined validation context) and the proxy accepts what arrives', () => {
    const c = byName(out, `outbound|9080||${R}`).resource;
    const back = decodeResource(encodeResource(CLUSTER_TYPE, c)).json;
    assert.deepEqual(get(back, 'transport_socket_matches', 0, 'match'), { tlsMode: 'istio' });
    const r = validateCluster(JSON.parse(JSON.stringify(back)), 'c');
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
    assert.deepEqual(r.value.transport_socket_matches?.map((m) => m.name), ['tlsMode-istio', 'tlsMode-disabled']);
    assert.equal(r.value.transport_socket_matches?.[1]?.transport_socket, undefined);
  });

  it('none for mesh-external services and proxyless clients (grpc-js-xds reads no SDS)', () => {
    const ext = serviceInfo('api', 'default', [{ port: 443, name: 'https' }], { hostname: 'api.example.com', origin: 'ServiceEntry', meshExternal: true, resolution: 'DNS' });
    const o = clusters(snap({ services: [ext], instances: [] }));
    assert.equal(byName(o, 'outbound|443||api.example.com').resource.transport_socket_matches, undefined);
    const pl = clusters(s, proxyNode({ type: 'proxyless' }));
    assert.ok(pl.every((c) => c.resource.transport_socket_matches === undefined && c.resource.transport_socket === undefined));
  });

  it('a MESH_INTERNAL ServiceEntry adds its subjectAltNames to the identities; its inline endpoints carry tlsMode', () => {
    const se = serviceInfo('db', 'data', [{ port: 5432, name: 'tcp' }], { hostname: 'db.internal', origin: 'ServiceEntry', resolution: 'DNS', subjectAltNames: ['spiffe://cluster.local/ns/data/sa/db'] });
    const s3 = snap({ services: [se], instances: [instanceInfo('db.internal', 5432, '10.1.0.1', 5432, { tlsMode: 'istio' }), instanceInfo('db.internal', 5432, '10.1.0.2', 5432)] });
    const c = byName(clusters(s3), 'outbound|5432||db.internal').resource;
    assertProxyAccepts(CLUSTER_TYPE, [{ name: 'db', resource: c }]);
    assert.deepEqual(get(socketOf(c, 0), 'common_tls_context', 'combined_validation_context', 'default_validation_context', 'match_typed_subject_alt_names', 0, 'matcher', 'exact'), 'spiffe://cluster.local/ns/data/sa/db');
    assert.deepEqual(get(socketOf(c, 0), 'common_tls_context', 'alpn_protocols'), ['istio-peer-exchange', 'istio'], "TCP: Istio's peer exchange");
    assert.deepEqual(get(c, 'filters', 0, 'name'), 'istio.metadata_exchange', 'whose frame the upstream filter reads');
    const eps = get(c, 'load_assignment', 'endpoints', 0, 'lb_endpoints') as Json[];
    assert.deepEqual(eps.map((e) => get(e, 'metadata', 'filter_metadata', 'envoy.transport_socket_match', 'tlsMode') ?? null), ['istio', null]);
  });
});

describe('EDS tlsMode metadata', () => {
  it('endpoints with a sidecar say tlsMode istio; the others carry no metadata', () => {
    const out = edsGenerator.build(proxyNode(), snap());
    assertProxyAccepts(ENDPOINT_TYPE, out);
    const eps = (get(byName(out, `outbound|9080||${R}`).resource, 'endpoints', 0, 'lb_endpoints') as Json[]).map((e) => [get(e, 'endpoint', 'address', 'socket_address', 'address'), get(e, 'metadata', 'filter_metadata', 'envoy.transport_socket_match') ?? null]);
    assert.deepEqual(eps, [['10.0.0.1', { tlsMode: 'istio' }], ['10.0.0.2', { tlsMode: 'istio' }], ['10.0.0.3', null]]);
  });
});

const DR = (tls: string, extra = ''): string => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {tls: ${tls}}${extra}`;

describe('DestinationRule tls', () => {
  const one = (yaml: string, name = `outbound|9080||${R}`): Json => {
    const out = clusters(snap({ yaml }));
    assertProxyAccepts(CLUSTER_TYPE, out);
    return byName(out, name).resource;
  };

  it('ISTIO_MUTUAL: one socket for every endpoint; its subjectAltNames and sni win over the defaults', () => {
    const c = one(DR('{mode: ISTIO_MUTUAL}'));
    assert.equal(c.transport_socket_matches, undefined);
    assert.equal(get(c, 'transport_socket', 'typed_config', 'sni'), `outbound_.9080_._.${R}`);
    assert.equal((get(c, 'transport_socket', 'typed_config', 'common_tls_context', 'combined_validation_context', 'default_validation_context', 'match_typed_subject_alt_names') as Json[]).length, 3);
    const o = one(DR('{mode: ISTIO_MUTUAL, sni: custom.sni, subjectAltNames: ["spiffe://x/ns/y/sa/z"]}'));
    assert.equal(get(o, 'transport_socket', 'typed_config', 'sni'), 'custom.sni');
    assert.deepEqual(get(o, 'transport_socket', 'typed_config', 'common_tls_context', 'combined_validation_context', 'default_validation_context', 'match_typed_subject_alt_names'), [{ san_type: 'URI', matcher: { exact: 'spiffe://x/ns/y/sa/z' } }]);
  });

  it('DISABLE: plaintext to every endpoint, sidecar or not; a subset or port can differ from the rule', () => {
    const c = one(DR('{mode: DISABLE}'));
    assert.equal(c.transport_socket, undefined);
    assert.equal(c.transport_socket_matches, undefined);
    const yaml = DR('{mode: DISABLE}', '\n  subsets: [{name: v1, labels: {version: v1}, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}]');
    assert.notEqual(one(yaml, `outbound|9080|v1|${R}`).transport_socket, undefined);
    assert.equal(one(yaml).transport_socket, undefined);
  });

  it('SIMPLE with caCertificates: the file verifies the server; the request host is the SNI and the SAN (auto_sni)', () => {
    const c = one(DR(`{mode: SIMPLE, caCertificates: ${files}/ca.pem}`));
    const common = get(c, 'transport_socket', 'typed_config', 'common_tls_context');
    assert.deepEqual(get(common, 'validation_context'), { trusted_ca: { filename: `${files}/ca.pem` } });
    assert.equal(get(common, 'tls_certificates'), undefined);
    const upstream = get(c, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'upstream_http_protocol_options');
    assert.deepEqual(upstream, { auto_sni: true, auto_san_validation: true });
  });

  it('SIMPLE: sni and subjectAltNames are used as given; without a CA the public roots verify; insecureSkipVerify verifies nothing', () => {
    const c = one(DR('{mode: SIMPLE, sni: api.example.com, subjectAltNames: [api.example.com]}'));
    assert.equal(get(c, 'transport_socket', 'typed_config', 'sni'), 'api.example.com');
    assert.deepEqual(get(c, 'transport_socket', 'typed_config', 'common_tls_context', 'validation_context'), {
      system_root_certs: {},
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }, { san_type: 'URI', matcher: { exact: 'api.example.com' } }],
    });
    assert.equal(get(c, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'), undefined, 'sni given: no auto_sni');
    const k = one(DR('{mode: SIMPLE, insecureSkipVerify: true}'));
    assert.equal(get(k, 'transport_socket', 'typed_config', 'common_tls_context', 'validation_context'), undefined);
    assert.deepEqual(get(k, 'typed_extension_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'upstream_http_protocol_options'), { auto_sni: true });
  });

  it('MUTUAL: client certificate files, or credentialName over SDS (kubernetes://name and -cacert)', () => {
    const f = one(DR(`{mode: MUTUAL, clientCertificate: ${files}/c.pem, privateKey: ${files}/k.pem, caCertificates: ${files}/ca.pem}`));
    assert.deepEqual(get(f, 'transport_socket', 'typed_config', 'common_tls_context', 'tls_certificates'), [{ certificate_chain: { filename: `${files}/c.pem` }, private_key: { filename: `${files}/k.pem` } }]);
    const s = one(DR('{mode: MUTUAL, credentialName: client-cred}'));
    const common = get(s, 'transport_socket', 'typed_config', 'common_tls_context');
    assert.deepEqual(get(common, 'tls_certificate_sds_secret_configs', 0, 'name'), 'kubernetes://client-cred');
    assert.deepEqual(get(common, 'combined_validation_context', 'validation_context_sds_secret_config', 'name'), 'kubernetes://client-cred-cacert');
    const simple = one(DR('{mode: SIMPLE, credentialName: ca-only}'));
    assert.equal(get(simple, 'transport_socket', 'typed_config', 'common_tls_context', 'tls_certificate_sds_secret_configs'), undefined);
    assert.equal(get(simple, 'transport_socket', 'typed_config', 'common_tls_context', 'combined_validation_context', 'validation_context_sds_secret_config', 'name'), 'kubernetes://ca-only-cacert');
  });

  it('portLevelSettings tls applies to its port only', () => {
    const yaml = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: DISABLE}
    portLevelSettings: [{port: {number: 9080}, tls: {mode: ISTIO_MUTUAL}}, {port: {number: 9999}, tls: {mode: SIMPLE}}]`;
    assert.equal(get(one(yaml), 'transport_socket', 'typed_config', 'sni'), `outbound_.9080_._.${R}`);
  });
});

const PA = (ns: string, mode: string, name = 'default', selector = ''): string => `
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec:${selector}
  mtls: {mode: ${mode}}`;

describe('auto-mTLS and PeerAuthentication (what a client can know of the server)', () => {
  const matches = (yaml: string): unknown => byName(clusters(snap({ yaml })), `outbound|9080||${R}`).resource.transport_socket_matches;

  it('namespace-wide or mesh-wide DISABLE turns auto-mTLS off; a namespace policy overrides the mesh one', () => {
    assert.equal(matches(PA('default', 'DISABLE')), undefined);
    assert.equal(matches(PA('istio-system', 'DISABLE')), undefined);
    assert.notEqual(matches(PA('istio-system', 'DISABLE') + PA('default', 'PERMISSIVE')), undefined);
    assert.notEqual(matches(PA('istio-system', 'DISABLE') + PA('default', 'STRICT')), undefined);
    assert.notEqual(matches(PA('other', 'DISABLE')), undefined, "another namespace's policy");
  });

  it('STRICT and PERMISSIVE keep it; a workload-level DISABLE (by its port, the workload port) makes only its endpoints plaintext', () => {
    assert.notEqual(matches(PA('default', 'STRICT')), undefined);
    const wl = PA('default', 'STRICT', 'reviews-v1', '\n  selector: {matchLabels: {version: v1}}') + `\n  portLevelMtls: {9081: {mode: DISABLE}}`;
    const s2 = snap({ yaml: wl });
    assert.notEqual(byName(clusters(s2), `outbound|9080||${R}`).resource.transport_socket_matches, undefined, 'the cluster still has both sockets');
    const tlsModes = (s3: ReturnType<typeof snap>): unknown[] =>
      (get(byName(edsGenerator.build(proxyNode(), s3), `outbound|9080||${R}`).resource, 'endpoints', 0, 'lb_endpoints') as Json[]).map((e) => get(e, 'metadata', 'filter_metadata', 'envoy.transport_socket_match', 'tlsMode') ?? null);
    // 10.0.0.1 is v1 behind its sidecar with app port 9081: plaintext to it; 10.0.0.2 (v2) keeps mTLS
    assert.deepEqual(tlsModes(s2), [null, 'istio', null]);
    assert.deepEqual(tlsModes(snap({ yaml: PA('default', 'STRICT', 'reviews-v1', '\n  selector: {matchLabels: {version: v1}}') + `\n  portLevelMtls: {9080: {mode: DISABLE}}` })), ['istio', 'istio', null], 'the service port is not the key');
    // the other documented way: a DestinationRule with tls DISABLE for that host
    const c = byName(clusters(snap({ yaml: DR('{mode: DISABLE}') })), `outbound|9080||${R}`).resource;
    assert.equal(c.transport_socket_matches, undefined);
    assert.equal(c.transport_socket, undefined);
  });
});
