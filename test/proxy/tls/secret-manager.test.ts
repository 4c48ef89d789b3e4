// Tests the proxy's secret store: SDS references resolve only when every named secret is there and of the right kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommonTlsContext } from '../../../src/proxy/config/types.js';
import { SecretManager, sdsNames } from '../../../src/proxy/tls/secret-manager.js';

const base: CommonTlsContext = {
  tls_certificates: [],
  alpn_protocols: [],
  tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
  tls_certificate_sds_secret_configs: [{ name: 'cert' }],
  validation_context_sds_secret_config: { name: 'ca' },
};
const CA = { trusted_ca: 'CA', match_typed_subject_alt_names: [], verify_certificate_spki: [], verify_certificate_hash: [] };

test('secret manager: a context resolves once all its secrets are there, of the right kind; watchers hear changes until they unsubscribe', () => {
  const m = new SecretManager();
  assert.deepEqual(sdsNames(base), ['cert', 'ca']);
  let heard = 0;
  const unwatch = m.watch(sdsNames(base), () => heard++);
  assert.equal(m.resolve(base), undefined, 'nothing yet');
  m.set('cert', { tls_certificate: { certificate_chain: 'C', private_key: 'K' } });
  assert.equal(m.resolve(base), undefined, 'the CA is still missing');
  m.set('ca', { tls_certificate: { certificate_chain: 'C', private_key: 'K' } });
  assert.equal(m.resolve(base), undefined, 'a certificate where a validation context is named does not count');
  m.set('ca', { validation_context: CA });
  const r = m.resolve(base)!;
  assert.deepEqual(r.tls_certificates, [{ certificate_chain: 'C', private_key: 'K' }]);
  assert.equal(r.validation_context?.trusted_ca, 'CA');
  assert.deepEqual(sdsNames(r), [], 'no references left');
  assert.equal(heard, 3);
  m.delete('cert');
  assert.equal(m.resolve(base), undefined);
  assert.equal(heard, 4);
  unwatch();
  m.set('cert', { tls_certificate: { certificate_chain: 'C2', private_key: 'K2' } });
  assert.equal(heard, 4, 'no calls after unsubscribing');
  assert.equal(m.resolve({ ...base, tls_certificate_sds_secret_configs: [], validation_context_sds_secret_config: undefined } as CommonTlsContext)?.tls_certificates.length, 0);
});

test('combined validation context: the SDS secret merges over the default (its CA wins, SAN matchers from both)', () => {
  const m = new SecretManager();
  const san = { san_type: 'URI' as const, matcher: { kind: 'exact' as const, value: 'spiffe://td/ns/a/sa/b', ignore_case: false } };
  const combined: CommonTlsContext = {
    ...base,
    tls_certificate_sds_secret_configs: [],
    validation_context: { trusted_ca: 'DEFAULT-CA', match_typed_subject_alt_names: [san], verify_certificate_spki: [], verify_certificate_hash: ['aa'] },
    validation_context_sds_secret_config: { name: 'ROOTCA' },
  };
  assert.equal(m.resolve(combined), undefined, 'the dynamic part is missing');
  m.set('ROOTCA', { validation_context: { ...CA, trusted_ca: 'MESH-ROOT', verify_certificate_hash: ['bb'] } });
  const r = m.resolve(combined)!;
  assert.equal(r.validation_context?.trusted_ca, 'MESH-ROOT');
  assert.deepEqual(r.validation_context?.match_typed_subject_alt_names, [san]);
  assert.deepEqual(r.validation_context?.verify_certificate_hash, ['aa', 'bb']);
  assert.equal(r.validation_context_sds_secret_config, undefined);
});
