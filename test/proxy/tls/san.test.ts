// Tests for TLS SAN parsing and matching, and certificate pins, against real openssl-made certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { parseSubjectAltNames, uriSans, verifyPeerSans } from '../../../src/proxy/tls/san.js';
import { verifyPeerCertificate } from '../../../src/proxy/tls/peer-verify.js';
import { makeTestPki } from '../../fixtures/certs.js';
import type { StringMatcher, SubjectAltNameMatcher } from '../../../src/proxy/config/types.js';

const m = (san_type: SubjectAltNameMatcher['san_type'], matcher: StringMatcher): SubjectAltNameMatcher => ({ san_type, matcher });

test('parses Node subjectaltname strings, honouring JSON-quoted values and compressing IPv6', () => {
  const sans = parseSubjectAltNames(
    'DNS:a.example.com, URI:spiffe://td/ns/a/sa/b, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.1, email:me@x.com, URI:"http://a\\u002c b/c, DNS:evil", DNS:*.w.com',
  );
  assert.deepEqual(sans, [
    { type: 'DNS', value: 'a.example.com' },
    { type: 'URI', value: 'spiffe://td/ns/a/sa/b' },
    { type: 'IP_ADDRESS', value: '::1' },
    { type: 'IP_ADDRESS', value: '10.0.0.1' },
    { type: 'EMAIL', value: 'me@x.com' },
    { type: 'URI', value: 'http://a, b/c, DNS:evil' }, // one entry: the quoted comma cannot smuggle a DNS SAN
    { type: 'DNS', value: '*.w.com' },
  ]);
  assert.deepEqual(parseSubjectAltNames('IP Address:FE80:0:0:0:1:0:0:2'), [{ type: 'IP_ADDRESS', value: 'fe80::1:0:0:2' }]);
  assert.deepEqual(parseSubjectAltNames(undefined), []);
});

test('verifyPeerSans: every matcher kind, OR semantics, type must agree, DNS wildcard certs', () => {
  const cert = { subjectaltname: 'DNS:*.example.com, URI:spiffe://cluster.local/ns/default/sa/client, IP Address:127.0.0.1, email:ops@corp.io' };
  const spiffe = 'spiffe://cluster.local/ns/default/sa/client';
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'exact', value: spiffe, ignore_case: false })]), null);
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'prefix', value: 'spiffe://cluster.local/ns/default/', ignore_case: false })]), null);
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'suffix', value: '/SA/CLIENT', ignore_case: true })]), null);
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'contains', value: '/ns/default/', ignore_case: false })]), null);
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'safe_regex', regex: 'spiffe://cluster\\.local/ns/[^/]+/sa/client', ignore_case: false })]), null);
  // safe_regex is a full match
  assert.notEqual(verifyPeerSans(cert, [m('URI', { kind: 'safe_regex', regex: 'spiffe://cluster', ignore_case: false })]), null);
  // RE2 syntax (a named group, \z) that JS RegExp refuses
  assert.equal(verifyPeerSans(cert, [m('URI', { kind: 'safe_regex', regex: 'spiffe://(?P<td>[^/]+)/ns/default/sa/client\\z', ignore_case: false })]), null);
  assert.equal(verifyPeerSans(cert, [m('IP_ADDRESS', { kind: 'exact', value: '127.0.0.1', ignore_case: false })]), null);
  assert.equal(verifyPeerSans(cert, [m('EMAIL', { kind: 'suffix', value: '@corp.io', ignore_case: false })]), null);
  // wildcard DNS SAN covers exactly one label
  assert.equal(verifyPeerSans(cert, [m('DNS', { kind: 'exact', value: 'api.example.com', ignore_case: false })]), null);
  assert.notEqual(verifyPeerSans(cert, [m('DNS', { kind: 'exact', value: 'a.b.example.com', ignore_case: false })]), null);
  // the URI value does not satisfy a DNS matcher
  assert.notEqual(verifyPeerSans(cert, [m('DNS', { kind: 'contains', value: 'spiffe', ignore_case: false })]), null);
  // OR across matchers
  const err = verifyPeerSans(cert, [m('URI', { kind: 'exact', value: 'spiffe://other', ignore_case: false })]);
  assert.match(err ?? '', /match none/);
  assert.equal(
    verifyPeerSans(cert, [m('URI', { kind: 'exact', value: 'spiffe://other', ignore_case: false }), m('IP_ADDRESS', { kind: 'exact', value: '127.0.0.1', ignore_case: false })]),
    null,
  );
  assert.equal(verifyPeerSans(cert, []), null);
  assert.equal(verifyPeerSans(undefined, [m('URI', { kind: 'exact', value: spiffe, ignore_case: false })]), 'peer presented no certificate');
});

test('real certificates: URI SAN of the client cert, hash and SPKI pins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-san-'));
  try {
    const pki = makeTestPki(dir);
    const x = new X509Certificate(pki.clientCert);
    assert.deepEqual(uriSans(x), [pki.clientSpiffeId]);
    const peer = { raw: x.raw, subjectaltname: x.subjectAltName } as PeerCertificate;
    const vc = { match_typed_subject_alt_names: [], verify_certificate_hash: [] as string[], verify_certificate_spki: [] as string[] };
    assert.equal(verifyPeerCertificate(peer, vc), null);
    const hex = createHash('sha256').update(x.raw).digest('hex');
    const colons = hex.toUpperCase().match(/../g)!.join(':');
    assert.equal(verifyPeerCertificate(peer, { ...vc, verify_certificate_hash: [colons] }), null);
    assert.notEqual(verifyPeerCertificate(peer, { ...vc, verify_certificate_hash: ['00'.repeat(32)] }), null);
    const spki = createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    assert.equal(verifyPeerCertificate(peer, { ...vc, verify_certificate_spki: [spki] }), null);
    // either list may match
    assert.equal(verifyPeerCertificate(peer, { ...vc, verify_certificate_hash: ['00'.repeat(32)], verify_certificate_spki: [spki] }), null);
    const server = new X509Certificate(pki.serverCert);
    assert.equal(
      verifyPeerSans({ subjectAltName: server.subjectAltName }, [m('DNS', { kind: 'exact', value: 'server.example.com', ignore_case: false })]),
      null,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
