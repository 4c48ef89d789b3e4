// Tests for peerSubjectOf: RFC 2253 order for a normal subject, '' for the empty subject of a mesh SVID (it used to throw and crash the proxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peerSubjectOf } from '../../../src/proxy/tls/subject.js';

function selfSigned(subj: string): X509Certificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-subj-'));
  try {
    const key = path.join(dir, 'k.pem');
    const crt = path.join(dir, 'c.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-days', '1', '-subj', subj, '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/default/sa/curl', '-out', crt], { stdio: 'ignore' });
    return new X509Certificate(fs.readFileSync(crt));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a subject prints most significant RDN last; an empty subject (a mesh SVID) is "" and does not throw', () => {
  assert.equal(peerSubjectOf(selfSigned('/O=trellis-test/CN=client')), 'CN=client,O=trellis-test');
  const svid = selfSigned('/');
  assert.equal(svid.subject, undefined, 'node reports an empty subject as undefined');
  assert.equal(peerSubjectOf(svid), '');
  assert.equal(peerSubjectOf(undefined), undefined);
});
