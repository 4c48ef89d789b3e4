// Tests the config stage's SDS references: static secrets are put into the TLS contexts that name them; secrets from
// ADS without an ADS stream, and static secret names in xDS resources, are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBootstrap } from '../../../src/proxy/config/bootstrap.js';
import { validateCluster, validateListener } from '../../../src/proxy/config/validators.js';
import type { Bootstrap } from '../../../src/proxy/config/types.js';
import '../../all-filters.js';
import { base, describeErrors, errorsOf, set, type J } from './helpers.js';

const DOWN = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UP = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const CERT = { name: 'cert', tls_certificate: { certificate_chain: { inline_string: 'CHAIN' }, private_key: { inline_string: 'KEY' } } };
const CA = { name: 'ca', validation_context: { trusted_ca: { inline_string: 'CA-PEM' } } };

function withSecrets(common: object, upstreamCommon: object = { validation_context_sds_secret_config: { name: 'ca' } }): J {
  const b = base();
  set(b, 'static_resources.listeners[0].filter_chains[0].transport_socket', { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWN, common_tls_context: common } });
  set(b, 'static_resources.clusters[0].transport_socket', { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UP, common_tls_context: upstreamCommon } });
  set(b, 'static_resources.secrets', [CERT, CA]);
  return b;
}

describe('static secrets named through SDS', () => {
  it('become the listener\'s certificate and validation context and the cluster\'s trusted CA', () => {
    const r = parseBootstrap(withSecrets({ tls_certificate_sds_secret_configs: [{ name: 'cert' }], validation_context_sds_secret_config: { name: 'ca' } }), { baseDir: '/' });
    assert.ok(r.ok, r.ok ? '' : describeErrors(r.errors));
    const b: Bootstrap = r.value;
    const down = b.static_resources.listeners[0]!.filter_chains[0]!.transport_socket!.typed_config.common_tls_context;
    assert.deepEqual(down.tls_certificates, [{ certificate_chain: 'CHAIN', private_key: 'KEY' }]);
    assert.equal(down.validation_context?.trusted_ca, 'CA-PEM');
    assert.deepEqual(down.tls_certificate_sds_secret_configs, []);
    assert.equal(down.validation_context_sds_secret_config, undefined);
    assert.equal(b.static_resources.clusters[0]!.transport_socket!.typed_config.common_tls_context.validation_context?.trusted_ca, 'CA-PEM');
  });

  it('refuses a secret of the wrong kind, and a secret over ADS without an ADS stream', () => {
    const wrong = errorsOf(parseBootstrap(withSecrets({ tls_certificate_sds_secret_configs: [{ name: 'ca' }] }), { baseDir: '/' }));
    assert.match(describeErrors(wrong), /secret "ca" is a validation_context, not a tls_certificate/);
    const ads = errorsOf(parseBootstrap(withSecrets({ tls_certificate_sds_secret_configs: [{ name: 'cert', sds_config: { ads: {} } }] }), { baseDir: '/' }));
    assert.match(describeErrors(ads), /secret "cert" comes over ADS \(sds_config \{ads: \{\}\}\), but the bootstrap has no dynamic_resources.ads_config/);
  });

  it('are refused by name in xDS resources, which take their secrets over ADS', () => {
    const b = withSecrets({ tls_certificate_sds_secret_configs: [{ name: 'cert' }] });
    const l = validateListener((b.static_resources as { listeners: unknown[] }).listeners[0], 'l');
    assert.match(describeErrors(errorsOf(l)), /secret "cert": xDS resources take secrets over ADS \(sds_config: \{ads: \{\}\}\), not static secrets by name/);
    const c = validateCluster((b.static_resources as { clusters: unknown[] }).clusters[0], 'c');
    assert.match(describeErrors(errorsOf(c)), /secret "ca"/);
  });
});
