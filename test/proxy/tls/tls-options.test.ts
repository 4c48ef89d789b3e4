// Tests for TLS option builders: upstream verification modes against a real TLS server, and option mapping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { CommonTlsContext, SubjectAltNameMatcher, UpstreamTlsContext } from '../../../src/proxy/config/types.js';
import { downstreamTlsOptions, upstreamTlsConnectOptions } from '../../../src/proxy/tls/tls-options.js';
import { makeTestPki, type TestPki } from '../../fixtures/certs.js';

let dir: string;
let pki: TestPki;
let server: tls.Server;
let port: number;
let lastServername: string | false | null | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-tlsopt-'));
  pki = makeTestPki(dir);
  server = tls.createServer({ cert: pki.serverCert, key: pki.serverKey, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => {
    lastServername = s.servername;
    s.end(`alpn=${s.alpnProtocol}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function common(over: Partial<CommonTlsContext> = {}): CommonTlsContext {
  return {
    tls_certificates: [],
    alpn_protocols: [],
    tls_params: { tls_minimum_protocol_version: 'TLS_AUTO', tls_maximum_protocol_version: 'TLS_AUTO', cipher_suites: [], ecdh_curves: [] },
    tls_certificate_sds_secret_configs: [],
    ...over,
  };
}

function upstream(sans?: SubjectAltNameMatcher[], withCa = true, sni?: string, alpn: string[] = []): UpstreamTlsContext {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    allow_renegotiation: false,
    sni,
    common_tls_context: common({
      alpn_protocols: alpn,
      validation_context: withCa
        ? { trusted_ca: pki.caCert, match_typed_subject_alt_names: sans ?? [], verify_certificate_spki: [], verify_certificate_hash: [] }
        : undefined,
    }),
  };
}

function connect(opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...opts, host: '127.0.0.1', port });
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

const dns = (value: string): SubjectAltNameMatcher => ({ san_type: 'DNS', matcher: { kind: 'exact', value, ignore_case: false } });

test('trusted_ca only: chain verified, hostname not (Envoy semantics)', async () => {
  assert.equal(await connect(upstreamTlsConnectOptions(upstream(), 'not-in-cert.example')), 'alpn=false');
  assert.equal(lastServername, 'not-in-cert.example');
});

test('SAN matchers replace the hostname check', async () => {
  assert.equal(await connect(upstreamTlsConnectOptions(upstream([dns('server.example.com')]))), 'alpn=false');
  await assert.rejects(connect(upstreamTlsConnectOptions(upstream([dns('other.example.com')]))), /match none/);
});

test('untrusted server is rejected with a CA, accepted without a validation context', async () => {
  const other = makeTestPki(mkdtempSync(join(dir, 'other-')));
  const ctx = upstream();
  ctx.common_tls_context.validation_context!.trusted_ca = other.caCert;
  await assert.rejects(connect(upstreamTlsConnectOptions(ctx)));
  assert.equal(await connect(upstreamTlsConnectOptions(upstream(undefined, false))), 'alpn=false');
});

test('system_root_certs: the chain is verified against the bundled public roots, so a private CA is refused', async () => {
  const ctx = upstream(undefined, false);
  ctx.common_tls_context.validation_context = { system_root_certs: true, match_typed_subject_alt_names: [], verify_certificate_spki: [], verify_certificate_hash: [] };
  const o = upstreamTlsConnectOptions(ctx);
  assert.equal(o.rejectUnauthorized, true);
  await assert.rejects(connect(o), /self.signed|unable to (get|verify)/i);
});

test('sni from the context wins over the default, IP literals are never sent, ALPN is offered', async () => {
  assert.equal(await connect(upstreamTlsConnectOptions(upstream(undefined, true, 'ctx.example', ['h2']), 'default.example')), 'alpn=h2');
  assert.equal(lastServername, 'ctx.example');
  await connect(upstreamTlsConnectOptions(upstream(), '127.0.0.1'));
  assert.equal(lastServername, false);
});

test('downstream options: client certs, versions, cipher groups, curves, ALPN', () => {
  const o = downstreamTlsOptions({
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    require_client_certificate: true,
    common_tls_context: common({
      tls_certificates: [{ certificate_chain: 'C', private_key: 'K' }],
      validation_context: { trusted_ca: 'CA', match_typed_subject_alt_names: [], verify_certificate_spki: [], verify_certificate_hash: [] },
      alpn_protocols: ['h2', 'http/1.1'],
      tls_params: {
        tls_minimum_protocol_version: 'TLSv1_2',
        tls_maximum_protocol_version: 'TLSv1_3',
        cipher_suites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', 'ECDHE-RSA-AES128-GCM-SHA256'],
        ecdh_curves: ['X25519', 'P-256'],
      },
    }),
  });
  assert.deepEqual(o.cert, ['C']);
  assert.deepEqual(o.key, ['K']);
  assert.equal(o.ca, 'CA');
  assert.equal(o.requestCert, true);
  assert.equal(o.rejectUnauthorized, true);
  assert.equal(o.minVersion, 'TLSv1.2');
  assert.equal(o.maxVersion, 'TLSv1.3');
  assert.equal(
    o.ciphers,
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
  );
  assert.equal(o.ecdhCurve, 'X25519:P-256');
  assert.deepEqual(o.ALPNProtocols, ['h2', 'http/1.1']);
  // and Node accepts what we built from a real context
  assert.doesNotThrow(() => tls.createSecureContext({ ...o, cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert }));
});
