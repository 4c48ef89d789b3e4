// Tests the config stage's cluster transport_socket_matches: shape, secrets named by match sockets (static ones put in
// place, ADS ones subscribed to), and Envoy's ALPN rule that every socket of an auto_config cluster must be TLS.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import { validateCluster } from '../../../src/proxy/config/validators.js';
import { sdsSecretNames } from '../../../src/proxy/xds/resources.js';
import '../../all-filters.js';
import { base, describeErrors, errorsOf, set, staticCluster, type J } from './helpers.js';

const UP = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const CA = { name: 'ca', validation_context: { trusted_ca: { inline_string: 'CA-PEM' } } };
const tlsSocket = (common: object, sni?: string): J => ({
  name: 'envoy.transport_sockets.tls',
  typed_config: { '@type': UP, common_tls_context: common, ...(sni !== undefined ? { sni } : {}) },
});
const MATCHES = [
  { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: tlsSocket({ validation_context_sds_secret_config: { name: 'ca' } }, 'outbound_.80_._.a') },
  { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer' } },
];

function withMatches(matches: unknown): J {
  const b = base();
  set(b, 'static_resources.clusters[0].transport_socket_matches', matches);
  set(b, 'static_resources.secrets', [CA]);
  return b;
}

describe('cluster transport_socket_matches', () => {
  it('keeps each entry in order: name, match, and its socket (raw_buffer = plaintext); static secrets are put in place', () => {
    const r = parseBootstrap(withMatches(MATCHES), { baseDir: '/' });
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    const ms = r.value.static_resources.clusters[0]!.transport_socket_matches!;
    assert.equal(ms.length, 2);
    assert.equal(ms[0]!.name, 'tlsMode-istio');
    assert.deepEqual(ms[0]!.match, { tlsMode: 'istio' });
    assert.equal(ms[0]!.transport_socket!.typed_config.sni, 'outbound_.80_._.a');
    assert.equal(ms[0]!.transport_socket!.typed_config.common_tls_context.validation_context?.trusted_ca, 'CA-PEM');
    assert.deepEqual(ms[1], { name: 'tlsMode-disabled', match: {} });
    assert.equal(r.value.static_resources.clusters[1]!.transport_socket_matches, undefined);
  });

  it('refuses an entry without name, a match that is not an object, unknown fields and unknown static secrets, with paths', () => {
    const e = errorsOf(parseBootstrap(withMatches([{ match: 'x', transport_socket: tlsSocket({ validation_context_sds_secret_config: { name: 'nope' } }), colour: 1 }]), { baseDir: '/' }));
    const text = describeErrors(e);
    assert.match(text, /clusters\[0\]\.transport_socket_matches\[0\]\.name: /);
    assert.match(text, /transport_socket_matches\[0\]\.match: expected an object/);
    assert.match(text, /transport_socket_matches\[0\]\.colour: /);
    assert.match(text, /transport_socket_matches\[0\]\.transport_socket\.typed_config\.common_tls_context\.validation_context_sds_secret_config\.name: unknown secret "nope"/);
  });

  it('a match socket taking its secrets over ADS needs an ADS stream in a bootstrap, and is subscribed to over xDS', () => {
    const ads = { validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: { ads: {}, resource_api_version: 'V3' } }, tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: { ads: {} } }] };
    const e = errorsOf(parseBootstrap(withMatches([{ name: 'm', match: { tlsMode: 'istio' }, transport_socket: tlsSocket(ads) }]), { baseDir: '/' }));
    assert.match(describeErrors(e), /transport_socket_matches\[0\].*secret "default" comes over ADS/);
    const c = { ...staticCluster('x', 1), transport_socket_matches: [{ name: 'm', match: { tlsMode: 'istio' }, transport_socket: tlsSocket(ads) }] };
    const r = validateCluster(c, 'x');
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    assert.deepEqual(sdsSecretNames([], [r.value]).sort(), ['ROOTCA', 'default']);
    // a static secret by name is refused in an xDS resource, as for transport_socket
    const s = validateCluster({ ...c, transport_socket_matches: [{ name: 'm', match: {}, transport_socket: tlsSocket({ validation_context_sds_secret_config: { name: 'ca' } }) }] }, 'x');
    assert.match(describeErrors(errorsOf(s)), /transport_socket_matches\[0\].*secret "ca": xDS resources take secrets over ADS/);
  });

  it('refuses auto_config (ALPN) when one match socket is plaintext, as Envoy requires ALPN on every socket', () => {
    const c: J = {
      ...staticCluster('x', 1),
      transport_socket: tlsSocket({}),
      transport_socket_matches: [{ name: 'tls', match: { a: 1 }, transport_socket: tlsSocket({}) }, { name: 'plain', match: {} }],
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', auto_config: {} },
      },
    };
    const e = describeErrors(errorsOf(validateCluster(c, 'x')));
    assert.match(e, /transport_socket_matches\[1\]\.transport_socket: ALPN \(auto_config\) needs TLS on every transport socket of cluster x; match "plain" is plaintext/);
    const ok = validateCluster({ ...c, transport_socket_matches: [{ name: 'tls', match: { a: 1 }, transport_socket: tlsSocket({}) }] }, 'x');
    assert.ok(ok.ok, ok.ok ? '' : describeErrors(ok.errors));
  });
});

describe('combined_validation_context and system_root_certs', () => {
  it('keep the default context beside the SDS reference (merged when the secret arrives), static secrets merged at load', () => {
    const sans = [{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/b' } }];
    const b = base();
    set(b, 'static_resources.clusters[0].transport_socket', tlsSocket({ combined_validation_context: { default_validation_context: { match_typed_subject_alt_names: sans }, validation_context_sds_secret_config: { name: 'ca' } } }));
    set(b, 'static_resources.secrets', [CA]);
    const r = parseBootstrap(b, { baseDir: '/' });
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    const vc = r.value.static_resources.clusters[0]!.transport_socket!.typed_config.common_tls_context.validation_context!;
    assert.equal(vc.trusted_ca, 'CA-PEM');
    assert.equal(vc.match_typed_subject_alt_names[0]!.matcher.kind, 'exact');
    const over = validateCluster({ ...staticCluster('x', 1), transport_socket: tlsSocket({ combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: { ads: {} } } } }) }, 'x');
    assert.ok(over.ok, over.ok ? '' : describeErrors(over.errors));
    const common = over.value.transport_socket!.typed_config.common_tls_context;
    assert.deepEqual(common.validation_context_sds_secret_config, { name: 'ROOTCA' });
    assert.notEqual(common.validation_context, undefined);
  });

  it('refuses a combined context without its parts, and combining it with validation_context', () => {
    const e = describeErrors(errorsOf(validateCluster({ ...staticCluster('x', 1), transport_socket: tlsSocket({ combined_validation_context: {} }) }, 'x')));
    assert.match(e, /combined_validation_context\.default_validation_context: /);
    assert.match(e, /combined_validation_context\.validation_context_sds_secret_config: /);
    const both = describeErrors(errorsOf(validateCluster({ ...staticCluster('x', 1), transport_socket: tlsSocket({ validation_context: {}, combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: 'a', sds_config: { ads: {} } } } }) }, 'x')));
    assert.match(both, /validation_context|combined_validation_context/);
  });

  it('system_root_certs: {} is accepted and kept', () => {
    const r = validateCluster({ ...staticCluster('x', 1), transport_socket: tlsSocket({ validation_context: { system_root_certs: {} } }) }, 'x');
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    assert.equal(r.value.transport_socket!.typed_config.common_tls_context.validation_context?.system_root_certs, true);
  });
});
