// Tests: upstream_http_protocol_options auto_sni / auto_san_validation against a real local TLS server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { autoTlsTarget, sniFromAuthority } from '../../../../src/proxy/upstream/pool/auto-sni.js';
import { openConnection } from '../../../../src/proxy/upstream/pool/connect.js';
import { makeTestPki, type TestPki } from '../../../fixtures/certs.js';

let pki: TestPki;
const servers: tls.Server[] = [];
let goodPort: number; // SANs localhost, 127.0.0.1
let otherPort: number; // SAN other.example only
/** Server names clients sent (recorded while the server reads the ClientHello). */
const seenSni: string[] = [];

async function serve(cert: string, key: string): Promise<number> {
  const ctx = tls.createSecureContext({ cert, key });
  const s = tls.createServer({ cert, key, SNICallback: (name, cb) => (seenSni.push(name), cb(null, ctx)) }, (sock) => sock.end());
  s.on('tlsClientError', () => {});
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as net.AddressInfo).port;
}

before(async () => {
  pki = makeTestPki(fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-autosni-')));
  goodPort = await serve(pki.serverCert, pki.serverKey);
  const other = pki.issue('other', 'other', 'DNS:other.example');
  otherPort = await serve(other.cert, other.key);
});

after(() => {
  for (const s of servers) s.close();
});

function connect(port: number, sni: string, autoSni: boolean, autoSan: boolean): Promise<Error | null> {
  const base: tls.ConnectionOptions = { ca: pki.caCert, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  const auto = autoTlsTarget(base, sni, autoSni, autoSan);
  return new Promise((resolve) => {
    openConnection({ host: '127.0.0.1', port, timeoutMs: 2000, tls: auto.tls, ...(auto.verifyPeer ? { verifyPeer: auto.verifyPeer } : {}) }, (err, socket) => {
      socket?.destroy();
      resolve(err);
    });
  });
}

test('auto_sni sends the request host as SNI (not an IP literal); auto_san_validation refuses a certificate not valid for it', async () => {
  seenSni.length = 0;
  assert.equal(await connect(goodPort, 'localhost', true, true), null);
  assert.equal(await connect(goodPort, '127.0.0.1', true, true), null, 'IP SAN matches; no SNI for an IP');
  assert.deepEqual(seenSni, ['localhost'], 'no server name for an IP literal');
  const bad = await connect(otherPort, 'localhost', true, true);
  assert.match(bad?.message ?? '', /upstream certificate is not valid for "localhost"/);
  assert.equal(await connect(otherPort, 'localhost', true, false), null, 'without auto_san_validation the chain check alone passes');
  assert.equal(await connect(otherPort, 'other.example', true, true), null);
});

test('autoTlsTarget leaves plaintext clusters and empty hosts alone', () => {
  assert.deepEqual(autoTlsTarget(undefined, 'a', true, true), { tls: undefined });
  const base = { servername: 'fixed' };
  assert.deepEqual(autoTlsTarget(base, '', true, true), { tls: base });
  assert.equal(autoTlsTarget(base, 'x.example', false, false).tls, base, 'without auto_sni the configured SNI stays');
  assert.equal(autoTlsTarget(base, 'x.example', true, false).tls?.servername, 'x.example');
});

test('sniFromAuthority: the host of host[:port] / [v6]:port, lower-cased (property)', () => {
  assert.equal(sniFromAuthority('Example.COM:443'), 'example.com');
  assert.equal(sniFromAuthority('[::1]:8443'), '::1');
  assert.equal(sniFromAuthority('[::1'), '::1');
  assert.equal(sniFromAuthority(''), '');
  const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
  fc.assert(
    fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 0, max: 65535 })), fc.string(), (labels, port, junk) => {
      const host = labels.join('.');
      assert.equal(sniFromAuthority(port === null ? host : `${host}:${port}`), host.toLowerCase());
      const any = sniFromAuthority(junk);
      assert.equal(any, any.toLowerCase());
    }),
    { seed: Number(process.env.FC_SEED ?? 20240611), numRuns: 300 },
  );
});
