// TLS tests: auto_sni / auto_san_validation — the name from the request, SNI never an IP, the SAN check replacing the configured one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { UpstreamTlsContext } from '../../../src/proxy/config/types.js';
import { autoHostName, hostOfAuthority, requestHostOptions } from '../../../src/proxy/tls/auto-host.js';

const auto = { auto_sni: true, auto_san_validation: true };

test('the name is the request host without its port, or override_auto_sni_header when present', () => {
  assert.equal(autoHostName({ authority: 'API.Example.com:8443', headers: {} }, auto), 'api.example.com');
  assert.equal(autoHostName({ authority: '[::1]:443', headers: {} }, auto), '::1');
  assert.equal(autoHostName({ authority: 'a.example', headers: { 'x-sni': 'b.example' } }, { ...auto, override_auto_sni_header: 'x-sni' }), 'b.example');
  assert.equal(autoHostName({ authority: 'a.example', headers: { 'x-sni': '' } }, { ...auto, override_auto_sni_header: 'x-sni' }), 'a.example');
  assert.equal(autoHostName({ authority: '', headers: {} }, auto), undefined);
});

test('property: hostOfAuthority drops exactly a trailing :port', () => {
  fc.assert(
    fc.property(fc.domain(), fc.option(fc.integer({ min: 0, max: 65535 })), (d, port) => {
      assert.equal(hostOfAuthority(port === null ? d : `${d}:${port}`), d);
    }),
  );
});

const ctx = (trusted: boolean): UpstreamTlsContext => ({
  '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  common_tls_context: {
    tls_certificates: [],
    alpn_protocols: [],
    tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
    tls_certificate_sds_secret_configs: [],
    validation_context: { ...(trusted ? { trusted_ca: 'PEM' } : {}), match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { kind: 'exact', value: 'configured.example', ignore_case: false } }], verify_certificate_spki: [], verify_certificate_hash: [] },
  },
  allow_renegotiation: false,
});

test('SNI is the host name (never an IP literal); the SAN check uses the host instead of the configured matchers', () => {
  const o = requestHostOptions({ rejectUnauthorized: true }, ctx(true), 'api.example.com', auto);
  assert.equal(o.servername, 'api.example.com');
  const check = o.checkServerIdentity!;
  assert.equal(check('x', { subjectaltname: 'DNS:api.example.com', raw: Buffer.from('x') } as never), undefined);
  assert.equal(check('x', { subjectaltname: 'DNS:*.example.com', raw: Buffer.from('x') } as never), undefined);
  assert.match(String(check('x', { subjectaltname: 'DNS:configured.example', raw: Buffer.from('x') } as never)), /match none/);
  assert.equal(requestHostOptions({}, ctx(true), '10.0.0.1', auto).servername, undefined);
  // an IP host is checked against IP SANs
  assert.equal(requestHostOptions({}, ctx(true), '10.0.0.1', auto).checkServerIdentity!('x', { subjectaltname: 'IP Address:10.0.0.1', raw: Buffer.from('x') } as never), undefined);
  // without trusted_ca nothing is verified, as for every upstream check
  assert.equal(requestHostOptions({}, ctx(false), 'api.example.com', auto).checkServerIdentity, undefined);
  assert.equal(requestHostOptions({}, ctx(true), 'api.example.com', { auto_sni: true, auto_san_validation: false }).checkServerIdentity, undefined);
});
